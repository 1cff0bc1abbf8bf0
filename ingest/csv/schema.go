package csv

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// The header names, lower case, in the order they are looked for.
var (
	latNames = []string{"latitude", "lat", "y"}
	lonNames = []string{"longitude", "lon", "lng", "long", "x"}
	wktNames = []string{"wkt", "geometry", "geom", "the_geom"}
	idNames  = []string{"id", "identifier", "fid"}
)

// schema is what the header says each column is for; -1 marks an absent one.
type schema struct {
	header                    []string // as written, trimmed
	width                     int
	id, kind                  int
	lat, lon, wkt             int
	height, minHeight, levels int
	props                     []propColumn // sorted by key
}

type propColumn struct {
	key   string
	index int
}

func (s *schema) name(i int) string {
	if i < 0 {
		return ""
	}
	return s.header[i]
}

func newSchema(header []string, opts *Options) (*schema, error) {
	s := &schema{width: len(header), id: -1, kind: -1, lat: -1, lon: -1, wkt: -1, height: -1, minHeight: -1, levels: -1}
	s.header = make([]string, len(header))
	for i, h := range header {
		s.header[i] = strings.TrimSpace(h)
	}
	find := func(names ...string) int {
		for _, n := range names {
			for i, h := range s.header {
				if strings.EqualFold(h, n) {
					return i
				}
			}
		}
		return -1
	}
	override := func(opt, what string) (int, error) {
		if opt == "" {
			return -1, nil
		}
		if i := find(opt); i >= 0 {
			return i, nil
		}
		return -1, fmt.Errorf("%w: %s column %q", ErrNoColumn, what, opt)
	}
	var err error
	if s.id, err = override(opts.IDColumn, "id"); err != nil {
		return nil, err
	}
	if s.id < 0 {
		s.id = find(idNames...)
	}
	if s.id < 0 {
		return nil, ErrNoIDColumn
	}
	if err := s.findGeometry(opts, find, override); err != nil {
		return nil, err
	}
	s.kind = find("kind")
	s.height = find("height")
	s.minHeight = find("min_height")
	s.levels = find("levels")

	used := map[int]bool{s.id: true, s.kind: true, s.lat: true, s.lon: true, s.wkt: true,
		s.height: true, s.minHeight: true, s.levels: true}
	seen := map[string]bool{}
	for i, h := range s.header {
		if used[i] || h == "" { // a nameless column (a trailing delimiter) holds nothing to keep
			continue
		}
		if seen[h] {
			return nil, fmt.Errorf("%w: column %q appears twice", ErrHeader, h)
		}
		if len(h) > 256 {
			return nil, fmt.Errorf("%w: column %.40q… is longer than 256 bytes", ErrHeader, h)
		}
		seen[h] = true
		s.props = append(s.props, propColumn{key: h, index: i})
	}
	slices.SortFunc(s.props, func(a, b propColumn) int { return strings.Compare(a.key, b.key) })
	return s, nil
}

// findGeometry picks the geometry columns: the overrides, else a WKT column,
// else a lat and a lon column.
func (s *schema) findGeometry(opts *Options, find func(...string) int, override func(string, string) (int, error)) error {
	var err error
	if opts.WKTColumn != "" {
		s.wkt, err = override(opts.WKTColumn, "wkt")
		return err
	}
	if opts.LatColumn != "" || opts.LonColumn != "" {
		if s.lat, err = override(opts.LatColumn, "lat"); err != nil {
			return err
		}
		if s.lon, err = override(opts.LonColumn, "lon"); err != nil {
			return err
		}
		if s.lat < 0 {
			s.lat = find(latNames...)
		}
		if s.lon < 0 {
			s.lon = find(lonNames...)
		}
		if s.lat < 0 || s.lon < 0 || s.lat == s.lon {
			return fmt.Errorf("%w: need both a lat and a lon column", ErrNoGeometry)
		}
		return nil
	}
	if s.wkt = find(wktNames...); s.wkt >= 0 {
		return nil
	}
	s.lat, s.lon = find(latNames...), find(lonNames...)
	if s.lat < 0 || s.lon < 0 {
		s.lat, s.lon = -1, -1
		return ErrNoGeometry
	}
	return nil
}

// sniff picks the delimiter of the header line: whichever of ',', ';' and tab
// occurs most often outside quotes, ',' on a tie or when none does.
func sniff(br *bufio.Reader) rune {
	b, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	var comma, semi, tab int
	quoted := false
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			comma++
		case c == ';':
			semi++
		case c == '\t':
			tab++
		}
	}
	switch {
	case semi > comma && semi >= tab:
		return ';'
	case tab > comma && tab > semi:
		return '\t'
	}
	return ','
}
