// Package roadnet holds the routable road graph that importers build and
// simulation models route on: junction nodes (with their source node ids and
// WGS84 lon/lat) and directed edges (length in metres, lanes per direction,
// free-flow speed in m/s, road class and the id of the road entity), with
// compressed sparse row adjacency.
//
// Build makes a Graph from Segments (two edges for a two-way road, one for a
// oneway, reversed for oneway -1). ShortestPath finds the fastest route by
// free-flow travel time with Dijkstra's algorithm on a binary heap;
// LargestComponent finds the largest strongly connected component; Filter keeps
// a subset of edges, such as the motor network.
package roadnet
