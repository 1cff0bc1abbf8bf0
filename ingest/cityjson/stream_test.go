package cityjson

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"
)

// TestStreamLines compares reading streams with their lines parsed in
// parallel with reading them line by line: well-formed streams, and streams
// with blank lines, CRLF, a value of another type, bad vertices, a line that
// does not parse, a value over two lines and two values on one line.
func TestStreamLines(t *testing.T) {
	seq := toSeq(t, sharedFile(t, "delft_centre.city.json"))
	lines := bytes.SplitAfter(seq, []byte("\n"))
	head, feats := lines[0], lines[1:len(lines)-1] // the last is empty
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	small := []byte(`{"type":"CityJSONFeature","id":"x","CityObjects":{"x":{"type":"Building","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2]]]}]}},"vertices":[[0,0,0],[1000,0,0],[1000,1000,0]]}`)
	tests := []struct {
		name     string
		in       []byte
		parallel bool // whether the stream is read in parallel
	}{
		{"delft", seq, true},
		{"blank lines and CRLF", join(head, []byte("\n  \r\n"), bytes.ReplaceAll(join(feats[:50]...), []byte("\n"), []byte("\r\n")), []byte("\n\n"), join(feats[50:]...)), true},
		{"other type", join(head, feats[0], []byte(`{"type":"CityJSON","id":"h"}`+"\n"), join(feats[1:]...)), true},
		{"bad vertices", join(head, feats[0], bytes.Replace(small, []byte("[1000,0,0]"), []byte("[1000,0]"), 1), []byte("\n"), join(feats[1:]...)), true},
		{"bad index", join(head, bytes.Replace(small, []byte("[[[0,1,2]]]"), []byte("[[[0,1,5]]]"), 1), []byte("\n"), join(feats...)), true},
		{"bad line", join(head, feats[0], []byte("{\"type\":\"CityJSONFeature\",\"id\":\"y\",\n"), join(feats[1:]...)), false},
		{"value over two lines", join(head, bytes.Replace(small, []byte(`"vertices"`), []byte("\n\"vertices\""), 1), []byte("\n"), join(feats...)), false},
		{"two values on a line", join(head, bytes.TrimSuffix(feats[0], []byte("\n")), []byte(" "), join(feats[1:]...)), false},
		{"header only", head, true},
	}
	opts := Options{Now: time.Unix(1700000000, 0)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streamLines = false
			want, wantErr := Decode(context.Background(), tt.in, opts)
			streamLines = true
			got, err := Decode(context.Background(), tt.in, opts)
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("err %v, line by line %v", err, wantErr)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(got.Rejects, want.Rejects) {
				t.Fatalf("rejects %v\nline by line %v", got.Rejects, want.Rejects)
			}
			if len(got.Ops) != len(want.Ops) || got.Meta.Seq != want.Meta.Seq || !reflect.DeepEqual(got.Model, want.Model) {
				t.Fatalf("%d ops, seq %v; line by line %d, %v", len(got.Ops), got.Meta.Seq, len(want.Ops), want.Meta.Seq)
			}
			for i := range got.Ops {
				if !reflect.DeepEqual(got.Ops[i], want.Ops[i]) || !reflect.DeepEqual(got.Objects[i], want.Objects[i]) {
					t.Fatalf("object %s differs", got.Objects[i].ID)
				}
			}
			s := scanner{b: tt.in}
			if _, err := s.doc(); err != nil {
				t.Fatal(err)
			}
			s.peek()
			b := builder{opts: &Options{}, res: &Result{}, model: &Model{}}
			if s.i < len(s.b) {
				if ok, _ := b.stream(context.Background(), &s); ok != tt.parallel {
					t.Fatalf("read in parallel: %v, want %v", ok, tt.parallel)
				}
			}
		})
	}
}

// TestProgress checks that progress goes up, in bytes of the input, and ends
// at its size, for a document and a stream.
func TestProgress(t *testing.T) {
	doc := sharedFile(t, "delft_centre.city.json")
	for name, in := range map[string][]byte{"document": doc, "stream": toSeq(t, doc)} {
		t.Run(name, func(t *testing.T) {
			var calls [][2]int64
			opts := Options{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }}
			if _, err := Decode(context.Background(), in, opts); err != nil {
				t.Fatal(err)
			}
			if len(calls) < 3 {
				t.Fatalf("%d calls, want one every 256 of 570 objects and one at the end", len(calls))
			}
			for i, c := range calls {
				if c[1] != int64(len(in)) || c[0] > c[1] || i > 0 && c[0] < calls[i-1][0] {
					t.Fatalf("call %d: %v of %d bytes, after %v", i, c, len(in), calls[max(i-1, 0)])
				}
			}
			if last := calls[len(calls)-1]; last[0] != last[1] {
				t.Fatalf("last call %v", last)
			}
		})
	}
}
