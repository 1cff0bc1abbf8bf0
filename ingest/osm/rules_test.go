package osm

import (
	"math"
	"testing"
)

func TestParseLength(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"12", 12, true},
		{"12 m", 12, true},
		{"12.5m", 12.5, true},
		{"12,5", 12.5, true},
		{" 7 ", 7, true},
		{"40'", 40 * 0.3048, true},
		{"40 ft", 40 * 0.3048, true},
		{"40'6\"", 40*0.3048 + 6*0.0254, true},
		{"0", 0, true},
		{"", 0, false},
		{"tall", 0, false},
		{"-3", 0, false},
		{"1e308", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"0x10", 0, false},
		{"99999", 0, false},
		{"12 m;15 m", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseLength(tt.in)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("ParseLength(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestHeightsOf(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want Heights
	}{
		{"height wins", map[string]string{"height": "70", "building:levels": "13"}, Heights{70, 0, 13}},
		{"levels rule", map[string]string{"building:levels": "5"}, Heights{5*3 + 1, 0, 5}},
		{"levels and roof", map[string]string{"building:levels": "5", "roof:height": "4"}, Heights{5*3 + 4, 0, 5}},
		{"min level", map[string]string{"building:levels": "5", "building:min_level": "2"}, Heights{16, 6, 5}},
		{"min height", map[string]string{"height": "20", "min_height": "8.5"}, Heights{20, 8.5, 0}},
		{"feet", map[string]string{"height": "100'"}, Heights{30.48, 0, 0}},
		{"nothing", map[string]string{"building": "yes"}, Heights{}},
		{"bad values", map[string]string{"height": "high", "building:levels": "-2"}, Heights{}},
		{"too many levels", map[string]string{"building:levels": "9999"}, Heights{}},
		{"fractional levels", map[string]string{"building:levels": "2.5"}, Heights{3*3 + 1, 0, 3}},
		{"min above top", map[string]string{"height": "10", "min_height": "20"}, Heights{10, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HeightsOf(func(k string) string { return tt.tags[k] })
			if math.Abs(got.Height-tt.want.Height) > 1e-9 || got.MinHeight != tt.want.MinHeight || got.Levels != tt.want.Levels {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestOneway(t *testing.T) {
	tests := []struct {
		highway, oneway, junction string
		want                      int8
	}{
		{"residential", "", "", 0},
		{"residential", "yes", "", 1},
		{"residential", "true", "", 1},
		{"residential", "1", "", 1},
		{"residential", "-1", "", -1},
		{"residential", "reverse", "", -1},
		{"residential", "no", "", 0},
		{"primary", "", "roundabout", 1},
		{"primary", "", "circular", 1},
		{"primary", "no", "roundabout", 0},
		{"motorway", "", "", 1},
		{"motorway_link", "", "", 1},
		{"motorway", "no", "", 0},
		{"trunk", "", "", 0},
		{"primary", "reversible", "", 0},
	}
	for _, tt := range tests {
		if got := Oneway(tt.highway, tt.oneway, tt.junction); got != tt.want {
			t.Errorf("Oneway(%q, %q, %q) = %d, want %d", tt.highway, tt.oneway, tt.junction, got, tt.want)
		}
	}
}

func TestParseSpeed(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"50", 50, true},
		{"50 km/h", 50, true},
		{"30 mph", 30 * 1.609344, true},
		{"30mph", 30 * 1.609344, true},
		{"RU:urban", 50, true},
		{"FI:rural", 90, true},
		{"DE:motorway", 110, true},
		{"DE:living_street", 20, true},
		{"DE:zone30", 30, true},
		{"DE:zone:30", 30, true},
		{"walk", 5, true},
		{"50;30", 50, true},
		{"none", 0, false},
		{"signals", 0, false},
		{"XX:nowhere", 0, false},
		{"0", 0, false},
		{"-30", 0, false},
		{"1e9", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseSpeed(tt.in)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("ParseSpeed(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
