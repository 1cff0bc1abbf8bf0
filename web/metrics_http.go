package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics times every request by route (the pattern that served it, so the
// number of series stays bounded), method and status.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "citytwin_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 30},
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "citytwin_http_requests_in_flight",
			Help: "HTTP requests being answered now (streams included).",
		}),
	}
}

func (m *httpMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.duration, m.inFlight}
}

// instrument wraps the routed handler: it runs inside the middleware, where the
// route of the request is known. w must be the logging recorder to learn the
// status; anything else is counted with code "".
func (m *httpMetrics) instrument(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := mux.Handler(r)
		if route == "" {
			route = "unrouted"
		}
		m.inFlight.Inc()
		start := time.Now()
		defer func() {
			m.inFlight.Dec()
			code := ""
			if rec, ok := w.(*recorder); ok {
				code = strconv.Itoa(rec.status)
			}
			m.duration.WithLabelValues(route, r.Method, code).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(w, r)
	})
}
