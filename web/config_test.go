package web

import (
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	d := DefaultConfig()
	if d.DefaultLimit != 10 || d.MaxLimit != 10000 {
		t.Errorf("default limits %d/%d, want 10/10000", d.DefaultLimit, d.MaxLimit)
	}
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"base url", func(c *Config) { c.BaseURL = "https://twin.example.org/city" }, true},
		{"base url with slash", func(c *Config) { c.BaseURL = "http://localhost:8080/" }, true},
		{"relative base url", func(c *Config) { c.BaseURL = "/city" }, false},
		{"ftp base url", func(c *Config) { c.BaseURL = "ftp://x" }, false},
		{"base url with query", func(c *Config) { c.BaseURL = "http://x/?a=1" }, false},
		{"body limit", func(c *Config) { c.MaxBodyBytes = 0 }, false},
		{"read timeout", func(c *Config) { c.ReadTimeout = 0 }, false},
		{"write timeout", func(c *Config) { c.WriteTimeout = -time.Second }, false},
		{"max limit 0", func(c *Config) { c.MaxLimit = 0 }, false},
		{"max limit too big", func(c *Config) { c.MaxLimit = 10001 }, false},
		{"default above max", func(c *Config) { c.MaxLimit, c.DefaultLimit = 50, 100 }, false},
		{"default 0", func(c *Config) { c.DefaultLimit = 0 }, false},
		{"small pages", func(c *Config) { c.MaxLimit, c.DefaultLimit = 50, 5 }, true},
		{"negative ttl", func(c *Config) { c.ExtentTTL = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
