package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

const queryHelp = `Usage: citytwin query COMMAND [flags] ARGS

Asks a running citytwin server (citytwin serve) the common questions and prints
the answer as a table, or as the server's JSON with --json.

Commands:
  get ID                  one entity (percent-encoding is done for you)
  history ID              every version of an entity
  list                    entities matching --kind, --bbox, --near, --where, ...
  nearest LON,LAT         the --k nearest entities, with their distance
  series ID METRIC        a channel's readings: --from/--to, or --last N
  latest METRIC           the newest reading of METRIC of every entity in --bbox
  h3 METRIC               METRIC aggregated (--agg) per H3 cell at --res
  aggregate METRIC        METRIC aggregated (--agg) --by entity or time (--step)

Every command takes --at TIME (RFC 3339): the answer as the twin was then.

Examples:
  citytwin query get 'osm:way/123'
  citytwin query list --kind building --bbox 24.93,60.16,24.95,60.17 --limit 5
  citytwin query nearest 24.94,60.17 --k 3 --kind sensor
  citytwin query series sensor:aq-17 pm25 --last 10
  citytwin query latest pm25 --bbox 24.8,60.1,25.1,60.3
  citytwin query h3 pm25 --res 8 --agg p95 --bbox 24.8,60.1,25.1,60.3
  citytwin query list --kind vehicle --at 2026-05-01T08:00:00Z
  CITYTWIN_URL=https://twin.example.org CITYTWIN_TOKEN=... citytwin query list --kind alert

Server and token come from --server and --token, else the environment
(CITYTWIN_URL, CITYTWIN_TOKEN), else http://127.0.0.1:8080 without a token.
`

// queryFlags are the flags every query command takes.
type queryFlags struct {
	fs                  *flag.FlagSet
	server, token, at   string
	asJSON              bool
	kind, bbox, near    string
	where               listFlag
	limit, k, last, res int
	from, to, agg, by   string
	step                string
}

func newQueryFlags(name string, stderr io.Writer) *queryFlags {
	q := &queryFlags{fs: newFlags("query "+name, queryHelp, stderr)}
	fs := q.fs
	fs.StringVar(&q.server, "server", envOr("CITYTWIN_URL", "http://127.0.0.1:8080"), "URL of the citytwin server")
	fs.StringVar(&q.token, "token", os.Getenv("CITYTWIN_TOKEN"), "bearer token (a viewer's will do)")
	fs.StringVar(&q.at, "at", "", "answer as the twin was at this RFC 3339 instant")
	fs.BoolVar(&q.asJSON, "json", false, "print the server's JSON instead of a table")
	fs.StringVar(&q.kind, "kind", "", "only these kinds (comma-separated)")
	fs.StringVar(&q.bbox, "bbox", "", "only within minLon,minLat,maxLon,maxLat")
	fs.StringVar(&q.near, "near", "", "only within lon,lat,radius_m")
	fs.Var(&q.where, "where", "property filter such as 'height>20' (repeatable)")
	fs.IntVar(&q.limit, "limit", 20, "at most this many entities")
	fs.IntVar(&q.k, "k", 5, "how many nearest entities")
	fs.IntVar(&q.last, "last", 0, "the newest N readings (series)")
	fs.IntVar(&q.res, "res", 8, "H3 resolution (h3)")
	fs.StringVar(&q.from, "from", "", "start of the time range, RFC 3339 (series, h3, aggregate)")
	fs.StringVar(&q.to, "to", "", "end of the time range, RFC 3339 (series, h3, aggregate)")
	fs.StringVar(&q.agg, "agg", "avg", "aggregate: avg, min, max, sum, count, p50 or p95")
	fs.StringVar(&q.by, "by", "entity", "aggregate by entity or time")
	fs.StringVar(&q.step, "step", "1h", "time bucket of --by time")
	return q
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// queryCommands maps a command to its number of arguments.
var queryCommands = map[string]int{"get": 1, "history": 1, "list": 0, "nearest": 1, "series": 2, "latest": 1, "h3": 1, "aggregate": 1}

func queryCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, queryHelp)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	cmd := args[0]
	nargs, ok := queryCommands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "citytwin query: unknown command %q\n\n%s", cmd, queryHelp)
		return errUsage
	}
	q := newQueryFlags(cmd, stderr)
	// Flags may come before and after the arguments.
	var pos []string
	rest := args[1:]
	for {
		if err := q.fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if q.fs.NArg() == 0 {
			break
		}
		pos = append(pos, q.fs.Arg(0))
		rest = q.fs.Args()[1:]
	}
	if len(pos) != nargs {
		fmt.Fprintf(stderr, "citytwin query %s: want %d argument(s), got %d: %q\n", cmd, nargs, len(pos), pos)
		return errUsage
	}
	target, err := q.target(cmd, pos)
	if err != nil {
		return err
	}
	body, err := q.get(ctx, target)
	if err != nil {
		return err
	}
	if q.asJSON {
		_, err := stdout.Write(body)
		return err
	}
	return printTable(stdout, body)
}

// target builds the request URL of a command.
func (q *queryFlags) target(cmd string, pos []string) (string, error) {
	base, err := url.Parse(strings.TrimRight(q.server, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return "", fmt.Errorf("--server %q: want a URL such as http://127.0.0.1:8080", q.server)
	}
	v := url.Values{}
	set := func(key, val string) {
		if val != "" {
			v.Set(key, val)
		}
	}
	set("at", q.at)
	filters := func() {
		set("kind", q.kind)
		set("bbox", q.bbox)
		set("near", q.near)
		for _, w := range q.where {
			v.Add("where", w)
		}
	}
	var path string
	switch cmd {
	case "get":
		path = "/api/v1/entities/" + url.PathEscape(pos[0])
	case "history":
		path = "/api/v1/entities/" + url.PathEscape(pos[0]) + "/history"
		v.Del("at")
	case "list":
		path = "/api/v1/entities"
		filters()
		v.Set("limit", fmt.Sprint(q.limit))
	case "nearest":
		path = "/api/v1/nearest"
		v.Set("point", pos[0])
		v.Set("k", fmt.Sprint(q.k))
		set("kind", q.kind)
		for _, w := range q.where {
			v.Add("where", w)
		}
	case "series":
		path = "/api/v1/entities/" + url.PathEscape(pos[0]) + "/series/" + url.PathEscape(pos[1])
		v.Del("at")
		if q.last > 0 {
			v.Set("last", fmt.Sprint(q.last))
			set("before", q.at)
		} else {
			set("from", q.from)
			set("to", q.to)
		}
	case "latest":
		path = "/api/v1/latest"
		v.Set("metric", pos[0])
		filters()
	case "h3":
		path = "/api/v1/h3"
		v.Set("metric", pos[0])
		v.Set("res", fmt.Sprint(q.res))
		v.Set("agg", q.agg)
		set("bbox", q.bbox)
		set("from", q.from)
		set("to", q.to)
	case "aggregate":
		path = "/api/v1/aggregate"
		v.Set("metric", pos[0])
		v.Set("agg", q.agg)
		v.Set("by", q.by)
		if q.by == "time" {
			v.Set("step", q.step)
		}
		filters()
		set("from", q.from)
		set("to", q.to)
	}
	// Built by hand, so that a '/' inside an id stays escaped (%2F).
	u := strings.TrimRight(q.server, "/") + path
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u, nil
}

// get fetches target and turns a problem answer into an error that says what
// the server said.
func (q *queryFlags) get(ctx context.Context, target string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/geo+json")
	if q.token != "" {
		req.Header.Set("Authorization", "Bearer "+q.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is `citytwin serve` running at %s? %w", q.server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Title, Detail string
		}
		if json.Unmarshal(body, &p) == nil && p.Title != "" {
			if p.Detail != "" {
				return nil, fmt.Errorf("%s (%d): %s", p.Title, resp.StatusCode, p.Detail)
			}
			return nil, fmt.Errorf("%s (%d)", p.Title, resp.StatusCode)
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// printTable prints an answer for people: features as rows of id, kind, name
// and the other scalar properties; lists of objects as rows of their scalar
// fields; anything else as indented JSON.
func printTable(w io.Writer, body []byte) error {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		_, err := w.Write(body)
		return err
	}
	rows, ok := rowsOf(doc)
	if !ok {
		out, _ := json.MarshalIndent(doc, "", "  ")
		_, err := fmt.Fprintf(w, "%s\n", out)
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "(nothing)")
		return err
	}
	cols := columnsOf(rows)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if m, ok := doc.(map[string]any); ok {
		if n, ok := m["numberMatched"].(float64); ok && int(n) > len(rows) {
			fmt.Fprintf(tw, "(%d of %d; --limit for more)\n", len(rows), int(n))
		}
	}
	return tw.Flush()
}

// rowsOf finds the list in an answer and flattens each element to scalars.
func rowsOf(doc any) ([]map[string]any, bool) {
	var list []any
	switch d := doc.(type) {
	case []any:
		list = d
	case map[string]any:
		if d["type"] == "Feature" {
			list = []any{d}
			break
		}
		for _, key := range []string{"features", "versions", "points", "values", "cells", "entities", "items"} {
			if l, ok := d[key].([]any); ok {
				list = l
				break
			}
		}
		if list == nil {
			return nil, false
		}
	default:
		return nil, false
	}
	rows := make([]map[string]any, 0, len(list))
	for _, x := range list {
		row := map[string]any{}
		switch e := x.(type) {
		case map[string]any:
			flatten(row, e)
		case []any: // [time, value] pairs
			for i, v := range e {
				row[[]string{"t", "v"}[min(i, 1)]] = v
			}
		default:
			row["value"] = e
		}
		rows = append(rows, row)
	}
	return rows, true
}

// flatten copies the scalar fields of a feature or object into row, with a
// feature's properties at the top level.
func flatten(row, obj map[string]any) {
	for k, v := range obj {
		switch val := v.(type) {
		case map[string]any:
			if k == "properties" {
				flatten(row, val)
			}
		case []any:
		default:
			if k != "type" || obj["type"] != "Feature" {
				row[k] = val
			}
		}
	}
}

// columnsOf orders the columns: the well-known ones first, then the rest by
// name, at most 8.
func columnsOf(rows []map[string]any) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		for k := range r {
			seen[k] = true
		}
	}
	var cols []string
	for _, k := range []string{"id", "kind", "name", "distance_m", "version", "validFrom", "cell", "entity", "t", "time", "v", "value", "count"} {
		if seen[k] {
			cols = append(cols, k)
			delete(seen, k)
		}
	}
	var rest []string
	for k := range seen {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	cols = append(cols, rest...)
	if len(cols) > 8 {
		cols = cols[:8]
	}
	return cols
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.6f", x), "0"), ".")
	case string:
		if len(x) > 40 {
			return x[:39] + "…"
		}
		return x
	}
	return fmt.Sprint(v)
}
