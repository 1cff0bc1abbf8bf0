package datasets

import "math/rand/v2"

// Fictional names for streets, buildings and routes.
var nameRoots = []string{
	"Alder", "Amber", "Anchor", "Aspen", "Aurora", "Badger", "Baker", "Bay", "Beacon",
	"Birch", "Bridge", "Brook", "Castle", "Cedar", "Church", "Cliff", "Cooper", "Copper",
	"Coral", "Crane", "Crown", "Dock", "Elk", "Elm", "Falcon", "Ferry", "Finch", "Fisher",
	"Forge", "Fountain", "Fox", "Garden", "Gate", "Glass", "Granary", "Guild", "Hare",
	"Harbour", "Heather", "Heron", "Hill", "Iron", "Island", "Juniper", "Kaleva", "Lake",
	"Lantern", "Lark", "Linden", "Maple", "Market", "Mason", "Meadow", "Mill", "Museum",
	"Oak", "Orchard", "Otter", "Pier", "Porter", "Quarry", "Raven", "Ridge", "River",
	"Rowan", "Saga", "Sail", "Salt", "Sampo", "Silver", "Smith", "Spring", "Station",
	"Swan", "Tanner", "Tapio", "Theatre", "Tower", "Valley", "Weaver", "Willow",
}

var nameQualifiers = []string{"Old", "New", "Upper", "Lower", "Little", "Great", "North", "South", "East", "West"}

func nameRoot(r *rand.Rand) string {
	root := nameRoots[r.IntN(len(nameRoots))]
	if r.IntN(6) == 0 {
		return nameQualifiers[r.IntN(len(nameQualifiers))] + " " + root
	}
	return root
}

// streetName makes a name like "Rowan Street" with a suffix from suffixes.
func streetName(r *rand.Rand, suffixes ...string) string {
	return nameRoot(r) + " " + suffixes[r.IntN(len(suffixes))]
}
