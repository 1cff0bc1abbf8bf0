package cql2

import (
	"fmt"
	"strings"

	"citytwin/geo"

	"github.com/paulmach/orb"
)

// Geometry literals: WKT (lon lat, CRS84) and BBOX. A third coordinate is
// accepted, as the standard allows, and dropped: the twin is flat.

var wktNames = map[string]bool{
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true,
}

// parseWKT reads the body of a WKT geometry whose type name was just read.
func (p *parser) parseWKT(name string, pos int) (orb.Geometry, error) {
	if p.keyword("Z") {
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	switch name {
	case "POINT":
		if err := p.expect(tLParen, `"("`); err != nil {
			return nil, err
		}
		pt, err := p.coord()
		if err != nil {
			return nil, err
		}
		return pt, p.expect(tRParen, `")"`)
	case "LINESTRING":
		return p.lineText()
	case "POLYGON":
		return p.polygonText()
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.list(func() error {
			var pt orb.Point
			var err error
			if p.tok.kind == tLParen {
				if err = p.advance(); err != nil {
					return err
				}
				if pt, err = p.coord(); err != nil {
					return err
				}
				err = p.expect(tRParen, `")"`)
			} else {
				pt, err = p.coord()
			}
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(func() error {
			l, err := p.lineText()
			ml = append(ml, l)
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(func() error {
			poly, err := p.polygonText()
			mp = append(mp, poly)
			return err
		})
		return mp, err
	case "GEOMETRYCOLLECTION":
		var c orb.Collection
		err := p.list(func() error {
			t := p.tok
			name := strings.ToUpper(t.text)
			if t.kind != tIdent || !wktNames[name] {
				return p.expected("a WKT geometry")
			}
			if err := p.enter(); err != nil {
				return err
			}
			defer p.leave()
			if err := p.advance(); err != nil {
				return err
			}
			g, err := p.parseWKT(name, t.pos)
			c = append(c, g)
			return err
		})
		return c, err
	}
	return nil, p.errf(pos, "unknown geometry %s", name)
}

// list reads "(" item {"," item} ")".
func (p *parser) list(item func() error) error {
	if err := p.expect(tLParen, `"("`); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.tok.kind != tComma {
			break
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	return p.expect(tRParen, `"," or ")"`)
}

func (p *parser) lineText() (orb.LineString, error) {
	pos := p.tok.pos
	var l orb.LineString
	err := p.list(func() error {
		pt, err := p.coord()
		l = append(l, pt)
		return err
	})
	if err == nil && len(l) < 2 {
		err = p.errf(pos, "a line needs at least 2 points")
	}
	return l, err
}

func (p *parser) polygonText() (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.list(func() error {
		pos := p.tok.pos
		l, err := p.lineText()
		if err != nil {
			return err
		}
		if len(l) < 4 || l[0] != l[len(l)-1] {
			return p.errf(pos, "a polygon ring needs at least 4 points, the last equal to the first")
		}
		poly = append(poly, orb.Ring(l))
		return nil
	})
	return poly, err
}

// coord reads "x y [z]".
func (p *parser) coord() (orb.Point, error) {
	p.points++
	if p.points > MaxPoints {
		return orb.Point{}, &SyntaxError{Offset: p.tok.pos, Msg: fmt.Sprintf("geometry literals hold more than %d coordinates", MaxPoints), Err: ErrLimit}
	}
	x, err := p.signedNumber()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.signedNumber()
	if err != nil {
		return orb.Point{}, err
	}
	if p.tok.kind == tNumber || p.tok.kind == tMinus {
		if _, err := p.signedNumber(); err != nil {
			return orb.Point{}, err
		}
	}
	return orb.Point{x, y}, nil
}

func (p *parser) signedNumber() (float64, error) {
	sign := 1.0
	if p.tok.kind == tMinus {
		sign = -1
		if err := p.advance(); err != nil {
			return 0, err
		}
	}
	if p.tok.kind != tNumber {
		return 0, p.expected("a number")
	}
	f := sign * p.tok.num
	return f, p.advance()
}

// parseBBox reads BBOX(minx, miny, maxx, maxy) or its 6-number 3D form. A box
// with minx > maxx crosses the antimeridian (geo.SplitBound).
func (p *parser) parseBBox(pos int) (item, error) {
	if err := p.advance(); err != nil {
		return item{}, err
	}
	var nums []float64
	err := p.list(func() error {
		if len(nums) == 6 {
			return p.errf(p.tok.pos, "BBOX takes 4 or 6 numbers")
		}
		f, err := p.signedNumber()
		nums = append(nums, f)
		return err
	})
	if err != nil {
		return item{}, err
	}
	var b [4]float64
	switch len(nums) {
	case 4:
		copy(b[:], nums)
	case 6:
		b = [4]float64{nums[0], nums[1], nums[3], nums[4]}
	default:
		return item{}, p.errf(pos, "BBOX takes 4 or 6 numbers, found %d", len(nums))
	}
	boxes := geo.SplitBound(b[0], b[1], b[2], b[3])
	var g orb.Geometry
	switch len(boxes) {
	case 0:
		return item{}, p.errf(pos, "BBOX has its south edge above its north edge")
	case 1:
		g = boxes[0]
	default:
		c := make(orb.Collection, len(boxes))
		for i, b := range boxes {
			c[i] = b
		}
		g = c
	}
	return item{v: &lit{v: geom(g), bbox: nums}, pos: pos}, nil
}

func writeWKT(b *strings.Builder, g orb.Geometry) {
	pt := func(q orb.Point) {
		b.WriteString(formatNum(q[0]))
		b.WriteByte(' ')
		b.WriteString(formatNum(q[1]))
	}
	pts := func(l []orb.Point) {
		b.WriteByte('(')
		for i, q := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			pt(q)
		}
		b.WriteByte(')')
	}
	poly := func(p orb.Polygon) {
		b.WriteByte('(')
		for i, r := range p {
			if i > 0 {
				b.WriteString(", ")
			}
			pts(r)
		}
		b.WriteByte(')')
	}
	switch g := g.(type) {
	case orb.Point:
		b.WriteString("POINT(")
		pt(g)
		b.WriteByte(')')
	case orb.LineString:
		b.WriteString("LINESTRING")
		pts(g)
	case orb.Polygon:
		b.WriteString("POLYGON")
		poly(g)
	case orb.MultiPoint:
		b.WriteString("MULTIPOINT(")
		for i, q := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			pts([]orb.Point{q})
		}
		b.WriteByte(')')
	case orb.MultiLineString:
		b.WriteString("MULTILINESTRING(")
		for i, l := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			pts(l)
		}
		b.WriteByte(')')
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, p := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			poly(p)
		}
		b.WriteByte(')')
	case orb.Collection:
		b.WriteString("GEOMETRYCOLLECTION(")
		for i, c := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writeWKT(b, c)
		}
		b.WriteByte(')')
	}
}
