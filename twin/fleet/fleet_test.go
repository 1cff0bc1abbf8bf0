package fleet_test

import (
	"context"
	"testing"

	"citytwin/twin/fleet"
)

// Every one of the 1,300 generated queries, answered by the twin, equals
// PostgreSQL 15's reference answer (with -short, the first ten of each type:
// the whole file takes minutes under -race).
func TestReferenceAnswers(t *testing.T) {
	lines := queryFile(t)
	refs := references(t)
	s := loadDay(t)
	ctx := context.Background()
	byType := map[fleet.Type][]fleet.Line{}
	for _, l := range lines {
		byType[l.Query.Type] = append(byType[l.Query.Type], l)
	}
	for _, typ := range fleet.Types() {
		t.Run(typ.String(), func(t *testing.T) {
			if len(byType[typ]) != 100 {
				t.Fatalf("%d queries, want 100", len(byType[typ]))
			}
			bad, n := 0, 0
			for _, l := range byType[typ] {
				if testing.Short() && l.Seq >= 10 {
					continue
				}
				n++
				ref, ok := refs[typ][l.Seq]
				if !ok {
					t.Fatalf("seq %d has no reference answer", l.Seq)
				}
				a, err := fleet.Exec(ctx, s, l.Query)
				if err != nil {
					t.Fatalf("seq %d: %v", l.Seq, err)
				}
				if diff := fleet.Compare(typ, a.Table(), ref.Table); diff != "" {
					bad++
					if bad <= 3 {
						t.Errorf("seq %d: %s", l.Seq, diff)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d answers differ", bad, n)
			}
		})
	}
}
