// Package traffic is the macroscopic traffic model of citytwin's what-if
// scenarios: the cell transmission model (CTM, Daganzo 1994, 1995) on a
// directed road network, with a general node model at junctions, fixed-time
// signals, origin–destination demand with a time profile, dynamic route choice
// that reacts to closures, and the KPIs planners ask for.
//
// # Why the cell transmission model
//
// CTM is the Godunov discretisation of the kinematic-wave (LWR) model. It keeps
// the spatial extent of every queue (spillback across junctions, the tail of a
// queue moving upstream at the shockwave speed), is explicit and local, so a
// step is one pass over the cells and one over the junctions, which
// parallelises deterministically, and its state is plain numbers per cell,
// which makes save and restore exact. Link transmission (Yperman 2007) needs
// fewer updates on long uncongested links but keeps cumulative-curve histories
// per link, which costs memory and complicates restoring a run.
//
// # The fundamental diagram
//
// Every lane has the diagram q(k) = min(v·k, q_max, w·(k_j − k)) with free-flow
// speed v (the link's), backward wave speed w, jam density k_j and capacity
// q_max (Config, a link may set its own capacity). Units are SI throughout:
// metres, seconds, vehicles per second and vehicles per metre. A link of length
// L is cut into n = max(1, ⌊L/(v·Δt)⌋) cells of length L/n ≥ v·Δt, so the
// Courant condition holds. A link shorter than v·Δt is one cell that behaves
// as if it were v·Δt long (crossed in one step, storing and passing what such a
// cell would), so that the short segments between close junctions in OSM data
// are no bottlenecks; its free-flow time counts as one step. Choose Δt below
// the free-flow time of most links: 1–2 s for OSM streets.
//
// # Junctions
//
// The node model is the general node model of Tampère et al. (2011) with
// capacity-proportional priorities: merges share a restricted supply in
// proportion to the capacities of the incoming links, diverges are FIFO (a
// link's outflow is held back in the same proportion for all its turns when one
// of them is blocked), a model its authors show to satisfy the invariance principle. Zones (origins) are
// point queues at their node that join the node model; destinations are sinks
// with unlimited supply. A fixed-time Signal gives each controlled approach a
// green window per cycle; the sending flow of the approach is scaled by the
// share of the step that is green.
//
// # Routes
//
// Vehicles carry their destination (and the sum of their departure times)
// through a FIFO of packets per link, so the turning fractions at a junction
// are those of the vehicles at the head of each incoming link
// (destination-based commodities; the order of the vehicles is kept to the
// resolution of a cell, as in the multicommodity CTM where a cell mixes its
// vehicles). Origins release trips as whole vehicles by default
// (Config.Release), staggered per OD pair. Every Config.RerouteEvery seconds, and whenever a
// Restriction starts or ends, the model computes for every destination the
// fastest next link from every node (Dijkstra on current link travel times from
// the cell densities); vehicles already on the network follow the new tables
// from their next junction. A closed link (capacity factor 0) admits no
// vehicles; those on it when it closes drive off.
//
// # KPIs
//
// Totals (vehicle-km, vehicle-hours, delay against free flow, delivered,
// waiting, on the network, mean experienced travel time), per link (flows,
// speeds, queues in vehicles and metres, travel-time index for aggregation to
// H3 cells), per destination (mean experienced travel time), per OD pair
// (free-flow, current and departure-averaged route travel times), and optional
// time series of link flows, speeds and queues. Calibrate fits the OD rates to
// traffic counts.
//
// # Microscopic districts
//
// Micro drives individual vehicles on single-lane links with the Intelligent
// Driver Model (Treiber, Hennecke and Helbing 2000), for a district where the
// macroscopic model is too coarse: loops (vehicles circling blocks) and open
// routes, a ballistic update that is independent of the order of vehicles.
//
// A Model is deterministic: the same network, demand, configuration and
// interventions give byte-identical State, whatever Config.Workers is, and
// State then Restore then continuing equals an uninterrupted run.
package traffic
