package mesh

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// box is a closed unit-ish box as CityJSON would give it, at lon/lat.
func box(lon, lat, h float64) Mesh {
	const d = 1e-4
	p := func(x, y, z float64) Point3 { return Point3{lon + x*d, lat + y*d, z} }
	return Mesh{LoD: "2.2", Ground: -0.5, Surfaces: []Surface{
		{Semantic: Ground, Rings: [][]Point3{{p(0, 0, 0), p(0, 1, 0), p(1, 1, 0), p(1, 0, 0)}}},
		{Semantic: Roof, Rings: [][]Point3{{p(0, 0, h), p(1, 0, h), p(1, 1, h), p(0, 1, h)}, {p(0.4, 0.4, h), p(0.4, 0.6, h), p(0.6, 0.6, h), p(0.6, 0.4, h)}}},
		{Semantic: Wall, Rings: [][]Point3{{p(0, 0, 0), p(1, 0, 0), p(1, 0, h), p(0, 0, h)}}},
		{Rings: [][]Point3{{p(1, 0, 0), p(1, 1, 0), p(1, 1, h)}}},
	}}
}

func randomMesh(r *rand.Rand) Mesh {
	m := Mesh{LoD: "1", Ground: r.Float64() * 10}
	for range 1 + r.IntN(8) {
		var s Surface
		s.Semantic = []string{Roof, Wall, Ground, "", "+Custom"}[r.IntN(5)]
		for range 1 + r.IntN(3) {
			ring := make([]Point3, 3+r.IntN(10))
			for i := range ring {
				ring[i] = Point3{r.Float64()*360 - 180, r.Float64()*180 - 90, r.Float64()*400 - 50}
			}
			s.Rings = append(s.Rings, ring)
		}
		m.Surfaces = append(m.Surfaces, s)
	}
	return m
}

// same reports whether b is a within the encoding's rounding.
func same(t *testing.T, a, b Mesh) {
	t.Helper()
	if a.LoD != b.LoD || a.Ground != b.Ground || len(a.Surfaces) != len(b.Surfaces) {
		t.Fatalf("got %+v, want %+v", b, a)
	}
	for i := range a.Surfaces {
		sa, sb := a.Surfaces[i], b.Surfaces[i]
		if sa.Semantic != sb.Semantic || len(sa.Rings) != len(sb.Rings) {
			t.Fatalf("surface %d: got %+v, want %+v", i, sb, sa)
		}
		for j := range sa.Rings {
			if len(sa.Rings[j]) != len(sb.Rings[j]) {
				t.Fatalf("surface %d ring %d: %d points, want %d", i, j, len(sb.Rings[j]), len(sa.Rings[j]))
			}
			for k, p := range sa.Rings[j] {
				q := sb.Rings[j][k]
				if math.Abs(p[0]-q[0]) > 0.51e-9 || math.Abs(p[1]-q[1]) > 0.51e-9 || math.Abs(p[2]-q[2]) > 0.51e-4 {
					t.Fatalf("surface %d ring %d point %d: got %v, want %v", i, j, k, q, p)
				}
			}
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	meshes := []Mesh{box(4.36, 52.01, 12.5), {}}
	for range 200 {
		meshes = append(meshes, randomMesh(r))
	}
	for i, m := range meshes {
		b := AppendEncode(nil, &m)
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("mesh %d: %v", i, err)
		}
		same(t, m, got)
		for cut := 0; cut < len(b) && i < 20; cut++ { // every truncation is an error, not a panic
			if _, err := Decode(b[:cut]); !errors.Is(err, ErrBadMesh) {
				t.Fatalf("mesh %d cut at %d: %v", i, cut, err)
			}
		}
	}
	m := box(4.36, 52.01, 12.5)
	if n := len(AppendEncode(nil, &m)); n > 12*m.NumPoints() { // half of three float64s
		t.Errorf("%d bytes for %d points: not compact", n, m.NumPoints())
	}
}

func TestValidate(t *testing.T) {
	bad := []Mesh{
		{Surfaces: []Surface{{}}},
		{Surfaces: []Surface{{Rings: [][]Point3{{{0, 0, 0}, {1, 1, 0}}}}}},
		{Surfaces: []Surface{{Rings: [][]Point3{{{0, 0, math.NaN()}, {1, 1, 0}, {1, 0, 0}}}}}},
		{Surfaces: []Surface{{Rings: [][]Point3{{{200, 0, 0}, {1, 1, 0}, {1, 0, 0}}}}}},
		{Ground: math.Inf(1)},
	}
	for i, m := range bad {
		if err := m.Validate(); !errors.Is(err, ErrBadMesh) {
			t.Errorf("%d: %v", i, err)
		}
	}
}

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Mesh{}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		id := "cityjson:b" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		want[id] = randomMesh(r)
		if err := s.Put(id, want[id]); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		if s.Len() != len(want) {
			t.Fatalf("Len %d, want %d", s.Len(), len(want))
		}
		for id, m := range want {
			got, ok, err := s.Get(id)
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", id, ok, err)
			}
			same(t, m, got)
		}
		if _, ok, err := s.Get("nope"); ok || err != nil {
			t.Fatalf("nope: %v %v", ok, err)
		}
	}
	check(s) // buffered
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	check(s) // from the segment
	// A newer Put wins, also after reopening.
	want["cityjson:baa"] = box(4.36, 52.01, 9)
	if err := s.Put("cityjson:baa", want["cityjson:baa"]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("cityjson:baa"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	check(s2)
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segExt))
	if len(segs) != 2 {
		t.Errorf("%d segments, want 2", len(segs))
	}
}

// TestStoreShared: a reader sees what a writer in the same directory
// flushed, once it refreshes.
func TestStoreShared(t *testing.T) {
	dir := t.TempDir()
	reader, err := Open(dir, Options{RefreshEvery: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	writer, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Put("x", box(1, 2, 3)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := reader.Get("x"); ok {
		t.Fatal("reader sees an unflushed mesh")
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, ok, err := reader.Get("x")
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reader never saw the writer's segment")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestStoreDamage(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("a", box(1, 2, 3)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segExt))
	data, _ := os.ReadFile(segs[0])
	// A flipped byte in the record: Get fails its checksum.
	data[len(segMagic)+3] ^= 0xff
	os.WriteFile(segs[0], data, 0o644)
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("a"); !errors.Is(err, ErrBadSegment) {
		t.Errorf("damaged record: %v", err)
	}
	s.Close()
	// A truncated file: Open refuses it, naming it.
	os.WriteFile(segs[0], data[:len(data)-3], 0o644)
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrBadSegment) {
		t.Errorf("truncated segment: %v", err)
	}
	// Stray temporary files are ignored.
	os.Remove(segs[0])
	os.WriteFile(filepath.Join(dir, tmpPrefix+"123"+segExt), []byte("junk"), 0o644)
	if s, err := Open(dir, Options{}); err != nil {
		t.Errorf("stray temp file: %v", err)
	} else {
		s.Close()
	}
}

func FuzzDecode(f *testing.F) {
	m := box(4.36, 52.01, 12.5)
	f.Add(AppendEncode(nil, &m))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes, encodes back to the same mesh.
		again, err := Decode(AppendEncode(nil, &m))
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Surfaces) != len(m.Surfaces) {
			t.Fatal("round trip changed the mesh")
		}
	})
}
