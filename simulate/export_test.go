package simulate

import (
	"context"

	"citytwin/twin"
)

// Dependents is what an outage of the assets cuts, for the tests.
func Dependents(ctx context.Context, snap Snapshot, assets []twin.ID) ([]twin.ID, error) {
	return dependents(ctx, snap, assets)
}
