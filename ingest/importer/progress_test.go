package importer

import (
	"context"
	"os"
	"sync"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"
)

// Every streaming import reports progress while it reads and ends at the
// file's size, from one caller at a time.
func TestProgressReachesTheFileSize(t *testing.T) {
	for _, rel := range []string{"datasets/osm/helsinki_centre.osm.pbf", "datasets/cityjson/delft_centre.city.json"} {
		t.Run(rel, func(t *testing.T) {
			path := sharedtest.File(t, rel)
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			store, err := twin.New(twin.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			busy := false
			var calls int
			var last, total int64
			opts := Options{Progress: func(done, size int64) {
				mu.Lock()
				if busy {
					t.Error("progress called concurrently")
				}
				busy = true
				mu.Unlock()
				calls++
				if done < last {
					t.Errorf("progress went back from %d to %d", last, done)
				}
				last, total = done, size
				mu.Lock()
				busy = false
				mu.Unlock()
			}}
			if _, err := File(context.Background(), store, path, opts); err != nil {
				t.Fatal(err)
			}
			if calls == 0 || last != info.Size() || total != info.Size() {
				t.Fatalf("%d calls, last %d of %d, want %d", calls, last, total, info.Size())
			}
		})
	}
}
