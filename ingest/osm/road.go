package osm

import (
	"strconv"
	"strings"
)

// roadClass describes a routable highway class.
type roadClass struct {
	speedKMH float64 // default speed when maxspeed is absent or unreadable
	lanes    int     // default lanes per direction
	motor    bool    // open to motor vehicles
	oneway   bool    // oneway unless tagged oneway=no
}

// roadClasses are the routable highway=* values and their defaults: urban
// European defaults (motorways 110 km/h, trunk roads 90, main urban streets 50,
// residential 30, living streets 20, walking pace 5, cycling 15).
var roadClasses = map[string]roadClass{
	"motorway":       {110, 2, true, true},
	"motorway_link":  {60, 1, true, true},
	"trunk":          {90, 2, true, false},
	"trunk_link":     {50, 1, true, false},
	"primary":        {50, 1, true, false},
	"primary_link":   {40, 1, true, false},
	"secondary":      {50, 1, true, false},
	"secondary_link": {40, 1, true, false},
	"tertiary":       {40, 1, true, false},
	"tertiary_link":  {30, 1, true, false},
	"unclassified":   {40, 1, true, false},
	"residential":    {30, 1, true, false},
	"living_street":  {20, 1, true, false},
	"service":        {20, 1, true, false},
	"road":           {40, 1, true, false},
	// Non-motor classes, imported when Options.NonMotor is set.
	"pedestrian": {5, 1, false, false},
	"footway":    {5, 1, false, false},
	"path":       {5, 1, false, false},
	"steps":      {3, 1, false, false},
	"cycleway":   {15, 1, false, false},
	"bridleway":  {5, 1, false, false},
}

// zoneSpeeds are the implicit maxspeed values "XX:<zone>" (e.g. "RU:urban",
// "FI:rural", "DE:motorway"), read the same in every country.
var zoneSpeeds = map[string]float64{
	"urban":         50,
	"rural":         90,
	"motorway":      110,
	"trunk":         90,
	"living_street": 20,
	"walk":          5,
	"zone30":        30,
	"zone20":        20,
	"bicycle_road":  30,
}

// ParseSpeed parses a maxspeed tag into km/h: "50", "30 mph", "50 km/h",
// "RU:urban" (a zone, see zoneSpeeds), "walk" (5). It is false for "none",
// "signals", "variable" and anything unreadable; the caller then uses the class
// default.
func ParseSpeed(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i] // "50;30": the first value
	}
	if s == "walk" {
		return 5, true
	}
	if i := strings.IndexByte(s, ':'); i > 0 {
		v, ok := zoneSpeeds[strings.TrimSpace(s[i+1:])]
		if !ok && strings.HasPrefix(s[i+1:], "zone") { // "DE:zone:30", "DE:zone30"
			f, ok2 := parseNumber(strings.TrimPrefix(strings.TrimPrefix(s[i+1:], "zone"), ":"))
			return f, ok2 && f > 0 && f <= 300
		}
		return v, ok
	}
	mul := 1.0
	switch {
	case strings.HasSuffix(s, "mph"):
		s, mul = strings.TrimSuffix(s, "mph"), 1.609344
	case strings.HasSuffix(s, "km/h"):
		s = strings.TrimSuffix(s, "km/h")
	case strings.HasSuffix(s, "kmh"):
		s = strings.TrimSuffix(s, "kmh")
	case strings.HasSuffix(s, "knots"):
		s, mul = strings.TrimSuffix(s, "knots"), 1.852
	}
	f, ok := parseNumber(s)
	if !ok || f <= 0 || f > 300 {
		return 0, false
	}
	return f * mul, true
}

// Oneway reads the direction rule of a highway: 1 for travel along the way only,
// -1 for against it only, 0 for both. oneway=yes/true/1 is 1, oneway=-1/reverse
// is -1, oneway=no/false/0 is 0; without an oneway tag, junction=roundabout (or
// circular) and the motorway classes imply 1. Other values ("reversible",
// "alternating") are 0: both directions, at times.
func Oneway(highway, oneway, junction string) int8 {
	switch oneway {
	case "yes", "true", "1":
		return 1
	case "-1", "reverse":
		return -1
	case "no", "false", "0":
		return 0
	}
	if oneway == "" {
		if junction == "roundabout" || junction == "circular" {
			return 1
		}
		if c, ok := roadClasses[highway]; ok && c.oneway {
			return 1
		}
	}
	return 0
}

// parseLanes reads lanes=*: a whole number from 1 to 20.
func parseLanes(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= 1 && n <= 20
}
