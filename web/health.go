package web

import (
	"net/http"
	"time"

	"citytwin/twin"
)

// Health is the answer of /api/v1/health.
type Health struct {
	Status   string            `json:"status"`
	Entities int               `json:"entities"`
	Seq      uint64            `json:"seq"`
	Kinds    map[twin.Kind]int `json:"kinds"`
	UptimeS  float64           `json:"uptime_s"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := Health{
		Status:   "ok",
		Entities: s.store.Len(),
		Seq:      s.store.Seq(),
		Kinds:    s.store.Counts(),
		UptimeS:  time.Since(s.start).Round(time.Millisecond).Seconds(),
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, ContentTypeJSON, h)
}
