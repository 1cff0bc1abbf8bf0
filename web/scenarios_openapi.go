package web

import "strconv"

// scenarioOpenAPI documents the scenario routes.
func scenarioOpenAPI(paths, schemas obj) {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	problems := func(resp obj, codes ...int) obj {
		for _, c := range codes {
			resp[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		return resp
	}
	str := obj{"type": "string"}
	num := obj{"type": "number"}
	json := func(desc, schema string) obj {
		return obj{"description": desc, "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", schema)}}}
	}
	id := obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "The scenario's id."}
	q := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "description": desc, "schema": schema}
	}
	paths[scenariosPath] = obj{
		"get": obj{"operationId": "listScenarios", "summary": "The scenarios, newest first, with their status and progress",
			"responses": problems(obj{"200": json("The scenarios.", "Scenarios")}, 400, 500)},
		"post": obj{"operationId": "createScenario",
			"summary":     "Fork the live twin and create a what-if scenario (planner): a model, a horizon, interventions and a seed",
			"requestBody": obj{"required": true, "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", "ScenarioSpec")}}},
			"responses":   problems(obj{"201": json("Created; run it with POST …/run.", "Scenario")}, 400, 413, 422, 500)},
	}
	paths[scenariosPath+"/{id}"] = obj{
		"get": obj{"operationId": "getScenario", "summary": "A scenario: its spec, snapshot, status and progress", "parameters": []obj{id},
			"responses": problems(obj{"200": json("The scenario.", "Scenario")}, 400, 404, 500)},
		"delete": obj{"operationId": "deleteScenario", "summary": "Cancel a scenario's run and forget it and its results", "parameters": []obj{id},
			"responses": problems(obj{"204": obj{"description": "Deleted."}}, 400, 404, 500)},
	}
	paths[scenariosPath+"/{id}/run"] = obj{"post": obj{"operationId": "runScenario",
		"summary":    "Run the baseline and the scenario in the background; follow the progress here or on the stream ({\"type\":\"scenarios\"})",
		"parameters": []obj{id, q("resume", "Go on from the checkpoint of an interrupted run (the result equals an uninterrupted run's).", obj{"type": "boolean"})},
		"responses":  problems(obj{"202": json("Started.", "Scenario")}, 400, 404, 409, 500)}}
	paths[scenariosPath+"/{id}/cancel"] = obj{"post": obj{"operationId": "cancelScenario", "parameters": []obj{id},
		"summary":   "Stop a run; its last checkpoint is kept for a resume",
		"responses": problems(obj{"200": json("Stopped.", "Scenario")}, 400, 404, 500)}}
	paths[scenariosPath+"/{id}/results"] = obj{"get": obj{"operationId": "scenarioResults", "parameters": []obj{id},
		"summary":   "The KPIs (baseline, scenario, difference), curves over time, notes and plots of a finished run",
		"responses": problems(obj{"200": json("The results.", "ScenarioResults")}, 400, 404, 409, 500)}}
	paths[scenariosPath+"/{id}/compare"] = obj{"get": obj{"operationId": "compareScenario",
		"summary": "Paired comparison: the KPIs and the entities whose metric changed most",
		"parameters": []obj{id, q("metric", "An entity metric (delay, vehicles, vehicle_km, speed, max_queue, max_depth); default delay or max_depth.", str),
			q("limit", "At most this many entities (1-10000, default 20).", obj{"type": "integer", "minimum": 1, "maximum": 10000})},
		"responses": problems(obj{"200": json("The comparison.", "ScenarioComparison")}, 400, 404, 409, 500)}}
	paths[scenariosPath+"/{id}/entities/{entity}"] = obj{
		"get": obj{"operationId": "scenarioEntity", "summary": "One entity's results and sampled series in both runs",
			"parameters": []obj{id, {"name": "entity", "in": "path", "required": true, "schema": str, "description": "A twin entity id (a road, a building)."}},
			"responses":  problems(obj{"200": json("The entity's results.", "ScenarioEntity")}, 400, 404, 409, 500)}}
	paths[scenariosPath+"/{id}/h3"] = obj{"get": obj{"operationId": "scenarioH3",
		"summary": "A metric per H3 cell in both runs and the difference (sum of totals, max of depths): for deck.gl's H3HexagonLayer",
		"parameters": []obj{id, q("metric", "An entity metric, or depth (the flood's depth field); default delay or max_depth.", str),
			q("res", "H3 resolution 0-15 (default 9).", obj{"type": "integer", "minimum": 0, "maximum": 15})},
		"responses": problems(obj{"200": json("The cells.", "ScenarioCells")}, 400, 404, 409, 500)}}
	paths[scenariosPath+"/{id}/plots/{name}"] = obj{
		"get": obj{"operationId": "scenarioPlot", "summary": "A plot of the results as SVG: a curve over time, or a map of a metric's change",
			"parameters": []obj{id, {"name": "name", "in": "path", "required": true, "schema": str, "description": "<curve>.svg or map-<metric>.svg, as the results list them."}},
			"responses":  problems(obj{"200": obj{"description": "The plot.", "content": obj{"image/svg+xml": obj{"schema": str}}}}, 400, 404, 409, 500)}}

	window := obj{"from_s": num, "to_s": num}
	iv := obj{"id": str, "ids": obj{"type": "array", "items": str}, "area": obj{"type": "object", "description": "GeoJSON Polygon or MultiPolygon"},
		"point": obj{"type": "array", "items": num, "minItems": 2, "maxItems": 2}, "factor": num, "mm_per_h": num, "m3_per_s": num,
		"profile": obj{"type": "array", "items": obj{"type": "array", "items": num, "minItems": 2, "maxItems": 2}}}
	for k, v := range window {
		iv[k] = v
	}
	iv["type"] = obj{"type": "string", "enum": []string{"close_road", "restrict_road", "demand", "rain", "inflow", "failure", "outage"}}
	schemas["ScenarioIntervention"] = obj{"type": "object", "required": []string{"type"}, "properties": iv, "additionalProperties": false}
	schemas["ScenarioSpec"] = obj{"type": "object", "additionalProperties": false, "properties": obj{
		"name": str, "model": obj{"type": "string", "enum": []string{"traffic", "flood", "flood+traffic"}},
		"bbox": obj{"type": "array", "items": num, "minItems": 4, "maxItems": 4}, "horizon_s": num, "step_s": num,
		"seed": obj{"type": "integer", "minimum": 0}, "demand": num, "elevation": str,
		"interventions": obj{"type": "array", "items": ref("schemas", "ScenarioIntervention")}}}
	progress := obj{"type": "object", "properties": obj{"phase": str, "sim_time_s": num, "horizon_s": num, "fraction": num, "real_time_factor": num, "updates_per_s": num}}
	schemas["Scenario"] = obj{"type": "object", "required": []string{"id", "name", "spec", "status", "created", "snapshot_seq", "snapshot_at", "progress"}, "properties": obj{
		"id": str, "name": str, "spec": ref("schemas", "ScenarioSpec"),
		"status":       obj{"type": "string", "enum": []string{"created", "queued", "running", "done", "failed", "cancelled"}},
		"created":      obj{"type": "string", "format": "date-time"},
		"snapshot_seq": obj{"type": "integer"}, "snapshot_at": obj{"type": "string", "format": "date-time"},
		"started": obj{"type": "string", "format": "date-time"}, "finished": obj{"type": "string", "format": "date-time"},
		"progress": progress, "error": str, "resumable": obj{"type": "boolean"}}}
	schemas["Scenarios"] = obj{"type": "object", "required": []string{"scenarios"}, "properties": obj{"scenarios": obj{"type": "array", "items": ref("schemas", "Scenario")}}}
	kpi := obj{"type": "object", "required": []string{"name", "unit", "baseline", "scenario", "diff"}, "properties": obj{
		"name": str, "unit": str, "baseline": num, "scenario": num, "diff": num, "diff_pct": num, "better": str}}
	curve := obj{"type": "object", "properties": obj{"name": str, "unit": str, "times_s": obj{"type": "array", "items": num},
		"baseline": obj{"type": "array", "items": num}, "scenario": obj{"type": "array", "items": num}}}
	schemas["ScenarioResults"] = obj{"type": "object", "required": []string{"scenario", "kpis", "curves"}, "properties": obj{
		"scenario": ref("schemas", "Scenario"), "kpis": obj{"type": "array", "items": kpi}, "curves": obj{"type": "array", "items": curve},
		"notes": obj{"type": "array", "items": str}, "entities": obj{"type": "integer"}, "plots": obj{"type": "array", "items": ref("schemas", "Link")}}}
	schemas["ScenarioComparison"] = obj{"type": "object", "required": []string{"kpis", "metric", "entities"}, "properties": obj{
		"kpis": obj{"type": "array", "items": kpi}, "metric": str, "entities": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"id": str, "kind": str, "baseline": num, "scenario": num, "diff": num, "flooded_s": num}}}}}
	schemas["ScenarioEntity"] = obj{"type": "object", "required": []string{"entity", "times_s", "series"}, "properties": obj{
		"entity": obj{"type": "object"}, "times_s": obj{"type": "array", "items": num}, "series": obj{"type": "array", "items": obj{"type": "object"}}}}
	schemas["ScenarioCells"] = obj{"type": "object", "required": []string{"metric", "res", "cells"}, "properties": obj{
		"metric": str, "res": obj{"type": "integer"}, "cells": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"cell": str, "baseline": num, "scenario": num, "diff": num, "entities": obj{"type": "integer"}}}}}}
}
