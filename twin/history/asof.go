package history

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"citytwin/twin"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// As-of queries from the database: the entities as they were at an instant,
// selected by kind, id and boxes (PostGIS ST_Intersects, with && for the
// index), a moving entity where its track put it then.

// entitiesAt builds the SQL that selects the entities q matches as of q.At,
// one row each with the columns listed in asofColumns, in the twin's order.
func entitiesAt(q *twin.Query, columns string) (string, []any, error) {
	switch {
	case q.Within != nil, q.Intersects != nil, q.Near != nil, len(q.Cells) > 0, len(q.Where) > 0, q.Match != nil:
		return "", nil, fmt.Errorf("%w: as-of conditions other than kinds, ids and boxes", errUnsupported)
	case q.Until != 0:
		return "", nil, fmt.Errorf("%w: intervals", errUnsupported)
	}
	var (
		args  []any
		conds []string
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	at := q.At
	if at == 0 {
		conds = append(conds, "v.valid_to IS NULL")
		at = math.MaxInt64
	} else {
		a := arg(at)
		conds = append(conds, "v.valid_from <= "+a+" AND (v.valid_to IS NULL OR v.valid_to > "+a+")")
	}
	conds = append(conds, "NOT v.deleted")
	if len(q.Kinds) > 0 {
		ks := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ks[i] = string(k)
		}
		conds = append(conds, "v.kind = ANY("+arg(ks)+")")
	}
	if len(q.IDs) > 0 {
		ids := make([]string, len(q.IDs))
		for i, id := range q.IDs {
			ids[i] = string(id)
		}
		conds = append(conds, "v.id = ANY("+arg(ids)+")")
	}
	atArg := arg(at)
	where := ""
	if len(q.BBox) > 0 {
		var boxes []string
		for _, b := range q.BBox {
			env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, 4326)", arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1]))
			boxes = append(boxes, "(x.g && "+env+" AND ST_Intersects(x.g, "+env+"))")
		}
		where = "WHERE " + strings.Join(boxes, " OR ")
	}
	sql := `SELECT ` + columns + ` FROM (
		SELECT v.*, e.moving, e.first_seq, coalesce(mv.geom, v.geom) AS g
		FROM entity_versions v JOIN entities e ON e.id = v.id
		LEFT JOIN LATERAL (SELECT m.geom FROM moves m WHERE m.entity_id = v.id AND m.t <= ` + atArg + `
			ORDER BY m.t DESC, m.ord DESC LIMIT 1) mv ON e.moving
		WHERE ` + strings.Join(conds, " AND ") + `) x ` + where + ` ORDER BY x.first_seq`
	return sql, args, nil
}

const asofColumns = `x.id, x.kind, ST_AsBinary(x.g), x.height, x.min_height, x.levels, x.props, x.links,
	x.provenance, x.version, x.valid_from, x.moving`

// QueryDB answers an instant query from the database: the entities that
// existed at q.At (0: the newest the database holds) and match its kinds, ids
// and boxes, as they were then, in the twin's order. Other conditions are
// ErrUnsupported. Limit caps the entities returned; Matched counts them all.
func (r *Reader) QueryDB(ctx context.Context, q twin.Query) (twin.Result, error) {
	sql, args, err := entitiesAt(&q, asofColumns)
	if err != nil {
		return twin.Result{}, err
	}
	var res twin.Result
	err = r.db.with(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntity(rows)
			if err != nil {
				return err
			}
			res.Matched++
			if q.Limit == 0 || len(res.Entities) < q.Limit {
				res.Entities = append(res.Entities, e)
			}
		}
		return rows.Err()
	})
	return res, err
}

func scanEntity(rows pgx.Rows) (twin.Entity, error) {
	var (
		e                        twin.Entity
		id, kind                 string
		geom, props, links, prov []byte
		levels, version          int32
		from                     int64
	)
	if err := rows.Scan(&id, &kind, &geom, &e.Height, &e.MinHeight, &levels, &props, &links, &prov, &version, &from, &e.Moving); err != nil {
		return e, err
	}
	e.ID, e.Kind, e.Levels, e.Version = twin.ID(id), twin.Kind(kind), int(levels), uint64(version)
	e.ValidFrom = time.Unix(0, from).UTC()
	var err error
	if geom != nil {
		if e.Geometry, err = wkb.Unmarshal(geom); err != nil {
			return e, fmt.Errorf("entity %s: geometry: %w", id, err)
		}
		if p, ok := e.Geometry.(orb.Point); ok {
			e.Geometry = p
		}
	}
	if e.Props, err = propsFromJSON(props); err != nil {
		return e, fmt.Errorf("entity %s: %w", id, err)
	}
	if e.Links, err = linksFromJSON(links); err != nil {
		return e, fmt.Errorf("entity %s: links: %w", id, err)
	}
	if e.Provenance, err = provenanceFromJSON(prov); err != nil {
		return e, fmt.Errorf("entity %s: provenance: %w", id, err)
	}
	return e, nil
}

// Query answers an instant query: from memory, unless it asks about an
// instant before Cut and a moving entity's track there may have been trimmed,
// then from the database (kinds, ids and boxes only; otherwise memory's answer).
func (r *Reader) Query(ctx context.Context, q twin.Query) (twin.Result, error) {
	if r.store == nil {
		return r.QueryDB(ctx, q)
	}
	if q.Until != 0 || q.At == 0 || q.At >= r.Cut() {
		return r.store.Query(ctx, q)
	}
	res, err := r.QueryDB(ctx, q)
	if err != nil && errorsIsUnsupported(err) {
		return r.store.Query(ctx, q)
	}
	return res, err
}

// HistoryDB returns every version of an entity the database holds, oldest
// first, tombstones included (Kind set, Geometry nil), as Store.History does.
func (r *Reader) HistoryDB(ctx context.Context, id twin.ID) ([]twin.Entity, error) {
	var out []twin.Entity
	err := r.db.with(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT v.id, v.kind, ST_AsBinary(v.geom), v.height, v.min_height, v.levels, v.props,
			v.links, v.provenance, v.version, v.valid_from, false FROM entity_versions v WHERE v.id = $1 ORDER BY v.version`, string(id))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntity(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%w: %s", twin.ErrNotFound, id)
	}
	return out, err
}
