package gtfs_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"time"

	"citytwin/ingest/gtfs"
)

func ExampleSchedule_Departures() {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range map[string]string{
		"agency.txt":     "agency_name,agency_timezone\nCity Bus,Europe/Berlin\n",
		"stops.txt":      "stop_id,stop_name,stop_lat,stop_lon\nA,Market,52.52,13.40\nB,Harbour,52.51,13.42\n",
		"routes.txt":     "route_id,route_short_name,route_type\n7,7,3\n",
		"calendar.txt":   "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nWK,1,1,1,1,1,0,0,20250101,20251231\n",
		"trips.txt":      "route_id,service_id,trip_id\n7,WK,t1\n7,WK,t2\n",
		"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,08:00:00,08:00:00,A,1\nt1,08:10:00,08:10:00,B,2\nt2,24:30:00,24:30:00,A,1\nt2,24:40:00,24:40:00,B,2\n",
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(text))
	}
	zw.Close()

	feed, err := gtfs.Read(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	monday := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	for _, d := range feed.Schedule.Departures("A", monday, 0, 30*time.Hour) {
		fmt.Println(gtfs.FormatTime(d.Departure), d.TripID, gtfs.RouteID(d.RouteID))
	}
	// Output:
	// 08:00:00 t1 gtfs:route/7
	// 24:30:00 t2 gtfs:route/7
}
