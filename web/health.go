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
	// Auth is "bearer" when reading needs a token (the command centre then
	// asks for one), absent when reads are open.
	Auth string `json:"auth,omitempty"`
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
	if len(s.auth.tokens) > 0 && !s.auth.publicRead {
		h.Auth = "bearer"
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
