//go:build race

package flood

// raceEnabled is true under the race detector, where the full Merewether
// event (5300 steps over 134k cells) would take minutes.
const raceEnabled = true
