package web

import (
	"errors"
	"testing"
)

func TestParseControl(t *testing.T) {
	for _, tc := range []struct {
		msg, field string // field "" and ok: valid
		ok         bool
	}{
		{`{"type":"subscribe","bbox":[13.3,52.4,13.5,52.6],"zoom":15,"kinds":["vehicle","sensor"],"metrics":["pm25"]}`, "", true},
		{`{"type":"subscribe","cells":["881f1d4887fffff"]}`, "", true},
		{`{"type":"subscribe","ids":["vehicle:1"],"where":"speed>3"}`, "", true},
		{`{"type":"subscribe","bbox":[170,0,-170,1]}`, "", true},
		{`{"type":"viewport","bbox":[13.3,52.4,13.5,52.6],"zoom":12}`, "", true},
		{`{"type":"seek","at":"2024-05-01T08:00:00Z","speed":60}`, "", true},
		{`{"type":"resume","seq":12,"epoch":"ab","bbox":[0,0,1,1]}`, "", true},
		{`{"type":"fences","after":7}`, "", true},
		{`{"type":"ping"}`, "", true},
		{`{"type":"subscribe"}`, "bbox", false},
		{`{"type":"subscribe","bbox":[0,0,1]}`, "bbox", false},
		{`{"type":"subscribe","bbox":[0,2,1,1]}`, "bbox", false},
		{`{"type":"subscribe","bbox":[0,0,1,91]}`, "bbox", false},
		{`{"type":"subscribe","bbox":"0,0,1,1"}`, "bbox", false},
		{`{"type":"subscribe","bbox":[0,0,1,1],"zoom":30}`, "zoom", false},
		{`{"type":"subscribe","cells":["nope"]}`, "cells", false},
		{`{"type":"subscribe","bbox":[0,0,1,1],"kinds":["Vehicle"]}`, "kinds", false},
		{`{"type":"subscribe","bbox":[0,0,1,1],"metrics":["a","b","c","d","e","f","g","h","i"]}`, "metrics", false},
		{`{"type":"subscribe","bbox":[0,0,1,1],"where":["=3"]}`, "where", false},
		{`{"type":"subscribe","bbox":[0,0,1,1],"colour":"red"}`, "colour", false},
		{`{"type":"viewport","kinds":["vehicle"]}`, "kinds", false},
		{`{"type":"seek"}`, "at", false},
		{`{"type":"seek","at":"2024-05-01T08:00:00Z","speed":-1}`, "speed", false},
		{`{"type":"resume","bbox":[0,0,1,1]}`, "seq", false},
		{`{"type":"fences","after":-1}`, "after", false},
		{`{}`, "type", false},
		{`{"type":"ping"} {"type":"ping"}`, "", false},
		{``, "", false},
	} {
		c, err := parseControl([]byte(tc.msg))
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.msg, err)
			}
			continue
		}
		var ce *ControlError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v (%+v), want a *ControlError", tc.msg, err, c)
			continue
		}
		if ce.Field != tc.field {
			t.Errorf("%s: field %q, want %q (%v)", tc.msg, ce.Field, tc.field, err)
		}
	}
}

// FuzzControl: the parser never panics, and every error is a *ControlError
// with a message to send back.
func FuzzControl(f *testing.F) {
	for _, s := range []string{
		`{"type":"subscribe","bbox":[13.3,52.4,13.5,52.6],"zoom":15,"kinds":["vehicle","sensor"],"metrics":["pm25"]}`,
		`{"type":"subscribe","cells":["881f1d4887fffff"],"where":["speed>3","route=42"]}`,
		`{"type":"viewport","bbox":[170,0,-170,1]}`,
		`{"type":"seek","at":"2024-05-01T08:00:00Z","speed":60}`,
		`{"type":"resume","seq":12,"epoch":"ab","ids":["vehicle:1"]}`,
		`{"type":"fences","after":7}`, `{"type":"alerts"}`, `{"type":"live"}`, `{"type":"ping"}`,
		`{"type":"subscribe","bbox":[1e400,0,0,0]}`, `[]`, `null`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseControl(b)
		if err != nil {
			var ce *ControlError
			if !errors.As(err, &ce) || ce.Error() == "" {
				t.Fatalf("%q: %T %v", b, err, err)
			}
			return
		}
		if c.Type == "" {
			t.Fatalf("%q: no type", b)
		}
		for _, bb := range c.View.BBox {
			if !(bb.Min[1] <= bb.Max[1]) {
				t.Fatalf("%q: bad bound %v", b, bb)
			}
		}
	})
}
