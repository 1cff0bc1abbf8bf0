package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/simulate"
	"citytwin/twin"
	"citytwin/twin/fence"

	"github.com/prometheus/client_golang/prometheus"
)

// Server answers HTTP requests about one twin.
type Server struct {
	cfg     Config
	baseURL string // cfg.BaseURL without a trailing slash
	store   *twin.Store
	log     *slog.Logger
	start   time.Time
	now     func() time.Time
	extents extentCache
	handler http.Handler
	auth    *authenticator
	http    *httpMetrics

	validators map[twin.Kind]Validator
	fences     *fence.Engine     // nil: no geofence events or endpoints
	scenarios  *simulate.Manager // nil: no scenarios
	gateway    *gateway.Gateway  // nil: the API is read-only
	sink       ingest.Sink
	collectors []prometheus.Collector
	glb        glbState     // the GLB endpoints (glb.go)
	tiles      *tileCache   // vector tiles of the current twin (tiles_cache.go)
	tiles3d    tiles3dState // 3D Tiles of the buildings (tiles3d.go)

	hist HistoryReader // WithHistory (history.go); nil: memory answers everything

	// The websocket stream (stream*.go).
	streamCfg  *StreamConfig // WithStream; nil: the defaults
	streamOnce sync.Once     // makes streamHubP (or streamErr) at the first stream
	streamHubP *hub
	streamErr  error
}

// New makes a server for store. A nil log discards.
func New(cfg Config, store *twin.Store, log *slog.Logger, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("web: nil store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, baseURL: cfg.baseURL(), store: store, log: log, start: time.Now(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.tiles == nil {
		s.tiles = newTileCache(store, DefaultTileCacheBytes)
	}
	if s.streamCfg != nil {
		if err := s.streamCfg.Validate(); err != nil {
			return nil, err
		}
	}
	s.auth = &authenticator{tokens: cfg.Tokens, publicRead: cfg.PublicRead}
	s.http = newHTTPMetrics()
	s.handler = s.middleware(s.routes())
	return s, nil
}

// middleware wraps the routes in what every request goes through, outermost
// first: the request log (and panic handler), CORS, authentication, the
// request timeout, the body limit, the HTTP metrics and problem answers to
// what no route serves.
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	return logRequests(s.log, s.cors(authorize(s.auth, limitTime(s,
		limitBodies(s.cfg.MaxBodyBytes, s.cfg.MaxImportBytes, s.http.instrument(mux, problemMux(mux)))))))
}

// Handler serves the API.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer wraps the handler in an http.Server with the configured timeouts;
// the caller starts it and shuts it down.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    1 << 16,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.uiRoutes(mux))
	mux.HandleFunc("GET /api", s.openAPI)
	mux.HandleFunc("GET /conformance", s.conformance)
	mux.HandleFunc("GET /collections", s.collections)
	mux.HandleFunc("GET /collections/{collectionId}", s.collection)
	mux.HandleFunc("GET /collections/{collectionId}/items", s.items)
	mux.HandleFunc("GET /collections/{collectionId}/queryables", s.queryables)
	// The rest of the path, so that an id with an unescaped slash (osm:way/123)
	// still finds its feature.
	mux.HandleFunc("GET /collections/{collectionId}/items/{featureId...}", s.item)
	mux.HandleFunc("GET /api/v1/health", s.health)
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.HandleFunc("GET /api/v1/entities", s.listEntities)
	mux.HandleFunc("GET /api/v1/entities/{id}", s.getEntity)
	mux.HandleFunc("GET /api/v1/entities/{id}/history", s.history)
	mux.HandleFunc("GET /api/v1/entities/{id}/links", s.entityLinks)
	mux.HandleFunc("GET /api/v1/entities/{id}/provenance", s.entityProvenance)
	mux.HandleFunc("GET /api/v1/entities/{id}/metrics", s.entityMetrics)
	mux.HandleFunc("GET /api/v1/entities/{id}/series/{metric}", s.entitySeries)
	mux.HandleFunc("GET "+entityGLBPath, s.entityGLB)
	mux.HandleFunc("GET "+glbPath, s.areaGLB)
	mux.HandleFunc("POST /api/v1/query", s.postQuery)
	mux.HandleFunc("GET /api/v1/nearest", s.nearest)
	mux.HandleFunc("GET /api/v1/latest", s.latest)
	mux.HandleFunc("GET /api/v1/aggregate", s.aggregate)
	mux.HandleFunc("GET /api/v1/h3", s.h3Aggregate)
	mux.HandleFunc("GET /api/v1/h3/cells", s.h3Cells)
	mux.HandleFunc("GET "+tilesPath+"/{name}", s.tileJSON)
	mux.HandleFunc("GET "+tilesPath+"/{layer}/{z}/{x}/{y}", s.tile)
	mux.HandleFunc("GET "+tilesetPath, s.tileset)
	mux.HandleFunc("GET "+tile3DContent, s.tile3D)
	mux.HandleFunc("GET "+streamPath, s.stream)
	if s.scenarios != nil {
		mux.HandleFunc("GET "+scenariosPath, s.listScenarios)
		mux.HandleFunc("POST "+scenariosPath, s.postScenario)
		mux.HandleFunc("GET "+scenariosPath+"/{id}", s.getScenario)
		mux.HandleFunc("DELETE "+scenariosPath+"/{id}", s.deleteScenario)
		mux.HandleFunc("POST "+scenariosPath+"/{id}/run", s.runScenario)
		mux.HandleFunc("POST "+scenariosPath+"/{id}/cancel", s.cancelScenario)
		mux.HandleFunc("GET "+scenariosPath+"/{id}/results", s.scenarioResults)
		mux.HandleFunc("GET "+scenariosPath+"/{id}/compare", s.compareScenario)
		mux.HandleFunc("GET "+scenariosPath+"/{id}/entities/{entity...}", s.scenarioEntity)
		mux.HandleFunc("GET "+scenariosPath+"/{id}/h3", s.scenarioH3)
		mux.HandleFunc("GET "+scenariosPath+"/{id}/plots/{name}", s.scenarioPlot)
	}
	if s.fences != nil {
		mux.HandleFunc("GET /api/v1/geofences/events", s.fenceEvents)
		mux.HandleFunc("GET /api/v1/geofences/endpoints", s.listEndpoints)
		mux.HandleFunc("POST /api/v1/geofences/endpoints", s.postEndpoint)
		mux.HandleFunc("DELETE /api/v1/geofences/endpoints/{id}", s.deleteEndpoint)
	}
	if s.gateway != nil {
		mux.HandleFunc("POST /api/v1/observations", s.postObservations)
		mux.HandleFunc("POST /api/v1/entities", s.postEntities)
		mux.HandleFunc("GET /api/v1/deadletter", s.deadLetters)
		mux.HandleFunc("POST "+importsPath, s.postImport)
		mux.HandleFunc("PUT /api/v1/entities/{id}", s.putEntity)
		mux.HandleFunc("PATCH /api/v1/entities/{id}", s.patchEntity)
		mux.HandleFunc("DELETE /api/v1/entities/{id}", s.deleteEntity)
	}
	return mux
}

// writeJSON sends v as JSON with the given content type. Encoding happens before
// anything is written, so that a failure can still be a problem.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) {
	s.writeJSONStatus(w, r, contentType, http.StatusOK, v)
}

// writeJSONStatus is writeJSON with another status than 200.
func (s *Server) writeJSONStatus(w http.ResponseWriter, r *http.Request, contentType string, status int, v any) {
	bp := getBuf()
	defer putBuf(bp)
	b, err := appendJSON((*bp)[:0], v)
	if err != nil {
		buf := bytes.NewBuffer(b[:0])
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			s.log.Error("encode response", "path", r.URL.Path, "err", err)
			writeProblem(w, internalProblem(r))
			return
		}
		b = buf.Bytes()
	}
	*bp = b
	writeBytes(w, contentType, status, b)
}

// queryError answers a failed twin query: a bad cursor or query is the client's
// fault, a cancelled context needs no answer, anything else is logged and a 500.
func (s *Server) queryError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, twin.ErrBadCursor):
		writeProblem(w, paramProblem(r, &ParamError{Name: "cursor", Reason: "not a cursor this server issued; follow the next link of the previous page"}))
	case errors.Is(err, twin.ErrBadQuery):
		// ParseItemsParams should have caught it; say what the twin said.
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Invalid query", Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()})
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("query timed out", "path", r.URL.Path, "query", r.URL.RawQuery, "timeout", s.cfg.RequestTimeout)
		writeProblem(w, &Problem{Type: ProblemTimeout, Title: "Query took too long", Status: http.StatusServiceUnavailable,
			Detail: "the query ran over the server's limit of " + s.cfg.RequestTimeout.String() + "; narrow it (a smaller bbox, fewer kinds, a limit)", Instance: r.URL.RequestURI()})
	case errClientGone(r, err):
		s.log.Info("client gone", "path", r.URL.Path, "err", err)
		writeProblem(w, &Problem{Type: ProblemUnavailable, Title: "Request cancelled", Status: http.StatusServiceUnavailable, Instance: r.URL.RequestURI()})
	default:
		s.log.Error("query twin", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
		writeProblem(w, internalProblem(r))
	}
}

// kindOf finds the kind whose collection is id.
func (s *Server) kindOf(id string) (twin.Kind, bool) {
	for _, k := range s.store.Kinds() {
		if k.Plural() == id {
			return k, true
		}
	}
	return "", false
}

func (s *Server) unknownCollection(w http.ResponseWriter, r *http.Request, id string) {
	writeProblem(w, notFound(r, "there is no collection "+quote(id)+"; /collections lists them"))
}

func quote(s string) string {
	b, _ := json.Marshal(clip(s))
	return string(b)
}
