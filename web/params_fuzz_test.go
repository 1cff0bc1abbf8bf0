package web

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"citytwin/twin"
)

// FuzzParseItemsParams checks that ParseItemsParams never panics, that every error
// is a *ParamError, and that every query it accepts is one the twin accepts too
// (including the cursor, whose format the parser knows).
func FuzzParseItemsParams(f *testing.F) {
	for _, seed := range []string{
		"",
		"bbox=13.4,52.5,13.5,52.6&limit=100",
		"bbox=179,-17,-179,-16",
		"bbox=13.4,52.5,0,13.5,52.6,100",
		"bbox=-180,-90,180,90&datetime=2024-05-01T08:00:00Z",
		"datetime=2024-05-01T08:00:00.123456789%2B02:00",
		"datetime=../2024-05-01T08:00:00Z",
		"datetime=1970-01-01T00:00:00Z",
		"limit=10000&cursor=2s",
		"cursor=zik0zj",
		"where=height>%3D10&where=use%3Doffice&where=name",
		"where=name%3D'10'",
		"near=13.4,52.5,250",
		"near=180,90,20037509",
		"h3=8a1f1d48a2e7fff,0x891f1d48a2fffff",
		"f=geojson",
		"bbxo=1,2,3,4",
		"bbox=1e308,1,2,3",
		"limit=99999999999999999999",
		"%zz=1",
	} {
		f.Add(seed)
	}
	cfg := twin.DefaultConfig()
	store, err := twin.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // keeps what it could parse
		q, err := ParseItemsParams(v, twin.KindBuilding)
		if err != nil {
			if _, ok := err.(*ParamError); !ok { //nolint:errorlint // the contract is the concrete type
				t.Fatalf("ParseItemsParams(%q) error %T %v, want *ParamError", raw, err, err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > MaxPageLimit {
			t.Fatalf("ParseItemsParams(%q) limit %d", raw, q.Limit)
		}
		if len(q.Kinds) != 1 || q.Kinds[0] != twin.KindBuilding {
			t.Fatalf("ParseItemsParams(%q) kinds %v", raw, q.Kinds)
		}
		if _, err := store.Query(context.Background(), q); errors.Is(err, twin.ErrBadQuery) || errors.Is(err, twin.ErrBadCursor) {
			t.Fatalf("ParseItemsParams(%q) accepted a query the twin refuses: %v", raw, err)
		}
	})
}

// TestCursorFormat checks that a cursor from a real next page passes the parser
// unchanged.
func TestCursorFormat(t *testing.T) {
	fx := newFixture(t)
	q := twin.Query{Limit: 3}
	for range 20 {
		res, err := fx.store.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Next == "" {
			return
		}
		got, perr := parseCursor(res.Next)
		if perr != nil || got != res.Next {
			t.Fatalf("parseCursor(%q) = %q, %v", res.Next, got, perr)
		}
		q.After = res.Next
	}
}
