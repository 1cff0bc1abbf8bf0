package raster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"citytwin/geo/raster"
)

// ErrFormat reports input that is not a raster this package can read.
var ErrFormat = errors.New("raster: bad format")

// SyntaxError is a malformed ESRI ASCII grid, with the line where it went wrong.
type SyntaxError struct {
	Line   int // 1-based
	Reason string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("raster: asc line %d: %s", e.Line, e.Reason) }

// Is makes errors.Is(err, ErrFormat) true for a SyntaxError.
func (e *SyntaxError) Is(target error) bool { return target == ErrFormat }

// ReadASCFile reads an ESRI ASCII grid and, when there is one beside it, the
// .prj that names its CRS.
func ReadASCFile(path string) (*raster.Grid, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := ReadASC(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	g.CRS = siblingCRS(path)
	return g, nil
}

// siblingCRS reads the CRS from path's .prj, "" when there is none.
func siblingCRS(path string) string {
	base := strings.TrimSuffix(path, ext(path))
	for _, p := range []string{base + ".prj", base + ".PRJ"} {
		if b, err := os.ReadFile(p); err == nil {
			return CRSFromPRJ(string(b))
		}
	}
	return ""
}

func ext(path string) string {
	for i := len(path) - 1; i >= 0 && path[i] != '/' && path[i] != '\\'; i-- {
		if path[i] == '.' {
			return path[i:]
		}
	}
	return ""
}

// ReadASC reads an ESRI ASCII grid: a header of ncols, nrows, xllcorner or
// xllcenter, yllcorner or yllcenter, cellsize (or dx and dy) and an optional
// NODATA_value, keys in any case and order, then nrows × ncols values, north row
// first. The grid has no CRS; see ReadASCFile.
func ReadASC(r io.Reader) (*raster.Grid, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s := &ascScanner{data: bytes.TrimPrefix(data, []byte("\uFEFF")), line: 1}
	hdr := map[string]float64{}
	var tok []byte
	for {
		tok = s.next()
		if tok == nil {
			return nil, &SyntaxError{s.line, "no values after the header"}
		}
		if c := tok[0]; c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' {
			break
		}
		key := strings.ToLower(string(tok))
		line := s.line
		v := s.next()
		if v == nil || s.line != line {
			return nil, &SyntaxError{line, fmt.Sprintf("header %q without a value", key)}
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &SyntaxError{line, fmt.Sprintf("header %s: %q is not a number", key, v)}
		}
		if _, dup := hdr[key]; dup {
			return nil, &SyntaxError{line, fmt.Sprintf("header %s given twice", key)}
		}
		hdr[key] = f
	}
	g, err := ascGrid(hdr)
	if err != nil {
		return nil, &SyntaxError{s.line, err.Error()}
	}
	n := g.Width * g.Height
	g.Values = make([]float32, 0, min(n, 1<<20))
	for ; tok != nil; tok = s.next() {
		if len(g.Values) == n {
			return nil, &SyntaxError{s.line, fmt.Sprintf("more than %d values", n)}
		}
		f, err := strconv.ParseFloat(string(tok), 32)
		if err != nil {
			return nil, &SyntaxError{s.line, fmt.Sprintf("value %d: %q is not a number", len(g.Values)+1, tok)}
		}
		g.Values = append(g.Values, float32(f))
	}
	if len(g.Values) != n {
		return nil, &SyntaxError{s.line, fmt.Sprintf("%d values, want ncols × nrows = %d", len(g.Values), n)}
	}
	return g, nil
}

// ascGrid makes the grid (without values) that a header describes.
func ascGrid(h map[string]float64) (*raster.Grid, error) {
	for _, k := range []string{"ncols", "nrows"} {
		v, ok := h[k]
		if !ok {
			return nil, fmt.Errorf("header %s missing", k)
		}
		if v != math.Trunc(v) || v < 1 || v > raster.MaxCells {
			return nil, fmt.Errorf("header %s: %v is not a positive whole number", k, v)
		}
	}
	g := &raster.Grid{Width: int(h["ncols"]), Height: int(h["nrows"])}
	if cs, ok := h["cellsize"]; ok {
		g.CellX, g.CellY = cs, cs
	} else {
		dx, okx := h["dx"]
		dy, oky := h["dy"]
		if !okx || !oky {
			return nil, errors.New("header cellsize (or dx and dy) missing")
		}
		g.CellX, g.CellY = dx, dy
	}
	x, cx := h["xllcorner"]
	if !cx {
		var ok bool
		if x, ok = h["xllcenter"]; !ok {
			return nil, errors.New("header xllcorner or xllcenter missing")
		}
		x -= g.CellX / 2
	}
	y, cy := h["yllcorner"]
	if !cy {
		var ok bool
		if y, ok = h["yllcenter"]; !ok {
			return nil, errors.New("header yllcorner or yllcenter missing")
		}
		y -= g.CellY / 2
	}
	g.OriginX, g.OriginY = x, y+float64(g.Height)*g.CellY
	if nd, ok := h["nodata_value"]; ok {
		g.NoData, g.HasNoData = float32(nd), true
	}
	if err := g.ValidateShape(); err != nil {
		return nil, err
	}
	return g, nil
}

// ascScanner splits ASCII grid text into whitespace-separated tokens and counts
// lines.
type ascScanner struct {
	data []byte
	pos  int
	line int
}

func (s *ascScanner) next() []byte {
	d := s.data
	for s.pos < len(d) {
		c := d[s.pos]
		if c == '\n' {
			s.line++
		} else if c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v' {
			break
		}
		s.pos++
	}
	if s.pos >= len(d) {
		return nil
	}
	start := s.pos
	i := bytes.IndexAny(d[start:], " \t\r\n\f\v")
	if i < 0 {
		s.pos = len(d)
	} else {
		s.pos = start + i
	}
	return d[start:s.pos]
}
