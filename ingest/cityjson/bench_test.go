package cityjson

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// delftSeq is a CityJSONSeq stream of the Delft centre repeated copies times,
// side by side: copy k is moved by (k%10 × 600 m, k/10 × 400 m) and its ids
// get "-k", so that the stream reads like one city of copies × 570 objects
// over some kilometres. The header is Delft's.
func delftSeq(tb testing.TB, copies int) []byte {
	tb.Helper()
	seq := toSeq(tb, sharedFile(tb, "delft_centre.city.json"))
	type feature struct {
		ID          string          `json:"id"`
		CityObjects json.RawMessage `json:"CityObjects"`
		Vertices    [][3]int64      `json:"vertices"`
	}
	var head []byte
	var feats []feature
	sc := bufio.NewScanner(bytes.NewReader(seq))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		if head == nil {
			head = append(append([]byte{}, sc.Bytes()...), '\n')
			continue
		}
		var f feature
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			tb.Fatal(err)
		}
		feats = append(feats, f)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	var hd struct {
		Transform struct{ Scale [3]float64 }
	}
	if err := json.Unmarshal(head, &hd); err != nil {
		tb.Fatal(err)
	}
	out := bytes.NewBuffer(head)
	for k := range copies {
		dx := int64(float64(k%10) * 600 / hd.Transform.Scale[0])
		dy := int64(float64(k/10) * 400 / hd.Transform.Scale[1])
		suffix := "-" + strconv.Itoa(k)
		for _, f := range feats {
			objs := bytes.ReplaceAll(f.CityObjects, []byte(strconv.Quote(f.ID)), []byte(strconv.Quote(f.ID+suffix)))
			fmt.Fprintf(out, `{"type":"CityJSONFeature","id":%q,"CityObjects":%s,"vertices":[`, f.ID+suffix, objs)
			for i, v := range f.Vertices {
				if i > 0 {
					out.WriteByte(',')
				}
				fmt.Fprintf(out, "[%d,%d,%d]", v[0]+dx, v[1]+dy, v[2])
			}
			out.WriteString("]}\n")
		}
	}
	return out.Bytes()
}

func TestDelftSeqRepeated(t *testing.T) {
	r, err := Decode(context.Background(), delftSeq(t, 3), Options{Now: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Meta.Seq || len(r.Objects) != 3*570 || len(r.Rejects) != 0 {
		t.Fatalf("seq %v, %d objects, rejects %v", r.Meta.Seq, len(r.Objects), r.Rejects)
	}
}

// BenchmarkReadSeq50k reads 88 copies of the Delft centre as one CityJSONSeq
// stream: 50,160 objects, 1.6M vertices.
func BenchmarkReadSeq50k(b *testing.B) {
	data := delftSeq(b, 88)
	ctx := context.Background()
	opts := Options{Now: time.Unix(1700000000, 0)}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := Decode(ctx, data, opts)
		if err != nil {
			b.Fatal(err)
		}
		n += len(r.Objects)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}
