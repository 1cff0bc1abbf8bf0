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
	"strings"
	"sync/atomic"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/importer"
	"citytwin/twin"
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
  Elevation grids (ESRI ASCII .asc, GeoTIFF): an elevation_model entity with the
      grid's outline and range; the file is kept in DIR/rasters for simulations
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
	format := fs.String("format", "", "the files' format when their content does not tell: "+strings.Join(importer.Formats, ", "))
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
		bar := newBar(stderr, *quiet, "import "+filepath.Base(path))
		opts := importer.Options{Format: *format, Reject: rej.add, DataDir: *sf.data, Progress: func(done, total int64) {
			if total > 16<<20 {
				bar.update(int(done), int(total))
			}
		}}
		var sum importer.Summary
		if sum, err = importer.File(ctx, store, path, opts); err != nil {
			break
		}
		fmt.Fprintln(stdout, sum)
	}
	if err == nil {
		var n int
		if n, err = importer.LinkSensors(ctx, store); n > 0 {
			fmt.Fprintf(stdout, "linked %d sensors to the building they are in or the road they are by\n", n)
		}
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
