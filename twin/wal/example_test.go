package wal_test

import (
	"context"
	"fmt"
	"os"

	"citytwin/twin/wal"
)

// The store's cycle: append under its lock, wait outside it, replay on start-up.
func Example() {
	dir, err := os.MkdirTemp("", "wal-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	opts := wal.DefaultOptions()
	opts.Sync = wal.SyncAlways
	log, _, err := wal.Open(dir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, b := range []struct {
		seq uint64 // sequence number of the batch's last op
		ops string
	}{{3, "upsert sensor:aq-17"}, {5, "observe pm25=12"}, {9, "delete sensor:aq-9"}} {
		if err := log.Append(b.seq, []byte(b.ops)); err != nil {
			fmt.Println(err)
			return
		}
		if err := log.Wait(ctx, b.seq); err != nil { // durable: acknowledge now
			fmt.Println(err)
			return
		}
	}
	if err := log.Close(); err != nil {
		fmt.Println(err)
		return
	}

	// Start-up: the snapshot covers up to sequence 3; replay what follows.
	log, rec, err := wal.Open(dir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()
	fmt.Printf("recovered %d records, %d..%d\n", rec.Records, rec.FirstIndex, rec.LastIndex)
	err = log.Replay(4, func(index uint64, payload []byte) error {
		fmt.Printf("%d: %s\n", index, payload)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// recovered 3 records, 3..9
	// 5: observe pm25=12
	// 9: delete sensor:aq-9
}
