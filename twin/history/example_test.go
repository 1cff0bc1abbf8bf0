package history_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"citytwin/twin"
	"citytwin/twin/history"
	"citytwin/twin/series"
)

// A durable twin writes its history into PostgreSQL; a Reader answers a day
// of hourly averages, from the database for what memory no longer holds.
func Example() {
	ctx := context.Background()
	store, _, err := twin.Open(ctx, twin.DefaultConfig(), twin.DefaultDurability("./twin-data"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	dsn := "postgres://citytwin@localhost:5432/citytwin"
	sink, err := history.Open(ctx, history.DefaultConfig(dsn), store, slog.Default())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sink.Close()

	r, err := history.OpenReader(history.DefaultReaderConfig(dsn), store)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	now := time.Now()
	buckets, err := r.AggregateBuckets(ctx, twin.Aggregate{
		Query:  twin.Query{Kinds: []twin.Kind{twin.KindSensor}},
		Metric: "pm25", Agg: series.Avg,
		From: now.Add(-48 * time.Hour).UnixNano(), To: now.UnixNano(), Step: int64(time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range buckets {
		fmt.Println(twin.Time(b.Start), b.Value, b.Count)
	}
}
