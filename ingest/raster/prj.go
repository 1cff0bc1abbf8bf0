package raster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	// The last AUTHORITY of a WKT is that of the whole CRS.
	wktAuthority = regexp.MustCompile(`(?i)(?:AUTHORITY|ID)\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$`)
	// ESRI WKT names UTM CRSs like "WGS_1984_UTM_Zone_56S" or "GDA_1994_MGA_Zone_56".
	esriUTM = regexp.MustCompile(`(?i)^(?:PROJCS|PROJCRS)\[\s*"(WGS_1984_UTM|WGS 84 / UTM|GDA_1994_MGA|GDA94 / MGA|GDA_2020_MGA|GDA2020 / MGA)[_ ]zone[_ ](\d{1,2})([NS]?)"`)
)

// CRSFromPRJ names the CRS a .prj describes: "EPSG:<code>" when it can tell
// (a WKT with an EPSG authority; a WKT named after WGS 84 UTM or GDA94/GDA2020
// MGA zones; an old-style ESRI "Projection UTM / Zone / Datum" file), else the
// trimmed text itself.
func CRSFromPRJ(text string) string {
	t := strings.TrimSpace(strings.TrimPrefix(text, "\uFEFF"))
	if t == "" {
		return ""
	}
	if m := wktAuthority.FindStringSubmatch(t); m != nil {
		return "EPSG:" + m[1]
	}
	if m := esriUTM.FindStringSubmatch(t); m != nil {
		zone, _ := strconv.Atoi(m[2])
		if zone >= 1 && zone <= 60 {
			switch strings.ToUpper(m[1][:3]) {
			case "WGS":
				if strings.EqualFold(m[3], "N") {
					return fmt.Sprintf("EPSG:%d", 32600+zone)
				}
				return fmt.Sprintf("EPSG:%d", 32700+zone)
			case "GDA":
				if strings.Contains(m[1], "2020") {
					return fmt.Sprintf("EPSG:%d", 7800+zone)
				}
				return fmt.Sprintf("EPSG:%d", 28300+zone)
			}
		}
	}
	if code := oldESRI(t); code != "" {
		return code
	}
	return t
}

// oldESRI reads the key-value .prj of ArcInfo ("Projection UTM", "Zone 56",
// "Datum WGS84", "Yshift 10000000"); only UTM on WGS84 is named.
func oldESRI(t string) string {
	kv := map[string]string{}
	for _, line := range strings.Split(t, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			kv[strings.ToLower(f[0])] = strings.ToUpper(f[1])
		}
	}
	if kv["projection"] != "UTM" {
		return ""
	}
	zone, err := strconv.Atoi(kv["zone"])
	if err != nil || zone == 0 || zone < -60 || zone > 60 {
		return ""
	}
	datum := kv["datum"]
	if datum == "" {
		datum = kv["spheroid"]
	}
	if datum != "WGS84" {
		return ""
	}
	south := zone < 0
	if y, err := strconv.ParseFloat(kv["yshift"], 64); err == nil && y == 10000000 {
		south = true
	}
	if zone < 0 {
		zone = -zone
	}
	if south {
		return fmt.Sprintf("EPSG:%d", 32700+zone)
	}
	return fmt.Sprintf("EPSG:%d", 32600+zone)
}
