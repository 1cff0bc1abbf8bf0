package wal

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// benchPayload is a fixed-seed payload of n bytes.
func benchPayload(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// BenchmarkAppendBatch streams 4 KiB records through a SyncBatch log from one
// appender that honours back-pressure, as ingest does, and waits for the last one.
// Segments are compacted as the store would after snapshots, to bound disk use.
func BenchmarkAppendBatch(b *testing.B) {
	l, _ := mustOpen(b, b.TempDir(), DefaultOptions())
	payload := benchPayload(4 << 10)
	ctx := context.Background()
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		if l.Full() {
			if err := l.WaitRoom(ctx); err != nil {
				b.Fatal(err)
			}
		}
		i++
		if err := l.Append(i, payload); err != nil {
			b.Fatal(err)
		}
		if i%(1<<15) == 0 {
			if err := l.Compact(i - 1<<14); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := l.Wait(ctx, i); err != nil {
		b.Fatal(err)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(i)/sec, "records/s")
	b.ReportMetric(float64(i)*float64(len(payload))/1e6/sec, "MB/s")
	st := l.Stats()
	b.ReportMetric(float64(st.Appended)/float64(max(st.Writes, 1)), "records/write")
	mustClose(b, l)
}

// BenchmarkAppendAlways measures group commit: appenders take indexes under a mutex
// like the store, append a 256-byte record and wait for its fsync.
func BenchmarkAppendAlways(b *testing.B) {
	payload := benchPayload(256)
	for _, appenders := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			l, _ := mustOpen(b, b.TempDir(), testOptions(SyncAlways))
			ctx := context.Background()
			var (
				mu      sync.Mutex
				next    uint64
				tickets atomic.Int64
				wg      sync.WaitGroup
			)
			// The first record creates the segment; its fsyncs are not group commit.
			appendWait(b, l, []rec{{1, payload}})
			next = 1
			fsyncs := l.Stats().Fsyncs
			b.ReportAllocs()
			b.ResetTimer()
			for range appenders {
				wg.Go(func() {
					for tickets.Add(1) <= int64(b.N) {
						mu.Lock()
						next++
						idx := next
						err := l.Append(idx, payload)
						mu.Unlock()
						if err == nil {
							err = l.Wait(ctx, idx)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			st := l.Stats()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.N)/float64(max(st.Fsyncs-fsyncs, 1)), "records/fsync")
			mustClose(b, l)
		})
	}
}

// BenchmarkOpenScan opens (and so checks every record of) a 256 MB log of 4 KiB
// records; the files are in the page cache, so this is the CPU cost of recovery.
func BenchmarkOpenScan(b *testing.B) {
	dir := b.TempDir()
	opts := DefaultOptions()
	opts.Sync = SyncOff
	l, _ := mustOpen(b, dir, opts)
	payload := benchPayload(4 << 10)
	const records = 256 << 20 / (4 << 10)
	ctx := context.Background()
	for i := uint64(1); i <= records; i++ {
		if err := l.WaitRoom(ctx); err != nil {
			b.Fatal(err)
		}
		if err := l.Append(i, payload); err != nil {
			b.Fatal(err)
		}
	}
	mustClose(b, l)
	size := l.Stats().DiskBytes

	b.ReportAllocs()
	for b.Loop() {
		l, r, err := Open(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		if r.Records != records {
			b.Fatalf("recovered %d records, want %d", r.Records, records)
		}
		mustClose(b, l)
	}
	b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
