package gtfs

// ModeOf maps a GTFS route_type to a mode name; "" for a type it does not know.
//
// Basic types: 0 tram, 1 metro (subway), 2 rail, 3 bus, 4 ferry, 5 cable_tram,
// 6 aerial_lift, 7 funicular, 11 trolleybus, 12 monorail.
//
// Extended types (the Hierarchical Vehicle Type ranges Google Transit accepts)
// map by hundred: 100–199 rail, 200–299 coach, 300–399 rail (suburban),
// 400–499 metro (urban railway; 405 monorail), 500–599 metro, 600–699 metro
// (underground), 700–799 bus, 800–899 trolleybus, 900–999 tram, 1000–1099
// ferry (water transport), 1100–1199 air, 1200–1299 ferry, 1300–1399
// aerial_lift, 1400–1499 funicular, 1500–1599 taxi, 1600–1699 self_drive,
// 1700–1799 other (miscellaneous, e.g. 1702 horse-drawn carriage).
func ModeOf(routeType int) string {
	switch routeType {
	case 0:
		return "tram"
	case 1:
		return "metro"
	case 2:
		return "rail"
	case 3:
		return "bus"
	case 4:
		return "ferry"
	case 5:
		return "cable_tram"
	case 6:
		return "aerial_lift"
	case 7:
		return "funicular"
	case 11:
		return "trolleybus"
	case 12, 405:
		return "monorail"
	}
	if routeType < 100 || routeType > 1799 {
		return ""
	}
	return extendedModes[routeType/100-1]
}

var extendedModes = [...]string{
	"rail", "coach", "rail", "metro", "metro", "metro", "bus", "trolleybus", "tram",
	"ferry", "air", "ferry", "aerial_lift", "funicular", "taxi", "self_drive", "other",
}
