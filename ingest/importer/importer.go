// Package importer reads whole files of any format citytwin knows into a twin:
// it tells the format from the content, runs the format's decoder, fuses
// buildings with those already in the twin (ingest/fusion), applies each op on
// its own through the log, and sums up what happened. The command line's
// import and the HTTP API's imports both use it.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

// Options say how to import a file.
type Options struct {
	Format   string                  // one of Formats; "" tells it from the content
	Reject   func(ingest.DeadLetter) // receives every rejected record (nil: counted only)
	Progress func(done, total int64) // bytes read of the file, for a progress bar (large files)
	Fusion   fusion.Options          // zero: fusion.DefaultOptions()
	DataDir  string                  // the twin's directory: rasters are copied to DataDir/rasters
}

// ErrUnknownFormat is returned when a file's format cannot be told.
var ErrUnknownFormat = errors.New("importer: unknown format")

// Summary says what an import did.
type Summary struct {
	Path     string            `json:"path"`
	Format   string            `json:"format"`
	Detail   string            `json:"detail,omitempty"` // the format's own account: version, CRS, node counts, …
	Records  int               `json:"records"`          // features, rows, objects read
	Kinds    map[twin.Kind]int `json:"kinds,omitempty"`  // entities upserted by kind
	Upserted int               `json:"upserted"`
	Fused    int               `json:"fused"` // buildings merged into one of another source
	Rejected int               `json:"rejected"`
	Notes    []string          `json:"notes,omitempty"`
	Took     time.Duration     `json:"-"`
	Values   int64             `json:"values,omitempty"` // readings and positions (TSBS)
}

// String is the summary a person reads: one line, then notes.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", s.Path, s.Format)
	if s.Detail != "" {
		b.WriteString(" " + s.Detail)
	}
	fmt.Fprintf(&b, ", %d records", s.Records)
	if len(s.Kinds) > 0 {
		b.WriteString(": " + countsLine(s.Kinds))
	}
	if s.Values > 0 {
		fmt.Fprintf(&b, "; %d values in %.1f s: %.2fM values/s", s.Values, s.Took.Seconds(), float64(s.Values)/s.Took.Seconds()/1e6)
	}
	fmt.Fprintf(&b, "; %d fused with buildings already in the twin; %d rejected", s.Fused, s.Rejected)
	for _, n := range s.Notes {
		b.WriteString("\n  " + n)
	}
	return b.String()
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

// run is one import in progress.
type run struct {
	ctx   context.Context
	store *twin.Store
	path  string
	o     Options
	sum   Summary
}

func (r *run) reject(dl ingest.DeadLetter) {
	r.sum.Rejected++
	if r.o.Reject != nil {
		if dl.Time.IsZero() {
			dl.Time = time.Now().UTC()
		}
		r.o.Reject(dl)
	}
}

// File imports one file.
func File(ctx context.Context, store *twin.Store, path string, opts Options) (Summary, error) {
	if opts.Format == "" {
		var err error
		if opts.Format, err = Detect(path); err != nil {
			return Summary{}, err
		}
	}
	if opts.Fusion.MinIoU == 0 {
		opts.Fusion = fusion.DefaultOptions()
	}
	r := &run{ctx: ctx, store: store, path: path, o: opts, sum: Summary{Path: path, Format: opts.Format, Kinds: map[twin.Kind]int{}}}
	start := time.Now()
	var err error
	switch opts.Format {
	case formatGeoJSON:
		err = r.geoJSON()
	case formatGTFSRT:
		err = r.gtfsRT()
	case formatGTFS:
		err = r.gtfs()
	case formatOSM:
		err = r.osm()
	case formatCityJSON:
		err = r.cityJSON()
	case formatIFC:
		err = r.ifc()
	case formatCSV:
		err = r.csv()
	case formatTSBS:
		err = r.tsbs()
	case formatRaster:
		err = r.raster()
	default:
		return Summary{}, fmt.Errorf("%w %q: want one of %s", ErrUnknownFormat, opts.Format, strings.Join(Formats, ", "))
	}
	r.sum.Took = time.Since(start)
	if err != nil {
		return r.sum, fmt.Errorf("%s: %w", path, err)
	}
	return r.sum, nil
}

// LinkSensors links every sensor to the building it is in or the road it is
// by; it returns how many links changed.
func LinkSensors(ctx context.Context, store *twin.Store) (int, error) {
	ops, err := fusion.LinkSensors(ctx, store, fusion.DefaultOptions())
	if err != nil || len(ops) == 0 {
		return 0, err
	}
	if _, err := store.ApplyContext(ctx, ops...); err != nil {
		return 0, err
	}
	return len(ops), nil
}

// apply applies ops each on its own, first conflated with the buildings in
// the twin when fuse is set, in batches; refused ops are rejects.
func (r *run) apply(ops []twin.Op, source string, fuse bool) error {
	for start := 0; start < len(ops); start += 10_000 {
		batch := ops[start:min(start+10_000, len(ops))]
		if fuse {
			var rep fusion.Report
			var err error
			if batch, rep, err = fusion.Conflate(r.ctx, r.store, batch, r.o.Fusion); err != nil {
				return err
			}
			r.sum.Fused += rep.Fused
		}
		errs, _, err := r.store.ApplyEach(r.ctx, batch)
		if err != nil {
			return err
		}
		for i, e := range errs {
			op := &batch[i]
			if e != nil {
				r.reject(ingest.DeadLetter{Source: source, Where: fmt.Sprintf("%s %s", r.path, opID(op)), Reason: e.Error()})
				continue
			}
			if op.Type == twin.OpUpsert && op.Entity != nil {
				r.sum.Upserted++
				r.sum.Kinds[op.Entity.Kind]++
			}
		}
	}
	return nil
}

func opID(op *twin.Op) twin.ID {
	switch {
	case op.Entity != nil:
		return op.Entity.ID
	case len(op.Observations) > 0:
		return op.Observations[0].ID
	case len(op.Positions) > 0:
		return op.Positions[0].ID
	}
	return op.ID
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// open opens the file for a streaming decoder. Progress is reported every
// progressEvery while the file is open (decoders that read the whole file in
// one call report nothing themselves) and whenever progress is called; the
// calls never overlap.
func (r *run) open() (*countingReader, func(), func() error, error) {
	f, err := os.Open(r.path)
	if err != nil {
		return nil, nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	cr := &countingReader{r: f}
	if r.o.Progress == nil {
		return cr, func() {}, f.Close, nil
	}
	var mu sync.Mutex
	progress := func() {
		mu.Lock()
		defer mu.Unlock()
		r.o.Progress(cr.n.Load(), info.Size())
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				progress()
			}
		}
	})
	closeFile := func() error {
		close(stop)
		wg.Wait()
		return f.Close()
	}
	return cr, progress, closeFile, nil
}

// progressEvery is how often a file being read reports its progress.
const progressEvery = 250 * time.Millisecond

func (r *run) osm() error {
	cr, progress, closeFile, err := r.open()
	if err != nil {
		return err
	}
	defer closeFile()
	opts := osm.DefaultOptions()
	opts.Name = filepath.Base(r.path)
	res, err := osm.Read(r.ctx, cr, opts)
	if err != nil {
		return err
	}
	progress()
	for _, j := range res.Rejects {
		r.reject(ingest.DeadLetter{Source: "osm", Where: fmt.Sprintf("%s %s/%d", r.path, j.Type, j.ID), Reason: j.Reason})
	}
	r.sum.Records = res.Stats.Nodes + res.Stats.Ways + res.Stats.Relations
	r.sum.Detail = fmt.Sprintf("%s (%d nodes, %d ways, %d relations)", res.Stats.Format, res.Stats.Nodes, res.Stats.Ways, res.Stats.Relations)
	if res.Graph != nil {
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("road graph: %d nodes, %d directed edges", len(res.Graph.Nodes), len(res.Graph.Edges)))
	}
	return r.apply(res.Ops, "osm", true)
}

func (r *run) cityJSON() error {
	cr, progress, closeFile, err := r.open()
	if err != nil {
		return err
	}
	defer closeFile()
	res, err := cityjson.Read(r.ctx, cr, cityjson.Options{})
	if err != nil {
		return err
	}
	progress()
	for _, j := range res.Rejects {
		r.reject(ingest.DeadLetter{Source: "cityjson", Where: fmt.Sprintf("%s %s line %d", r.path, j.ID, j.Line), Reason: j.Reason})
	}
	r.sum.Records = len(res.Objects)
	r.sum.Detail = fmt.Sprintf("%s in %s", res.Meta.Version, res.Meta.CRS)
	if err := r.apply(res.Ops, "cityjson", true); err != nil {
		return err
	}
	return r.saveCityJSONMeshes(res)
}

func (r *run) ifc() error {
	toWGS84 := func(name string, x, y float64) (float64, float64, error) {
		t, err := crs.For(name)
		if err != nil {
			return 0, 0, err
		}
		p, err := t.ToLonLat(orb.Point{x, y})
		return p[0], p[1], err
	}
	res, err := ifc.DecodeFile(r.ctx, r.path, ifc.Options{Name: filepath.Base(r.path), ToWGS84: toWGS84})
	if err != nil {
		return err
	}
	for _, j := range res.Rejects {
		r.reject(ingest.DeadLetter{Source: "ifc", Where: fmt.Sprintf("%s line %d #%d", r.path, j.Line, j.ID), Reason: j.Reason})
	}
	r.sum.Rejected += res.Rejected - len(res.Rejects) // rejects beyond those listed
	r.sum.Records = res.Entities
	r.sum.Detail = res.Model.Schema
	if err := r.saveIFCMeshes(res.Ops); err != nil {
		return err
	}
	return r.apply(res.Ops, "ifc", true)
}

func (r *run) csv() error {
	cr, progress, closeFile, err := r.open()
	if err != nil {
		return err
	}
	defer closeFile()
	res, err := csv.Read(r.ctx, cr, csv.Options{Source: filepath.Base(r.path), Now: time.Now(), MaxFeatures: 100_000_000})
	if err != nil {
		return err
	}
	progress()
	for _, j := range res.Rejects {
		r.reject(ingest.DeadLetter{Source: "csv", Where: fmt.Sprintf("%s line %d", r.path, j.Line), Reason: j.Reason})
	}
	r.sum.Records = res.Total
	return r.apply(res.Ops, "csv", true)
}

func (r *run) gtfs() error {
	feed, err := gtfs.ReadFile(r.ctx, r.path)
	if err != nil {
		return err
	}
	for _, j := range feed.Rejects {
		r.reject(ingest.DeadLetter{Source: "gtfs", Where: fmt.Sprintf("%s %s:%d %s", r.path, j.File, j.Line, j.Column), Reason: j.Reason})
	}
	ops, rejects := feed.Ops(gtfs.Options{Feed: filepath.Base(r.path), Time: time.Now()})
	for _, j := range rejects {
		r.reject(ingest.DeadLetter{Source: "gtfs", Where: fmt.Sprintf("%s %s:%d", r.path, j.File, j.Line), Reason: j.Reason})
	}
	trips := 0
	if feed.Schedule != nil {
		trips = len(feed.Schedule.Trips)
	}
	r.sum.Records = len(feed.Stops) + len(feed.Routes)
	r.sum.Detail = fmt.Sprintf("(%d agencies, %d stops, %d routes, %d trips)", len(feed.Agencies), len(feed.Stops), len(feed.Routes), trips)
	return r.apply(ops, "gtfs", false)
}

func (r *run) gtfsRT() error {
	data, err := os.ReadFile(r.path)
	if err != nil {
		return err
	}
	known := func(id twin.ID) bool { _, err := r.store.Get(id); return err == nil }
	res, err := gtfsrt.Decode(data, gtfsrt.Options{Feed: r.path, Known: known})
	if err != nil {
		return err
	}
	for _, j := range res.Rejects {
		r.reject(ingest.DeadLetter{Source: "gtfs-rt", Where: r.path, Reason: j.String()})
	}
	r.sum.Records = res.Vehicles + len(res.Rejects)
	r.sum.Detail = fmt.Sprintf("(%d vehicles placed)", res.Vehicles)
	return r.apply(res.Ops, "gtfs-rt", false)
}

func (r *run) geoJSON() error {
	cr, progress, closeFile, err := r.open()
	if err != nil {
		return err
	}
	defer closeFile()
	opts := geojson.Options{Source: filepath.Base(r.path), Now: time.Now(), MaxFeatures: 100_000_000}
	return geojson.Stream(r.ctx, cr, opts, 10_000, func(res geojson.Result) error {
		defer progress()
		r.sum.Records += res.Total
		for _, j := range res.Rejects {
			r.reject(ingest.DeadLetter{Source: "geojson", Where: fmt.Sprintf("%s feature %d", r.path, j.Index), Reason: j.Reason})
		}
		return r.apply(res.Ops, "geojson", true)
	})
}

// tsbs streams a TSBS file: one goroutine reads and converts (with the
// decompression in another), this one applies, so that the cores overlap.
func (r *run) tsbs() error {
	cr, progress, closeFile, err := r.open()
	if err != nil {
		return err
	}
	defer closeFile()
	rd, err := tsbs.NewReader(cr, r.path)
	if err != nil {
		return err
	}
	defer rd.Close()
	opts := tsbs.DefaultOptions()
	opts.DeadLetter = r.reject
	feed, err := tsbs.NewFeed(rd, opts)
	if err != nil {
		return err
	}
	if err := PipeTSBS(r.ctx, feed, r.store, func(tsbs.Batch) { progress() }); err != nil {
		return err
	}
	st := feed.Stats()
	r.sum.Format += " (" + rd.Format().String() + ")"
	r.sum.Records = int(st.Rows)
	r.sum.Values = st.Values()
	r.sum.Upserted = int(st.Entities)
	r.sum.Detail = fmt.Sprintf("(%d entities, %d observations, %d positions)", st.Entities, st.Observations, st.Positions)
	for reason, n := range st.Rejected {
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("rejected %d rows: %s", n, reason))
	}
	if st.BlankFields > 0 || st.BlankTags > 0 {
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("kept rows with %d blank fields (those values dropped) and %d blank tags", st.BlankFields, st.BlankTags))
	}
	return nil
}

// PipeTSBS reads a TSBS feed's batches on one goroutine and applies them on
// this one; done is called after each batch is applied.
func PipeTSBS(ctx context.Context, feed *tsbs.Feed, s *twin.Store, done func(tsbs.Batch)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan tsbs.Batch, 4)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for {
			b, err := feed.Next(ctx)
			if len(b.Ops) > 0 || b.Rows > 0 {
				select {
				case batches <- b:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()
	for b := range batches {
		if _, err := s.ApplyContext(ctx, b.Ops...); err != nil {
			return fmt.Errorf("line %d: %w", b.Line, err)
		}
		if done != nil {
			done(b)
		}
	}
	return <-readErr
}
