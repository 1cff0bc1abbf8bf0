// Package osm imports OpenStreetMap data (OSM XML 0.6 or PBF, optionally gzip or
// bzip2 compressed; the format is told from the first bytes) into twin entities
// and a routable road graph (package geo/roadnet).
//
//	res, err := osm.Read(ctx, f, osm.Options{Name: "city.osm.pbf", NonMotor: true})
//	store.Apply(res.Ops...)
//	path, secs, err := res.Graph.ShortestPath(res.Graph.Nearest(a), res.Graph.Nearest(b))
//
// # Memory
//
// Node coordinates are kept as fixed-point lon/lat in units of 1e-7 degree (the
// precision OSM itself stores) in parallel sorted slices: 16 bytes a node, looked
// up by binary search; input not sorted by id is sorted once after the scan. The
// node ids of every way are kept (8 bytes a reference, multipolygons need the
// ways they use), the tags only of ways and relations that become entities.
// A city extract of 10 million nodes needs about 160 MB for the nodes; a planet
// file is out of scope. The osmpbf decoder adds a fixed 32 MiB blob buffer.
//
// # Entities
//
// Ids are source-qualified: osm:node/<id>, osm:way/<id>, osm:relation/<id> and
// osm:way/<id>/<k> for the k-th segment (from 0) of a road. Every entity has the
// element's tags as string properties with the OSM keys (roads add the derived
// properties below, which win over a tag of the same key), and one provenance
// record {Source: "osm", Time: the element's timestamp (zero when absent), Note:
// "<Options.Name> <type>/<id> v<version>"}. Ops are upserts with Op.T = 0 (the
// time of applying) and Source "osm", in this order: buildings from ways, then
// from relations; building parts; road segments; POIs; each group in file order.
//
// Buildings (KindBuilding): closed ways with building=* other than "no" become a
// Polygon; relations with type=multipolygon and building=* become a Polygon (one
// outer ring) or MultiPolygon with holes. A way with both building=* and
// building:part=* is a building. Outer rings are counter-clockwise and holes
// clockwise (RFC 7946).
//
// Building parts (KindBuildingPart): the same for building:part=* (not "no"). A
// part gets the link {Rel: "part_of", To: <building id>} to the smallest
// building whose footprint contains the part's area centroid, and no link when
// none does.
//
// Multipolygon assembly: way members only (node members such as labels and
// relation members, including a relation naming itself, are ignored). Role
// "inner" makes a hole, "outer" or empty an outer ring. Closed ways are rings by
// themselves; open ways are joined end to end by shared end nodes, reversed where
// needed, until the chain closes. Each hole goes into the smallest outer ring
// that holds most of its vertices.
//
// # Heights
//
// Entity.Height is height=* in metres ("12", "12 m", "12.5m", "12,5", "40'",
// "40 ft", "40'6\"" in feet and inches). Without a readable height, a building
// with building:levels=n > 0 gets n × 3.0 m (LevelHeight) plus roof:height=* when
// present, else plus 1.0 m (RoofAllowance). The 3 m storey is the convention of
// the OSM wiki (Key:building:levels, Simple 3D Buildings) that 3D renderers use.
// Entity.MinHeight is min_height=*, else building:min_level × 3.0 m. Entity.Levels
// is building:levels rounded to a whole storey. Values that are negative,
// non-finite, above 2000 m or 500 levels are ignored (the tag stays a property);
// a min height above the height is dropped.
//
// # Roads
//
// Ways with a routable highway=* become roads (KindRoad, LineString): motorway,
// trunk, primary, secondary, tertiary (and their _link classes), unclassified,
// residential, living_street, service and road; with Options.NonMotor also
// pedestrian, footway, path, steps, cycleway and bridleway (property motor=false).
// Highways tagged area=yes are not roads. A way is split at every node used
// more than once by routable ways (a junction with another road, or a way
// crossing itself) into segments osm:way/<id>/<k>; repeated consecutive nodes
// are dropped. A node missing from the file (an extract cut the way) also ends a
// segment; the road is imported as the pieces between missing nodes and counted
// in Stats.ClippedRoads.
//
// Each segment carries: class (the highway value), name (the tag), lanes (total,
// a number: lanes=* from 1 to 20, else one per direction, two per direction on
// motorways and trunks), maxspeed_kmh and maxspeed_source ("tag" or "default"),
// oneway ("yes", "no" or "-1"), length_m (the great-circle length along the
// line, geo.Distance), from_node and to_node (OSM node ids) and motor (bool).
//
// maxspeed: "50", "50 km/h", "30 mph", "10 knots", "walk" (5), zones "XX:urban"
// (50), "XX:rural" (90), "XX:motorway" (110), "XX:trunk" (90),
// "XX:living_street" (20), "XX:zone30"/"XX:zone:30" (30); the first of "a;b".
// Anything else ("none", "signals", unreadable) takes the class default in km/h:
// motorway 110, motorway_link 60, trunk 90, trunk_link 50, primary and secondary
// 50, primary_link and secondary_link 40, tertiary 40, tertiary_link 30,
// unclassified 40, residential 30, living_street 20, service 20, road 40,
// pedestrian, footway, path and bridleway 5, steps 3, cycleway 15.
//
// oneway: yes/true/1 is travel along the way only, -1/reverse against it only,
// no/false/0 both ways. Without the tag, junction=roundabout or circular and
// the classes motorway and motorway_link are oneway. "reversible" and
// "alternating" count as two-way.
//
// The road graph has a node per segment end (OSM node id, lon/lat) and an edge
// per direction of travel: two for a two-way segment, one for a oneway one (To→
// From for oneway=-1), with the segment's length, lanes per direction (lanes / 2,
// at least 1, for two-way roads), speed in m/s, class, motor flag and road id.
//
// # POIs
//
// Nodes with any of amenity, shop, tourism, leisure, public_transport, historic,
// office, craft, healthcare or emergency (other than "no"), or with
// highway=bus_stop or railway=station, halt, tram_stop or subway_entrance,
// become KindPOI points. POIs mapped as ways or areas are not imported.
//
// # Rejects
//
// Nothing in the input panics or stops the import; an element that cannot become
// an entity is listed in Result.Rejects with its type, id and reason:
//
//   - node: a coordinate that is not a WGS84 lon/lat;
//   - building or part way: not closed, fewer than 4 nodes, zero area, a missing
//     node;
//   - multipolygon relation: no way members, a missing member way, a way listed
//     twice, a member way of fewer than 2 nodes, a ring that does not close (the
//     open end's node is named), a ring of fewer than 4 nodes, no outer ring, a
//     ring of zero area, a hole outside every outer ring, a missing node;
//   - road way: fewer than 2 distinct nodes, or no two consecutive nodes present.
//
// Read returns an error only when the input cannot be read at all: an unknown
// format, a broken XML or PBF stream, or a cancelled context.
package osm
