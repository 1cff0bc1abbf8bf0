package web

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Role is what a bearer token may do. Roles are sets of permissions, not ranks:
// a planner runs scenarios but does not write live data, an operator does the
// opposite, and an admin does everything.
type Role string

// The roles.
const (
	RoleViewer   Role = "viewer"   // reads everything: the map, queries, history, streams
	RoleOperator Role = "operator" // + writes live data, entities, geofences and alert rules
	RolePlanner  Role = "planner"  // + creates and runs scenarios
	RoleAdmin    Role = "admin"    // + imports files, reads dead letters; everything
)

// Roles lists the roles in the order the docs present them.
var Roles = []Role{RoleViewer, RoleOperator, RolePlanner, RoleAdmin}

// permission is one kind of action a request takes.
type permission uint8

const (
	permRead     permission = iota + 1 // GET, HEAD and queries sent by POST
	permWrite                          // observations, entities, patches, deletes
	permFences                         // geofences, delivery endpoints, alert rules
	permScenario                       // scenarios
	permImport                         // file imports
	permAdmin                          // dead letters and other server internals
)

func (p permission) String() string {
	return [...]string{"", "read", "write", "fences", "scenarios", "import", "admin"}[p]
}

// may reports whether the role grants p.
func (r Role) may(p permission) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleOperator:
		return p == permRead || p == permWrite || p == permFences
	case RolePlanner:
		return p == permRead || p == permScenario
	case RoleViewer:
		return p == permRead
	}
	return false
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: want viewer, operator, planner or admin", s)
}

// Token is one bearer token the server accepts. Only a hash of the secret is
// kept in memory.
type Token struct {
	Name string // who holds it, for the logs
	Role Role
	hash [sha256.Size]byte
}

// minSecretLen keeps guessable secrets out: 16 characters of a random token
// are about 95 bits.
const minSecretLen = 16

// NewToken makes a token from its secret.
func NewToken(name string, role Role, secret string) (Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, err
	}
	if name == "" || strings.ContainsAny(name, " \t\r\n") {
		return Token{}, fmt.Errorf("token name %q: want a non-empty word", name)
	}
	if len(secret) < minSecretLen {
		return Token{}, fmt.Errorf("token %q: the secret has %d characters, want at least %d (e.g. `openssl rand -hex 24`)", name, len(secret), minSecretLen)
	}
	return Token{Name: name, Role: role, hash: sha256.Sum256([]byte(secret))}, nil
}

// ParseTokenFlag reads "role:name:secret", the form of serve's --token flag.
func ParseTokenFlag(s string) (Token, error) {
	role, rest, ok1 := strings.Cut(s, ":")
	name, secret, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return Token{}, fmt.Errorf("token %q: want role:name:secret", redact(s))
	}
	r, err := ParseRole(role)
	if err != nil {
		return Token{}, err
	}
	return NewToken(name, r, secret)
}

// ParseTokens reads a tokens file: one token per line as "role name secret",
// blank lines and lines starting with # ignored. Errors name the line.
func ParseTokens(r io.Reader, source string) ([]Token, error) {
	var out []Token
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"role name secret\", found %d fields", source, line, len(f))
		}
		role, err := ParseRole(f[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, line, err)
		}
		t, err := NewToken(f[1], role, f[2])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, line, err)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return out, nil
}

// redact hides the secret part of a role:name:secret string in messages.
func redact(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[:i+1] + "…"
	}
	return "…"
}

// principalKey finds the caller's token in a request's context.
type principalKey struct{}

// Principal returns the token that authenticated the request, if any.
func Principal(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(principalKey{}).(Token)
	return t, ok
}

// authenticator checks bearer tokens against the configured ones.
type authenticator struct {
	tokens     []Token
	publicRead bool
}

// lookup finds the token with this secret, comparing every hash in constant time
// so that timing tells nothing about which prefix matched.
func (a *authenticator) lookup(secret string) (Token, bool) {
	h := sha256.Sum256([]byte(secret))
	var found Token
	ok := false
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], t.hash[:]) == 1 {
			found, ok = t, true
		}
	}
	return found, ok
}

// bearer returns the token a request carries: the Authorization header, or for
// websocket upgrades (browsers cannot set headers on them) the access_token
// query parameter.
func bearer(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", false
		}
		return strings.TrimSpace(tok), true
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if tok := r.URL.Query().Get("access_token"); tok != "" {
			return tok, true
		}
	}
	return "", false
}

// permissionFor says what a request needs. Health stays open so that load
// balancers and orchestrators can probe without a token, and so do the
// command centre's static files.
func permissionFor(r *http.Request) (p permission, open bool) {
	path := r.URL.Path
	if path == "/api/v1/health" {
		return permRead, true
	}
	read := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
	if read && (path == "/ui" || strings.HasPrefix(path, "/ui/")) {
		return permRead, true // the command centre's own files hold no data; the page asks the API with a token
	}
	switch {
	case path == importsPath:
		return permImport, false
	case strings.HasPrefix(path, "/api/v1/deadletter"):
		return permAdmin, false
	case read:
		return permRead, false
	case path == "/api/v1/query":
		return permRead, false
	case strings.HasPrefix(path, "/api/v1/geofences"), strings.HasPrefix(path, "/api/v1/alerts"), strings.HasPrefix(path, "/api/v1/endpoints"):
		return permFences, false
	case strings.HasPrefix(path, "/api/v1/scenarios"):
		return permScenario, false
	}
	return permWrite, false
}

// authorize refuses requests without a token that grants what they need. With
// no tokens configured every request passes (the server then listens on
// loopback only; cmd/citytwin enforces that).
func authorize(a *authenticator, next http.Handler) http.Handler {
	if a == nil || len(a.tokens) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need, open := permissionFor(r)
		secret, has := bearer(r)
		if !has {
			if open || need == permRead && a.publicRead {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="citytwin"`)
			writeProblem(w, &Problem{Type: ProblemUnauthorized, Title: "Authentication required", Status: http.StatusUnauthorized,
				Detail: "send a bearer token: Authorization: Bearer <token>", Instance: r.URL.RequestURI()})
			return
		}
		tok, ok := a.lookup(secret)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="citytwin", error="invalid_token"`)
			writeProblem(w, &Problem{Type: ProblemUnauthorized, Title: "Invalid token", Status: http.StatusUnauthorized,
				Detail: "the bearer token is not one this server accepts", Instance: r.URL.RequestURI()})
			return
		}
		if !tok.Role.may(need) {
			writeProblem(w, &Problem{Type: ProblemForbidden, Title: "Not allowed for this role", Status: http.StatusForbidden,
				Detail: fmt.Sprintf("token %q has role %s, which may not %s; %s", tok.Name, tok.Role, need, rolesThatMay(need)), Instance: r.URL.RequestURI()})
			return
		}
		if rec, ok := w.(*recorder); ok {
			rec.user = tok.Name
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, tok)))
	})
}

// rolesThatMay tells a refused caller which roles would do.
func rolesThatMay(p permission) string {
	var names []string
	for _, r := range Roles {
		if r.may(p) {
			names = append(names, string(r))
		}
	}
	return "it needs " + strings.Join(names, " or ")
}
