package fence

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook headers.
const (
	HeaderSeq       = "X-Citytwin-Event-Seq"   // "first-last" seq of the batch
	HeaderSignature = "X-Citytwin-Signature"   // "sha256=" + hex HMAC-SHA256 of the body
	HeaderEndpoint  = "X-Citytwin-Endpoint-Id" // the endpoint's id
)

// Webhook is the sink that POSTs a JSON array of events.
//
// A 2xx response acknowledges the batch. 408, 429 and 5xx responses and
// transport errors (timeouts, refused connections) are retried, after the
// Retry-After of a 429 or 503 if it says longer than the backoff. Any other
// status (4xx: the receiver rejects what it was sent, so resending cannot
// help; or an unfollowed 3xx) is permanent: the batch is dead-lettered.
type Webhook struct {
	URL      string
	Secret   string
	Endpoint string
	Client   *http.Client
	own      bool // Client was made here
}

// NewWebhook makes the sink of an endpoint; client nil gets a client of its
// own (the engine bounds each attempt by Config.DeliveryTimeout).
func NewWebhook(ep Endpoint, client *http.Client) (*Webhook, error) {
	u, err := url.Parse(ep.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an http or https URL", ep.URL)
	}
	w := &Webhook{URL: ep.URL, Secret: ep.Secret, Endpoint: ep.ID, Client: client}
	if client == nil {
		w.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		w.own = true
	}
	return w, nil
}

// Close closes the idle connections of a client the sink made itself.
func (w *Webhook) Close() error {
	if w.own {
		w.Client.CloseIdleConnections()
	}
	return nil
}

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// StatusError is a webhook response that was not a 2xx.
type StatusError struct {
	Code  int
	Retry time.Duration // from Retry-After
	Body  string        // the start of the response body
	perm  bool
}

func (e *StatusError) Error() string {
	s := "webhook: status " + strconv.Itoa(e.Code)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// Is makes errors.Is(err, ErrPermanent) true for a permanent status.
func (e *StatusError) Is(target error) bool { return e.perm && target == ErrPermanent }

// RetryAfter is the wait the receiver asked for.
func (e *StatusError) RetryAfter() time.Duration { return e.Retry }

// Deliver POSTs the events.
func (w *Webhook) Deliver(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	body, err := json.Marshal(events)
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderSeq, strconv.FormatUint(events[0].Seq, 10)+"-"+strconv.FormatUint(events[len(events)-1].Seq, 10))
	if w.Endpoint != "" {
		req.Header.Set(HeaderEndpoint, w.Endpoint)
	}
	if w.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(w.Secret, body))
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	se := &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(head))}
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode >= 500:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			se.Retry = time.Duration(s) * time.Second
		}
	default:
		se.perm = true
	}
	return se
}
