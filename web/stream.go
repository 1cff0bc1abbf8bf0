package web

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// streamPath is the live stream (docs/stream.md).
const streamPath = "/api/v1/stream"

// StreamConfig sets up the websocket stream.
type StreamConfig struct {
	// MaxClients caps the open streams; more are refused with 503.
	MaxClients int
	// MaxMessageBytes caps a control message from a client.
	MaxMessageBytes int64
	// ControlRate and ControlBurst bound a client's control messages per
	// second (a token bucket); messages over it are answered with an error.
	ControlRate  float64
	ControlBurst int
	// MaxPending caps the entities whose newest state waits for a slow client;
	// beyond it the client gets a gap and, once it reads again, a fresh snapshot.
	MaxPending int
	// MaxQueued caps the other messages (fence events, alerts, replies) waiting
	// for a client; beyond it they are dropped and counted.
	MaxQueued int
	// MaxSnapshot caps the entities a view may hold; a bigger view is refused.
	MaxSnapshot int
	// PingInterval is how often the server pings; a client that answers
	// nothing (pong or message) for PongWait is dropped.
	PingInterval, PongWait time.Duration
	// WriteTimeout bounds one write to a client; a client that does not read
	// for that long is dropped.
	WriteTimeout time.Duration
	// FlushInterval is the least time between two rounds of writes of
	// deltas: updates within it are conflated into one message and frame,
	// which trades that much latency for fewer writes. A round also waits
	// for the last one to be written out. 0 writes at once.
	FlushInterval time.Duration
	// GridDegrees is the cell size of the index of client views.
	GridDegrees float64
	// Origin is the point the binary frames measure metres from. Zero: the
	// centre of the twin's extent when the first client connects.
	Origin orb.Point
	// PlaybackTick is how often a playback advances.
	PlaybackTick time.Duration
}

// DefaultStreamConfig returns the defaults.
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{
		MaxClients: 20000, MaxMessageBytes: 64 << 10, ControlRate: 20, ControlBurst: 40,
		MaxPending: 20000, MaxQueued: 512, MaxSnapshot: 100000,
		PingInterval: 20 * time.Second, PongWait: 60 * time.Second, WriteTimeout: 10 * time.Second,
		GridDegrees: 0.002, FlushInterval: 50 * time.Millisecond, PlaybackTick: 100 * time.Millisecond,
	}
}

// Validate checks the config, naming the field at fault.
func (c StreamConfig) Validate() error {
	switch {
	case c.MaxClients < 1:
		return errors.New("web: stream MaxClients must be >= 1")
	case c.MaxMessageBytes < 256:
		return errors.New("web: stream MaxMessageBytes must be >= 256")
	case !(c.ControlRate > 0) || c.ControlBurst < 1:
		return errors.New("web: stream ControlRate must be > 0 and ControlBurst >= 1")
	case c.MaxPending < 16 || c.MaxQueued < 16:
		return errors.New("web: stream MaxPending and MaxQueued must be >= 16")
	case c.MaxSnapshot < 1:
		return errors.New("web: stream MaxSnapshot must be >= 1")
	case c.PingInterval <= 0 || c.PongWait <= c.PingInterval:
		return errors.New("web: stream PingInterval must be > 0 and PongWait longer")
	case c.WriteTimeout <= 0:
		return errors.New("web: stream WriteTimeout must be > 0")
	case !(c.GridDegrees >= 0.0001 && c.GridDegrees <= 10):
		return errors.New("web: stream GridDegrees must be in 0.0001..10")
	case c.FlushInterval < 0 || c.FlushInterval > time.Second:
		return errors.New("web: stream FlushInterval must be in 0..1s")
	case c.PlaybackTick <= 0:
		return errors.New("web: stream PlaybackTick must be > 0")
	}
	return nil
}

// WithStream configures the websocket stream; without it the defaults apply.
// A config that does not validate is reported by New.
func WithStream(cfg StreamConfig) Option {
	return func(s *Server) { s.streamCfg = &cfg }
}

// stream answers GET /api/v1/stream: it upgrades to a websocket and serves
// the client until either side closes. Authorization happened in the
// middleware (viewer permission, ?access_token= allowed for upgrades).
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Upgrade required", Status: http.StatusUpgradeRequired,
			Detail: "this is a websocket stream: connect with a websocket client (Connection: Upgrade, Upgrade: websocket); docs/stream.md has the protocol", Instance: r.URL.RequestURI()})
		return
	}
	h, err := s.streamHub()
	if err != nil {
		s.log.Error("stream config", "err", err)
		writeProblem(w, internalProblem(r))
		return
	}
	if !h.admit() {
		writeProblem(w, &Problem{Type: ProblemUnavailable, Title: "Too many streams", Status: http.StatusServiceUnavailable,
			Detail: fmt.Sprintf("the server serves at most %d streams; try again later", h.cfg.MaxClients), Instance: r.URL.RequestURI()})
		return
	}
	defer h.release()
	up := websocket.Upgrader{
		ReadBufferSize: 1024, WriteBufferSize: 4096, WriteBufferPool: streamWriteBuffers,
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      s.originAllowed,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			p := &Problem{Type: ProblemInvalidParam, Title: "Bad websocket handshake", Status: status, Detail: reason.Error(), Instance: r.URL.RequestURI()}
			if status == http.StatusForbidden {
				p.Type, p.Title = ProblemForbidden, "Origin not allowed"
			}
			writeProblem(w, p)
		},
	}
	conn, err := up.Upgrade(hijackable{w}, r, nil)
	if err != nil {
		return // Upgrade answered
	}
	markStatus(w, http.StatusSwitchingProtocols)
	h.serve(r.Context(), conn)
}

// hijackable lets the upgrader take over the connection through the
// middleware's wrappers, which unwrap but do not hijack themselves.
type hijackable struct{ http.ResponseWriter }

func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// markStatus tells the request log that the answer was 101, which the
// upgrader wrote to the hijacked connection.
func markStatus(w http.ResponseWriter, status int) {
	for w != nil {
		if rec, ok := w.(*recorder); ok {
			rec.status = status
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// streamWriteBuffers share the websockets' write buffers: a connection holds
// one only while it writes, so 10,000 idle streams do not keep 10,000.
var streamWriteBuffers = &sync.Pool{}
