package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"citytwin/geo/crs"
	"citytwin/ingest"
	"citytwin/ingest/cityjson"
	"citytwin/ingest/csv"
	"citytwin/ingest/fusion"
	"citytwin/ingest/geojson"
	"citytwin/ingest/gtfs"
	"citytwin/ingest/gtfsrt"
	"citytwin/ingest/ifc"
	"citytwin/ingest/osm"
	"citytwin/ingest/tsbs"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

const importHelp = `Usage: citytwin import --data DIR [flags] FILE...

Reads files into the twin kept in DIR (the same directory 'citytwin serve --data'
uses; stop the server first). Every batch goes through the write-ahead log, so an
interrupted import keeps what it had read.

What it reads, told by content (or --format):
  TSBS IoT or devops workloads (timescaledb pseudo-CSV or InfluxDB line protocol,
      plain or gzip): trucks become moving vehicles (tsbs:truck/<name>) whose
      readings and diagnostics are channels; hosts become hosts (tsbs:host/<name>)
  GeoJSON (.geojson, .json, .ndjson): features become entities (id = entity id,
      properties.kind = its kind)
  CSV (.csv, .tsv) with lat/lon or WKT columns, an id and a kind column: a row
      an entity, the other columns its properties
  GTFS-realtime VehiclePositions (.pb): vehicles are placed and moved
  CityJSON 1.0-2.0 and CityJSONSeq, in its national grid (EPSG:7415, 2056,
      25832, UTM, state plane, …): city objects, buildings with their parts
  IFC (IFC2X3, IFC4): the building, its storeys and spaces, placed by the site
  OpenStreetMap XML or PBF: buildings with their parts and heights, road
      segments between intersections (a routable graph), points of interest
  GTFS static feeds (zip): stops (gtfs:stop/<id>) and routes (gtfs:route/<id>),
      linked: a stop is served_by its routes, a platform has its parent station

Buildings from different sources whose footprints overlap (IoU >= 0.5) become one
building, each field from the source trusted for it (see docs/import.md); sensors
are linked to the building they are in or the road they are by.

Rows that cannot be used (TSBS damages its data on purpose: rows without a truck
name, blank fields, unreadable numbers) are counted, and written with the reason
to --rejects when given. A blanked field only drops that one value.

Examples:
  citytwin import --data ./twin helsinki.osm.pbf gtfs.zip sensors.csv
  citytwin import --data ./twin delft.city.json house.ifc   # fused with the OSM buildings
  citytwin import --data ./twin ../shared/tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz
  citytwin import --data ./twin --rejects rejects.ndjson city.geojson
`

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", importHelp, stderr)
	sf := addStoreFlags(fs)
	*sf.retention = 0
	rejects := fs.String("rejects", "", "write every rejected row or feature, with the reason, to this NDJSON file")
	quiet := fs.Bool("quiet", false, "no progress bar")
	format := fs.String("format", "", "the files' format when their content does not tell: "+strings.Join(formats, ", "))
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "import: name at least one file")
		fs.Usage()
		return errUsage
	}
	if *sf.data == "" {
		fmt.Fprintln(stderr, "import: --data DIR is required: the twin to import into")
		return errUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	store, err := sf.open(ctx, twin.DefaultConfig(), log)
	if err != nil {
		return err
	}
	var rej *rejectWriter
	if *rejects != "" {
		if rej, err = newRejectWriter(*rejects); err != nil {
			store.Close()
			return err
		}
	}
	for _, path := range fs.Args() {
		if err = importFile(ctx, store, path, *format, rej, stdout, stderr, *quiet); err != nil {
			break
		}
	}
	if err == nil {
		err = linkSensors(ctx, store, stdout)
	}
	if rej != nil {
		if cerr := rej.Close(); err == nil {
			err = cerr
		}
	}
	// Close takes a snapshot, so that the next start does not replay the import.
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return err
}

// rejectWriter writes dead letters as NDJSON.
type rejectWriter struct {
	f   *os.File
	enc *json.Encoder
	n   atomic.Int64
}

func newRejectWriter(path string) (*rejectWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &rejectWriter{f: f, enc: json.NewEncoder(f)}, nil
}

func (w *rejectWriter) add(dl ingest.DeadLetter) {
	if w == nil {
		return
	}
	w.n.Add(1)
	if dl.Time.IsZero() {
		dl.Time = time.Now().UTC()
	}
	_ = w.enc.Encode(dl)
}

func (w *rejectWriter) Close() error { return w.f.Close() }

func importFile(ctx context.Context, store *twin.Store, path, format string, rej *rejectWriter, stdout, stderr io.Writer, quiet bool) error {
	if format == "" {
		var err error
		if format, err = detectFormat(path); err != nil {
			return err
		}
	}
	switch format {
	case formatGeoJSON:
		return importGeoJSON(ctx, store, path, rej, stdout, stderr, quiet)
	case formatGTFSRT:
		return importGTFSRT(ctx, store, path, rej, stdout)
	case formatGTFS:
		return importGTFS(ctx, store, path, rej, stdout)
	case formatOSM:
		return importOSM(ctx, store, path, rej, stdout)
	case formatCityJSON:
		return importCityJSON(ctx, store, path, rej, stdout)
	case formatIFC:
		return importIFC(ctx, store, path, rej, stdout)
	case formatCSV:
		return importCSV(ctx, store, path, rej, stdout)
	case formatTSBS:
		return importTSBS(ctx, store, path, rej, stdout, stderr, quiet)
	}
	return fmt.Errorf("--format %q: want one of %s", format, strings.Join(formats, ", "))
}

// importOSM reads OpenStreetMap XML or PBF: buildings (with their parts),
// road segments and points of interest become entities.
func importOSM(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := osm.DefaultOptions()
	opts.Name = filepath.Base(path)
	res, err := osm.Read(ctx, f, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range res.Rejects {
		rej.add(ingest.DeadLetter{Source: "osm", Where: fmt.Sprintf("%s %s/%d", path, r.Type, r.ID), Reason: r.Reason})
	}
	bad, fused, err := applyFused(ctx, store, res.Ops, rej, "osm", path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: OpenStreetMap %s, %d nodes, %d ways, %d relations: %s; %d fused with buildings already in the twin; %d rejected\n",
		path, res.Stats.Format, res.Stats.Nodes, res.Stats.Ways, res.Stats.Relations, countsLine(res.Counts), fused, len(res.Rejects)+bad)
	if res.Graph != nil {
		fmt.Fprintf(stdout, "  road graph: %d nodes, %d directed edges\n", len(res.Graph.Nodes), len(res.Graph.Edges))
	}
	return nil
}

// importCityJSON reads a CityJSON document or CityJSONSeq: city objects become
// entities (buildings with their parts), placed from the file's CRS.
func importCityJSON(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := cityjson.Read(ctx, f, cityjson.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range res.Rejects {
		rej.add(ingest.DeadLetter{Source: "cityjson", Where: fmt.Sprintf("%s %s line %d", path, r.ID, r.Line), Reason: r.Reason})
	}
	bad, fused, err := applyFused(ctx, store, res.Ops, rej, "cityjson", path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: CityJSON %s in %s, %d city objects: %s; %d fused with buildings already in the twin; %d rejected\n",
		path, res.Meta.Version, res.Meta.CRS, len(res.Objects), countsLine(kindCounts(res.Ops)), fused, len(res.Rejects)+bad)
	return nil
}

// importIFC reads an IFC model: its building, storeys and spaces become
// entities, placed by the site's reference point or its map conversion.
func importIFC(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout io.Writer) error {
	toWGS84 := func(name string, x, y float64) (float64, float64, error) {
		t, err := crs.For(name)
		if err != nil {
			return 0, 0, err
		}
		p, err := t.ToLonLat(orb.Point{x, y})
		return p[0], p[1], err
	}
	res, err := ifc.DecodeFile(ctx, path, ifc.Options{Name: filepath.Base(path), ToWGS84: toWGS84})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range res.Rejects {
		rej.add(ingest.DeadLetter{Source: "ifc", Where: fmt.Sprintf("%s line %d #%d", path, r.Line, r.ID), Reason: r.Reason})
	}
	bad, fused, err := applyFused(ctx, store, res.Ops, rej, "ifc", path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: IFC %s, %d instances: %s; %d fused with buildings already in the twin; %d rejected\n",
		path, res.Model.Schema, res.Entities, countsLine(kindCounts(res.Ops)), fused, res.Rejected+bad)
	return nil
}

// importCSV reads a CSV file with lat/lon or WKT columns: a row an entity.
func importCSV(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := csv.Read(ctx, f, csv.Options{Source: filepath.Base(path), Now: time.Now(), MaxFeatures: 100_000_000})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range res.Rejects {
		rej.add(ingest.DeadLetter{Source: "import", Where: fmt.Sprintf("%s line %d", path, r.Line), Reason: r.Reason})
	}
	bad, fused, err := applyFused(ctx, store, res.Ops, rej, "csv", path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: CSV, %d rows: %s; %d fused with buildings already in the twin; %d rejected\n",
		path, res.Total, countsLine(kindCounts(res.Ops)), fused, len(res.Rejects)+bad)
	return nil
}

// kindCounts counts the upserted entities by kind.
func kindCounts(ops []twin.Op) map[twin.Kind]int {
	counts := map[twin.Kind]int{}
	for _, op := range ops {
		if op.Type == twin.OpUpsert && op.Entity != nil {
			counts[op.Entity.Kind]++
		}
	}
	return counts
}

// applyFused applies upserts in batches, each first conflated with the
// buildings already in the twin (see ingest/fusion), each op on its own. It
// returns how many were refused and how many buildings were fused.
func applyFused(ctx context.Context, store *twin.Store, ops []twin.Op, rej *rejectWriter, source, path string) (bad, fused int, err error) {
	for start := 0; start < len(ops); start += 10_000 {
		batch, rep, err := fusion.Conflate(ctx, store, ops[start:min(start+10_000, len(ops))], fusion.DefaultOptions())
		if err != nil {
			return bad, fused, err
		}
		fused += rep.Fused
		n, err := applyEach(ctx, store, batch, rej, source, func(i int) string { return fmt.Sprintf("%s %s", path, batch[i].Entity.ID) })
		if err != nil {
			return bad, fused, err
		}
		bad += n
	}
	return bad, fused, nil
}

// linkSensors links every sensor to the building it is in or the road it is
// by, after the files are in.
func linkSensors(ctx context.Context, store *twin.Store, stdout io.Writer) error {
	ops, err := fusion.LinkSensors(ctx, store, fusion.DefaultOptions())
	if err != nil || len(ops) == 0 {
		return err
	}
	if _, err := store.ApplyContext(ctx, ops...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "linked %d sensors to the building they are in or the road they are by\n", len(ops))
	return nil
}

// countsLine says how many entities of each kind, in a stable order.
func countsLine(counts map[twin.Kind]int) string {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		name := twin.Kind(k).Plural()
		if counts[twin.Kind(k)] == 1 {
			name = k
		}
		parts[i] = fmt.Sprintf("%d %s", counts[twin.Kind(k)], name)
	}
	return strings.Join(parts, ", ")
}

// importGTFS reads a static GTFS feed: stops and routes become entities.
func importGTFS(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout io.Writer) error {
	feed, err := gtfs.ReadFile(ctx, path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range feed.Rejects {
		rej.add(ingest.DeadLetter{Source: "gtfs", Where: fmt.Sprintf("%s %s:%d %s", path, r.File, r.Line, r.Column), Reason: r.Reason})
	}
	ops, rejects := feed.Ops(gtfs.Options{Feed: filepath.Base(path), Time: time.Now()})
	for _, r := range rejects {
		rej.add(ingest.DeadLetter{Source: "gtfs", Where: fmt.Sprintf("%s %s:%d", path, r.File, r.Line), Reason: r.Reason})
	}
	bad, err := applyEach(ctx, store, ops, rej, "gtfs", func(i int) string { return fmt.Sprintf("%s %s", path, ops[i].Entity.ID) })
	if err != nil {
		return err
	}
	trips := 0
	if feed.Schedule != nil {
		trips = len(feed.Schedule.Trips)
	}
	fmt.Fprintf(stdout, "%s: GTFS, %d agencies, %d stops, %d routes, %d trips; %d entities upserted, %d rows rejected\n",
		path, len(feed.Agencies), len(feed.Stops), len(feed.Routes), trips, len(ops)-bad, len(feed.Rejects)+len(rejects)+bad)
	return nil
}

// countingReader counts the bytes read through it, for the progress bar.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// importTSBS streams a TSBS file into the twin: one goroutine reads and
// converts (with the decompression in another), this one applies, so that the
// cores overlap.
func importTSBS(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout, stderr io.Writer, quiet bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	cr := &countingReader{r: f}
	r, err := tsbs.NewReader(cr, path)
	if err != nil {
		return err
	}
	defer r.Close()
	opts := tsbs.DefaultOptions()
	opts.DeadLetter = rej.add
	feed, err := tsbs.NewFeed(r, opts)
	if err != nil {
		return err
	}
	bar := newBar(stderr, quiet, "import "+filepath.Base(path))
	start := time.Now()
	err = pipeTSBS(ctx, feed, store, func(tsbs.Batch) { bar.update(int(cr.n.Load()), int(info.Size())) })
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bar.update(int(info.Size()), int(info.Size()))
	took := time.Since(start)
	st := feed.Stats()
	fmt.Fprintf(stdout, "%s: %s format, %d rows (%d rejected), %d entities, %d values (%d observations, %d positions) in %.1f s: %.2fM values/s\n",
		path, r.Format(), st.Rows, st.RejectedRows(), st.Entities, st.Values(), st.Observations, st.Positions,
		took.Seconds(), float64(st.Values())/took.Seconds()/1e6)
	for reason, n := range st.Rejected {
		fmt.Fprintf(stdout, "  rejected %d rows: %s\n", n, reason)
	}
	if st.BlankFields > 0 || st.BlankTags > 0 {
		fmt.Fprintf(stdout, "  kept rows with %d blank fields (those values dropped) and %d blank tags\n", st.BlankFields, st.BlankTags)
	}
	return nil
}

func importGeoJSON(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout, stderr io.Writer, quiet bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	cr := &countingReader{r: f}
	bar := newBar(stderr, quiet || info.Size() < 16<<20, "import "+filepath.Base(path))
	var total, upserted, fused, rejected int
	opts := geojson.Options{Source: filepath.Base(path), Now: time.Now(), MaxFeatures: 100_000_000}
	err = geojson.Stream(ctx, cr, opts, 10_000, func(res geojson.Result) error {
		defer bar.update(int(cr.n.Load()), int(info.Size()))
		total += res.Total
		for _, r := range res.Rejects {
			rej.add(ingest.DeadLetter{Source: "import", Where: fmt.Sprintf("%s feature %d", path, r.Index), Reason: r.Reason})
		}
		bad, n, err := applyFused(ctx, store, res.Ops, rej, "geojson", path)
		upserted += len(res.Ops) - bad
		fused += n
		rejected += len(res.Rejects) + bad
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s: GeoJSON, %d features: %d entities upserted, %d fused with buildings already in the twin, %d rejected\n",
		path, total, upserted, fused, rejected)
	return nil
}

func importGTFSRT(ctx context.Context, store *twin.Store, path string, rej *rejectWriter, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	res, err := gtfsrt.Decode(data, gtfsrt.Options{Feed: path, Known: func(id twin.ID) bool { _, err := store.Get(id); return err == nil }})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range res.Rejects {
		rej.add(ingest.DeadLetter{Source: "gtfs-rt", Where: path, Reason: r.String()})
	}
	bad, err := applyEach(ctx, store, res.Ops, rej, "gtfs-rt", func(i int) string { return fmt.Sprintf("%s op %d", path, i) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d vehicles placed, %d rejected, %d ops refused\n", path, res.Vehicles, len(res.Rejects), bad)
	return nil
}

// applyEach applies ops each on its own and writes the refused ones to the
// rejects, saying where each came from; it returns how many were refused.
func applyEach(ctx context.Context, store *twin.Store, ops []twin.Op, rej *rejectWriter, source string, where func(i int) string) (int, error) {
	errs, _, err := store.ApplyEach(ctx, ops)
	if err != nil {
		return 0, err
	}
	bad := 0
	for i, e := range errs {
		if e != nil {
			bad++
			rej.add(ingest.DeadLetter{Source: source, Where: where(i), Reason: e.Error()})
		}
	}
	return bad, nil
}
