// Package datasets makes data for citytwin when there is none at hand: a synthetic
// city (streets, buildings, the substations that feed them, sensors, vehicles, bus
// routes) that is the same for the same seed, and a live stream of plausible sensor
// readings and vehicle movements over it.
//
// A city is generated in a local metric frame (metres east and north of
// CityConfig.Center, see geo.Frame) and converted to WGS84 lon/lat once. The street
// network is a set of ring roads and radial arterials; the districts between them
// are filled with rotated, unevenly spaced street grids or with curved streets that
// follow the rings. Buildings stand on lots inside the blocks, set back from every
// street, so that no building overlaps a road or another building.
//
// A district of 40 buildings or more has an electrical substation, and one of
// 4,500 or more one for every 3,000 buildings (rounded); each stands in a corner of
// a lot near the middle of the buildings it was sited for. Every building has a
// "fed_by" link to the substation nearest it, which may be a neighbouring
// district's.
//
// # Metrics and units
//
// The stream writes these metrics. Units are SI where there is one; the few
// customary exceptions are marked.
//
//	sensor_type  metric          unit
//	air_quality  pm25            µg/m³ (customary for particulate matter)
//	air_quality  pm10            µg/m³ (customary)
//	air_quality  no2             µg/m³ (customary)
//	traffic      vehicle_count   vehicles counted since the previous reading (count)
//	traffic      speed           m/s, mean speed of the counted vehicles
//	parking      occupancy       fraction of spaces taken, 0..1
//	parking      free_spaces     count
//	energy       power           W
//	energy       energy          J, cumulative meter reading
//	weather      temperature     °C (SI derived unit)
//	weather      humidity        relative humidity as a fraction, 0..1
//	weather      wind_speed      m/s
//	weather      wind_direction  degrees clockwise from north, where it blows from
//	weather      rain            mm/h (customary; 1 mm/h = 1/3600 kg m⁻² s⁻¹)
//	weather      pressure        Pa
//
// Vehicles and buses report positions (twin.OpMove), not metrics.
package datasets
