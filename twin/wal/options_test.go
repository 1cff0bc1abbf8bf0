package wal

import (
	"strings"
	"testing"
	"time"
)

func TestSyncPolicyText(t *testing.T) {
	for _, p := range policies {
		got, err := ParseSyncPolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v", p.String(), got, err)
		}
		b, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var q SyncPolicy
		if err := q.UnmarshalText(b); err != nil || q != p {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, q, err)
		}
	}
	if _, err := ParseSyncPolicy("sometimes"); err == nil {
		t.Error("ParseSyncPolicy accepted sometimes")
	}
	if s := SyncPolicy(9).String(); s != "SyncPolicy(9)" {
		t.Errorf("String of an invalid policy = %q", s)
	}
	var zero Options
	if zero.Sync != SyncBatch {
		t.Error("the zero policy is not batch")
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string // substring of the error, "" for valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"bad policy", func(o *Options) { o.Sync = 7 }, "sync policy"},
		{"zero interval", func(o *Options) { o.SyncInterval = 0 }, "sync interval"},
		{"negative interval", func(o *Options) { o.SyncInterval = -time.Second }, "sync interval"},
		{"tiny segment", func(o *Options) { o.SegmentBytes = 10 }, "segment bytes"},
		{"no pending", func(o *Options) { o.MaxPending = -1 }, "max pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.edit(&o)
			err := o.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
	// Open fills zero fields and rejects invalid ones.
	l, _, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("Open with zero options: %v", err)
	}
	if l.opts.SegmentBytes != DefaultSegmentBytes || l.opts.SyncInterval != DefaultSyncInterval || l.opts.MaxPending != DefaultMaxPending {
		t.Errorf("zero options became %+v", l.opts)
	}
	l.Close()
	if _, _, err := Open(t.TempDir(), Options{SegmentBytes: -5}); err == nil {
		t.Error("Open accepted negative SegmentBytes")
	}
}
