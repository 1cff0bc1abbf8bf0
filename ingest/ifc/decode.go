package ifc

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"citytwin/twin"
)

// Options set how an IFC file becomes twin entities.
type Options struct {
	// Name is the file name used in provenance notes ("<Name> #<id>").
	Name string
	// Now is the provenance time; zero means time.Now().
	Now time.Time
	// ToWGS84 converts projected coordinates of crs (e.g. "EPSG:25832") to
	// lon/lat. It is needed only for files with an IfcMapConversion.
	ToWGS84 func(crs string, x, y float64) (lon, lat float64, err error)
}

// Result is what Decode makes of a file.
type Result struct {
	Model    *Model
	Ops      []twin.Op // upserts: buildings, then their storeys and spaces
	Rejects  []Reject  // at most 1000 are kept; Rejected counts them all
	Rejected int
	Bytes    int64 // STEP text read
	Entities int   // instances read
}

// Source is the provenance source of everything read here.
const Source = "ifc"

// DecodeFile decodes the IFC file at path; Options.Name defaults to its base name.
func DecodeFile(ctx context.Context, path string, opts Options) (*Result, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ifc: %w", err)
	}
	defer fh.Close()
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	return Decode(ctx, fh, opts)
}

// Decode reads an IFC STEP file and turns its buildings, storeys and spaces
// into upsert ops. Without a georeference the Model is still returned, with
// no ops and ErrNoGeoreference (or ErrNoToWGS84 for a map conversion).
func Decode(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	f, err := Parse(ctx, r)
	if err != nil {
		return nil, err
	}
	m, err := BuildModel(f)
	res := &Result{Model: m, Bytes: f.Bytes, Entities: len(f.Instances)}
	defer func() { res.Rejects, res.Rejected = f.Rejects, f.Rejected }()
	if err != nil {
		return res, err
	}
	m.toWGS84 = opts.ToWGS84
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	e := &emitter{m: m, opts: &opts, f: f}
	for i := range m.Buildings {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		ops, err := e.building(&m.Buildings[i])
		if err != nil {
			return res, err
		}
		res.Ops = append(res.Ops, ops...)
	}
	return res, nil
}

type emitter struct {
	m    *Model
	opts *Options
	f    *File
}

func entityID(o Object) twin.ID {
	if o.GlobalID != "" {
		return twin.ID("ifc:" + o.GlobalID)
	}
	return twin.ID(fmt.Sprintf("ifc:step-%d", o.StepID))
}

func (e *emitter) prov(o Object) []twin.Provenance {
	return []twin.Provenance{{Source: Source, Time: e.opts.Now, Note: fmt.Sprintf("%s #%d", e.opts.Name, o.StepID)}}
}

// polygon maps a world ring to a WGS84 polygon; nil ring gives nil.
func (e *emitter) polygon(r orb.Ring) (orb.Geometry, error) {
	if len(r) < 4 {
		return nil, nil
	}
	ll, err := e.m.ringToLonLat(r)
	if err != nil {
		return nil, err
	}
	return orb.Polygon{ll}, nil
}

func setText(p map[string]any, k, v string) {
	if v != "" {
		p[k] = v
	}
}

func (e *emitter) upsert(ent *twin.Entity, props map[string]any) (twin.Op, error) {
	ps, err := twin.PropertiesOf(props)
	if err != nil {
		return twin.Op{}, fmt.Errorf("ifc: %s: %w", ent.ID, err)
	}
	ent.Props = ps
	op := twin.Op{Type: twin.OpUpsert, Source: Source, Entity: ent}
	if err := op.Validate(); err != nil {
		return twin.Op{}, fmt.Errorf("ifc: %w", err)
	}
	return op, nil
}

func (e *emitter) building(b *Building) ([]twin.Op, error) {
	geom, err := e.polygon(b.Footprint)
	if err != nil {
		return nil, err
	}
	if geom == nil {
		// No usable geometry: place the building at the site's reference.
		p, err := e.m.ToLonLat(e.m.Site.Origin[0], e.m.Site.Origin[1])
		if err != nil {
			return nil, err
		}
		geom = p
	}
	bid := entityID(b.Object)
	props := map[string]any{"ifc_schema": e.m.Schema, "ifc_type": b.Type}
	setText(props, "name", b.Name)
	setText(props, "description", b.Description)
	setText(props, "long_name", b.LongName)
	setText(props, "address", b.Address)
	setText(props, "project", e.m.Project.Name)
	setText(props, "site", e.m.Site.Name)
	if e.m.Site.HasRef {
		props["site_elevation_m"] = e.m.Site.RefElevation
	}
	for typ, n := range b.Elements {
		props["count_"+strings.ToLower(typ)] = n
	}
	bent := &twin.Entity{ID: bid, Kind: twin.KindBuilding, Geometry: geom, Height: b.Height,
		Levels: min(len(b.Storeys), 500), Provenance: e.prov(b.Object)}
	op, err := e.upsert(bent, props)
	if err != nil {
		return nil, err
	}
	ops := []twin.Op{op}
	for i := range b.Storeys {
		st := &b.Storeys[i]
		sgeom, err := e.polygon(st.Footprint)
		if err != nil {
			return nil, err
		}
		if sgeom == nil {
			sgeom = geom
		}
		sid := entityID(st.Object)
		rel := st.Elevation - (b.Base)
		height := st.Top - b.Base
		if i+1 < len(b.Storeys) {
			// A storey reaches up to the next one.
			height = b.Storeys[i+1].Elevation - b.Base
		}
		sent := &twin.Entity{ID: sid, Kind: twin.KindStorey, Geometry: sgeom,
			MinHeight: max(rel, 0), Height: max(height, rel, 0), Levels: 1,
			Links: []twin.Link{{Rel: "part_of", To: bid}}, Provenance: e.prov(st.Object)}
		sprops := map[string]any{"elevation_m": st.Elevation, "ifc_type": st.Type}
		setText(sprops, "name", st.Name)
		setText(sprops, "long_name", st.LongName)
		setText(sprops, "description", st.Description)
		op, err := e.upsert(sent, sprops)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		spaces := append([]Space(nil), st.Spaces...)
		sort.SliceStable(spaces, func(i, j int) bool { return spaces[i].StepID < spaces[j].StepID })
		for j := range spaces {
			sp := &spaces[j]
			pgeom, err := e.polygon(sp.Footprint)
			if err != nil {
				return nil, err
			}
			if pgeom == nil {
				pgeom = sgeom
			}
			pent := &twin.Entity{ID: entityID(sp.Object), Kind: twin.KindSpace, Geometry: pgeom,
				MinHeight: sent.MinHeight, Height: sent.Height,
				Links:      []twin.Link{{Rel: "part_of", To: sid}, {Rel: "part_of", To: bid}},
				Provenance: e.prov(sp.Object)}
			pprops := map[string]any{"ifc_type": sp.Type}
			setText(pprops, "name", sp.Name)
			setText(pprops, "long_name", sp.LongName)
			setText(pprops, "description", sp.Description)
			if sp.Area > 0 {
				pprops["area_m2"] = sp.Area
			}
			op, err := e.upsert(pent, pprops)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
	}
	return ops, nil
}
