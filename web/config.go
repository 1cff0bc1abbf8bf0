package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MaxPageLimit is the largest page the items endpoint serves; a limit above it is
// a bad request, a limit above Config.MaxLimit (which may be lower) is capped.
const MaxPageLimit = 10000

// Config sets up a Server.
type Config struct {
	// Title and Description head the landing page.
	Title, Description string
	// BaseURL, when set, is what every link starts with: scheme, host and any path
	// prefix a proxy adds, e.g. "https://twin.example.org/city". Empty derives it
	// from each request (https when it came over TLS, and its Host header).
	BaseURL string
	// MaxBodyBytes caps request bodies; MaxImportBytes those of POST
	// /api/v1/imports, which carry whole files.
	MaxBodyBytes, MaxImportBytes int64
	// Timeouts of the http.Server made by Server.HTTPServer.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// DefaultLimit is the page size when a request gives no limit; MaxLimit caps
	// the limit a request may ask for (OGC: a larger one is capped, not an error).
	DefaultLimit, MaxLimit int
	// ExtentTTL is how long the computed extents of the collections are reused
	// while the twin changes; they are always reused while it does not.
	ExtentTTL time.Duration
	// RequestTimeout bounds the work of one request (imports and streams
	// excepted); a query that runs over it is cancelled with a 503.
	RequestTimeout time.Duration

	// Tokens are the bearer tokens the server accepts. None: every request is
	// allowed, which `citytwin serve` permits on a loopback address only.
	Tokens []Token
	// PublicRead lets requests without a token read (the viewer role) while
	// writes still need one.
	PublicRead bool
	// AllowedOrigins are the browser origins (scheme://host[:port]) that may
	// call the API from another site (CORS) and open websocket streams; "*"
	// allows any. A page served by citytwin itself is always allowed.
	AllowedOrigins []string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Title:             "citytwin",
		Description:       "A digital twin of a city: buildings, roads, stops, sensors and vehicles with their history, queryable in space and time.",
		MaxBodyBytes:      16 << 20,
		MaxImportBytes:    512 << 20,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		DefaultLimit:      10,
		MaxLimit:          MaxPageLimit,
		ExtentTTL:         10 * time.Second,
		RequestTimeout:    30 * time.Second,
	}
}

// Validate checks the config, naming the field at fault.
func (c Config) Validate() error {
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil {
			return fmt.Errorf("web: base url: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("web: base url %q: want http(s)://host[/prefix] without query or fragment", c.BaseURL)
		}
	}
	switch {
	case c.MaxImportBytes < 0:
		return errors.New("web: MaxImportBytes must be >= 0")
	case c.MaxBodyBytes <= 0:
		return errors.New("web: max body bytes must be > 0")
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0:
		return errors.New("web: read-header, read, write and idle timeouts must be > 0")
	case c.MaxLimit < 1 || c.MaxLimit > MaxPageLimit:
		return fmt.Errorf("web: max limit %d out of range 1..%d", c.MaxLimit, MaxPageLimit)
	case c.DefaultLimit < 1 || c.DefaultLimit > c.MaxLimit:
		return fmt.Errorf("web: default limit %d out of range 1..max limit %d", c.DefaultLimit, c.MaxLimit)
	case c.ExtentTTL < 0:
		return errors.New("web: extent ttl must be >= 0")
	case c.RequestTimeout <= 0:
		return errors.New("web: request timeout must be > 0")
	}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return fmt.Errorf("web: allowed origin %q: want scheme://host[:port] or *", o)
		}
	}
	return nil
}

// baseURL is BaseURL without a trailing slash.
func (c Config) baseURL() string { return strings.TrimRight(c.BaseURL, "/") }
