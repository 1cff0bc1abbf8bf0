package ingest

import (
	"strconv"
	"strings"
	"testing"
)

func TestDeadLettersRing(t *testing.T) {
	d := NewDeadLetters(3)
	if got := d.List(0); len(got) != 0 {
		t.Fatalf("empty ring lists %v", got)
	}
	for i := range 5 {
		d.Add(DeadLetter{Source: []string{"mqtt", "http"}[i%2], Reason: strconv.Itoa(i), Raw: strings.Repeat("x", MaxDeadLetterRaw+10)})
		// newest first, at most 3
		got := d.List(0)
		want := min(i+1, 3)
		if len(got) != want || got[0].Reason != strconv.Itoa(i) {
			t.Fatalf("after %d adds: %d letters, newest %q", i+1, len(got), got[0].Reason)
		}
		for j := 1; j < len(got); j++ {
			if got[j].Reason != strconv.Itoa(i-j) {
				t.Fatalf("after %d adds: letter %d is %q, want %d", i+1, j, got[j].Reason, i-j)
			}
		}
		if len(got[0].Raw) != MaxDeadLetterRaw || got[0].Time.IsZero() {
			t.Fatalf("raw of %d bytes, time %v", len(got[0].Raw), got[0].Time)
		}
	}
	if got := d.List(2); len(got) != 2 || got[0].Reason != "4" {
		t.Fatalf("limit 2: %v", got)
	}
	total, by := d.Total()
	if total != 5 || by["mqtt"] != 3 || by["http"] != 2 {
		t.Fatalf("total %d by %v", total, by)
	}
}
