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
	// Durability is the write-ahead log and snapshots; absent when the twin
	// lives in memory only.
	Durability *twin.DurableStatus `json:"durability,omitempty"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := Health{
		Status:   "ok",
		Entities: s.store.Len(),
		Seq:      s.store.Seq(),
		Kinds:    s.store.Counts(),
		UptimeS:  time.Since(s.start).Round(time.Millisecond).Seconds(),
	}
	status := http.StatusOK
	if d, ok := s.store.Durability(); ok {
		h.Durability = &d
		if d.Failed != "" { // the log failed: reads work, writes do not
			h.Status, status = "failed", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSONStatus(w, r, ContentTypeJSON, status, h)
}
