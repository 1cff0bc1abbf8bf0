package datasets

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/paulmach/orb"
)

// TestDebugPicture draws the demo city as a PNG to $CITYTWIN_PICTURE, for a
// person to look at (skipped unless set; CITYTWIN_ZOOM=1 zooms in 4×).
func TestDebugPicture(t *testing.T) {
	path := os.Getenv("CITYTWIN_PICTURE")
	if path == "" {
		t.Skip("set CITYTWIN_PICTURE to draw the demo city")
	}
	c := demo(t)
	const size = 1400
	zoom := 1.0
	if os.Getenv("CITYTWIN_ZOOM") != "" {
		zoom = 4
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	scale := size / (2 * (c.Radius + 600)) * zoom
	px := func(p orb.Point) (int, int) {
		x, y := c.Frame.ToLocal(p)
		return int(size/2 + x*scale), int(size/2 - y*scale)
	}
	line := func(a, b orb.Point, col color.RGBA) {
		x0, y0 := px(a)
		x1, y1 := px(b)
		n := max(abs(x1-x0), abs(y1-y0), 1)
		for i := 0; i <= n; i++ {
			x := x0 + (x1-x0)*i/n
			y := y0 + (y1-y0)*i/n
			img.SetRGBA(x, y, col)
		}
	}
	for _, z := range c.Zones {
		col := color.RGBA{150, 220, 150, 255}
		if z.Kind == "parking" {
			col = color.RGBA{200, 200, 200, 255}
		}
		for k := 1; k < len(z.Polygon[0]); k++ {
			line(z.Polygon[0][k-1], z.Polygon[0][k], col)
		}
	}
	for _, b := range c.Buildings {
		var polys orb.MultiPolygon
		switch g := b.Footprint.(type) {
		case orb.Polygon:
			polys = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			polys = g
		}
		for _, p := range polys {
			for _, r := range p {
				for k := 1; k < len(r); k++ {
					line(r[k-1], r[k], color.RGBA{120, 60, 40, 255})
				}
			}
		}
	}
	for _, r := range c.Roads {
		col := color.RGBA{0, 0, 0, 255}
		switch r.Class {
		case Primary:
			col = color.RGBA{220, 40, 40, 255}
		case Secondary:
			col = color.RGBA{230, 150, 0, 255}
		case Motorway:
			col = color.RGBA{40, 40, 220, 255}
		case Service:
			col = color.RGBA{140, 140, 140, 255}
		}
		for k := 1; k < len(r.Line); k++ {
			line(r.Line[k-1], r.Line[k], col)
		}
	}
	for _, s := range c.Sensors {
		x, y := px(s.Point)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				img.SetRGBA(x+dx, y+dy, color.RGBA{0, 160, 220, 255})
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
