package crs

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownCRS is returned for a reference system name that cannot be parsed or
// that PROJ does not know. The wrapping error names it.
var ErrUnknownCRS = errors.New("crs: unknown reference system")

// CRS84 is the code of WGS84 in lon/lat order, the twin's own system.
const CRS84 = "OGC:CRS84"

// Parse turns a reference system name as found in data files into a canonical
// code: "EPSG:<n>", "EPSG:<h>+<v>" for a compound given as two parts, or
// "OGC:CRS84". It accepts
//
//	EPSG:28992  epsg:28992
//	urn:ogc:def:crs:EPSG::7415  urn:ogc:def:crs:EPSG:6.6:7415
//	https://www.opengis.net/def/crs/EPSG/0/28992 (http too, any version)
//	urn:ogc:def:crs,crs:EPSG::28992,crs:EPSG::5709 (compound: "EPSG:28992+5709")
//	OGC:CRS84, urn:ogc:def:crs:OGC:1.3:CRS84, http://www.opengis.net/def/crs/OGC/1.3/CRS84
//
// It does not ask PROJ whether the code exists; New does.
func Parse(name string) (string, error) {
	s := strings.TrimSpace(name)
	low := strings.ToLower(s)
	bad := func() (string, error) { return "", fmt.Errorf("%w %q", ErrUnknownCRS, name) }
	switch {
	case strings.HasPrefix(low, "urn:ogc:def:crs,"):
		parts := strings.Split(s[len("urn:ogc:def:crs,"):], ",")
		if len(parts) != 2 {
			return bad()
		}
		var codes [2]string
		for i, p := range parts {
			c, err := Parse("urn:ogc:def:" + p)
			if err != nil || !strings.HasPrefix(c, "EPSG:") {
				return bad()
			}
			codes[i] = c[len("EPSG:"):]
		}
		return "EPSG:" + codes[0] + "+" + codes[1], nil
	case strings.HasPrefix(low, "epsg:"):
		return epsg(s[len("epsg:"):], name)
	case strings.HasPrefix(low, "urn:ogc:def:crs:"):
		// urn:ogc:def:crs:<authority>:<version>:<code>, version often empty.
		f := strings.Split(s[len("urn:ogc:def:crs:"):], ":")
		if len(f) != 3 {
			return bad()
		}
		return authority(f[0], f[2], name)
	case strings.HasPrefix(low, "http://www.opengis.net/def/crs/"), strings.HasPrefix(low, "https://www.opengis.net/def/crs/"):
		rest := s[strings.Index(low, "/def/crs/")+len("/def/crs/"):]
		f := strings.Split(strings.TrimSuffix(rest, "/"), "/")
		if len(f) != 3 {
			return bad()
		}
		return authority(f[0], f[2], name)
	case strings.EqualFold(s, "OGC:CRS84"), strings.EqualFold(s, "CRS84"):
		return CRS84, nil
	}
	return bad()
}

func authority(auth, code, name string) (string, error) {
	switch {
	case strings.EqualFold(auth, "EPSG"):
		return epsg(code, name)
	case strings.EqualFold(auth, "OGC") && strings.EqualFold(code, "CRS84"):
		return CRS84, nil
	}
	return "", fmt.Errorf("%w %q", ErrUnknownCRS, name)
}

func epsg(code, name string) (string, error) {
	if code == "" || len(code) > 9 {
		return "", fmt.Errorf("%w %q", ErrUnknownCRS, name)
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("%w %q", ErrUnknownCRS, name)
		}
	}
	code = strings.TrimLeft(code, "0")
	if code == "" {
		return "", fmt.Errorf("%w %q", ErrUnknownCRS, name)
	}
	return "EPSG:" + code, nil
}
