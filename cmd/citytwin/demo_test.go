package main

import (
	"testing"

	"citytwin/twin/alert"
	"citytwin/twin/fence"

	"github.com/paulmach/orb"
)

func TestDemoWatchersAreValid(t *testing.T) {
	ops := demoWatchers(orb.Point{24.94, 60.17})
	fences, rules := 0, 0
	for _, op := range ops {
		if err := op.Validate(); err != nil {
			t.Fatal(err)
		}
		switch op.Entity.Kind {
		case fence.KindGeofence:
			fences++
			if _, err := fence.Parse(op.Entity); err != nil {
				t.Error(err)
			}
		case alert.KindRule:
			rules++
			if _, err := alert.Parse(op.Entity); err != nil {
				t.Error(err)
			}
		}
	}
	if fences != 1 || rules != 2 {
		t.Errorf("%d fences and %d rules", fences, rules)
	}
}
