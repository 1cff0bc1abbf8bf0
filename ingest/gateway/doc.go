// Package gateway is where stream payloads enter the twin: it decodes a payload
// (SenML, SenML lines or the plain JSON form of ingest/senml), hands the ops to
// the Sink, and answers with what happened to every record. Rejected records go
// to the dead letters with the reason, the source and the raw payload, so that
// nothing is lost silently. The MQTT broker and the HTTP API both use it: MQTT as
// an ingest.MessageHandler, HTTP through Ingest with its per-record report.
package gateway
