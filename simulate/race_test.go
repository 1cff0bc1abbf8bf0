//go:build race

package simulate_test

// raceEnabled shortens the heaviest runs under the race detector.
const raceEnabled = true
