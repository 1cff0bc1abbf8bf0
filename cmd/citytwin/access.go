package main

import (
	"flag"
	"fmt"
	"net"
	"os"

	"citytwin/web"
)

// accessFlags are serve's flags for who may use the API.
type accessFlags struct {
	tokens     listFlag
	tokensFile string
	publicRead bool
	origins    listFlag
}

func addAccessFlags(fs *flag.FlagSet) *accessFlags {
	a := &accessFlags{}
	fs.Var(&a.tokens, "token", "accept the bearer token role:name:secret, role one of viewer, operator, planner, admin (repeatable)")
	fs.StringVar(&a.tokensFile, "tokens", "", "file of bearer tokens, one \"role name secret\" per line (# comments)")
	fs.BoolVar(&a.publicRead, "public-read", false, "let requests without a token read (writes still need one)")
	fs.Var(&a.origins, "allow-origin", "browser origin (https://host[:port], or *) that may call the API and open streams from another site (repeatable)")
	return a
}

// apply reads the tokens into cfg and refuses an open API on a reachable
// address: without tokens, the server listens on loopback only.
func (a *accessFlags) apply(cfg *web.Config, addr string) error {
	for _, f := range a.tokens {
		t, err := web.ParseTokenFlag(f)
		if err != nil {
			return fmt.Errorf("--token: %v", err)
		}
		cfg.Tokens = append(cfg.Tokens, t)
	}
	if a.tokensFile != "" {
		f, err := os.Open(a.tokensFile)
		if err != nil {
			return fmt.Errorf("--tokens: %w", err)
		}
		defer f.Close()
		ts, err := web.ParseTokens(f, a.tokensFile)
		if err != nil {
			return err
		}
		cfg.Tokens = append(cfg.Tokens, ts...)
	}
	cfg.PublicRead = a.publicRead
	cfg.AllowedOrigins = a.origins
	if len(cfg.Tokens) == 0 && !loopback(addr) {
		return fmt.Errorf("refusing to serve %s without tokens: anyone who can reach it could change the twin. Give --token role:name:secret or --tokens FILE, or listen on 127.0.0.1", addr)
	}
	if a.publicRead && len(cfg.Tokens) == 0 {
		return fmt.Errorf("--public-read needs tokens for the writes (--token or --tokens)")
	}
	return nil
}

// loopback reports whether addr (host:port) listens on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
