package ingest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestDeadLetterFileSurvivesRestartAndRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deadletters.ndjson")
	f, err := OpenDeadLetterFile(path, 2000)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDeadLetters(100)
	d.SetFile(f)
	for i := range 60 {
		d.Add(DeadLetter{Source: "mqtt", Where: "citytwin/x/y/senml", Reason: strconv.Itoa(i), Raw: "[]"})
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Fatalf("no rotated file: %v", err)
	}
	// A crash may cut the last line short: it is skipped, the rest read.
	g, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	g.WriteString(`{"time":"2026-11-27T10:00:00Z","source":"mq`)
	g.Close()

	got, err := ReadDeadLetters(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[0].Reason != "50" || got[9].Reason != "59" {
		t.Fatalf("read back %d letters: first %+v last %+v", len(got), got[0], got[len(got)-1])
	}
	// More than the current file holds: the rotated one supplies the older ones.
	all, _ := ReadDeadLetters(path, 1000)
	for i := 1; i < len(all); i++ {
		a, _ := strconv.Atoi(all[i-1].Reason)
		b, _ := strconv.Atoi(all[i].Reason)
		if b != a+1 {
			t.Fatalf("letters out of order: %s then %s", all[i-1].Reason, all[i].Reason)
		}
	}
	if all[len(all)-1].Reason != "59" || len(all) < 20 {
		t.Fatalf("%d letters read back", len(all))
	}

	restored := NewDeadLetters(5)
	restored.Restore(got)
	if l := restored.List(0); len(l) != 5 || l[0].Reason != "59" {
		t.Fatalf("restored ring %v", l)
	}
	if total, _ := restored.Total(); total != 0 {
		t.Fatalf("restored letters counted as new: %d", total)
	}
}
