package history

import (
	"bytes"
	"context"
	"fmt"

	"citytwin/twin"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// The sink works out entity versions from the ops themselves, as the store
// does when it applies them: an upsert that says nothing new makes no version, a
// version is valid from max(op time, the previous version's), a patch merges
// into the current properties. So the log (which holds ops as given) and the
// change feed give the same rows.

// entState is what the sink knows of an entity's current version.
type entState struct {
	version int32
	from    int64
	deleted bool
	moving  bool
	hash    []byte
	c       content
	row     int // index of its version row in the batch being written, -1: in the database
}

// versionRow is one entity version to write.
type versionRow struct {
	id       twin.ID
	version  int32
	seq      uint64
	from, to int64
	closed   bool // to is set
	deleted  bool
	c        content
	source   string
	hash     []byte
}

type closeRow struct {
	id      twin.ID
	version int32
	to      int64
}

// entityWrites is what a batch's entity ops come to.
type entityWrites struct {
	skipped  int // ops (or positions) on entities the history never saw
	versions []versionRow
	closes   []closeRow
	newIDs   []string
	newSeqs  []int64
	moving   []string
	moves    copyBuf
	movesN   int
}

var deletedHash = []byte("deleted")

// loadStates reads the current version of the entities in ids that the cache
// does not hold. Entities the database does not know stay absent.
func loadStates(ctx context.Context, tx pgx.Tx, ids []string, into map[twin.ID]*entState) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT e.id, e.moving, v.version, v.valid_from, v.deleted, v.kind,
		v.props, ST_AsBinary(v.geom), v.height, v.min_height, v.levels, v.links, v.provenance, v.content
		FROM entities e JOIN entity_versions v ON v.id = e.id AND v.valid_to IS NULL
		WHERE e.id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("read current versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id                    string
			st                    entState
			kind                  string
			props, geom, links, p []byte
			levels                int32
		)
		if err := rows.Scan(&id, &st.moving, &st.version, &st.from, &st.deleted, &kind, &props, &geom,
			&st.c.height, &st.c.minHeight, &levels, &links, &p, &st.hash); err != nil {
			return fmt.Errorf("read current versions: %w", err)
		}
		st.c.kind, st.c.levels, st.row = twin.Kind(kind), int(levels), -1
		if st.c.props, err = propsFromJSON(props); err != nil {
			return fmt.Errorf("entity %s: %w", id, err)
		}
		if geom != nil {
			if st.c.geom, err = wkb.Unmarshal(geom); err != nil {
				return fmt.Errorf("entity %s: geometry: %w", id, err)
			}
		}
		if st.c.links, err = linksFromJSON(links); err != nil {
			return fmt.Errorf("entity %s: links: %w", id, err)
		}
		if st.c.provenance, err = provenanceFromJSON(p); err != nil {
			return fmt.Errorf("entity %s: provenance: %w", id, err)
		}
		into[twin.ID(id)] = &st
	}
	return rows.Err()
}

// entityIDs lists the entities a batch's entity ops touch that states lacks.
func entityIDs(ops []entityOp, states map[twin.ID]*entState) []string {
	seen := map[twin.ID]bool{}
	var out []string
	add := func(id twin.ID) {
		if _, ok := states[id]; ok || seen[id] {
			return
		}
		seen[id] = true
		out = append(out, string(id))
	}
	for _, e := range ops {
		switch e.op.Type {
		case twin.OpUpsert:
			add(e.op.Entity.ID)
		case twin.OpPatch, twin.OpDelete:
			add(e.op.ID)
		case twin.OpMove:
			var last twin.ID
			for i, p := range e.op.Positions {
				if i == 0 || p.ID != last {
					add(p.ID)
					last = p.ID
				}
			}
		}
	}
	return out
}

// applyEntityOps works out the rows of ops, updating states as it goes.
// versionOf finds a version of an entity as the store holds it (nil: none).
type versionOf func(id twin.ID, version uint64) *twin.Entity

func applyEntityOps(ops []entityOp, states map[twin.ID]*entState, w *entityWrites, lookup versionOf) error {
	for _, e := range ops {
		op := e.op
		switch op.Type {
		case twin.OpUpsert:
			w.upsert(e, states, lookup)
		case twin.OpPatch, twin.OpDelete:
			st := states[op.ID]
			if st == nil || st.deleted {
				// Only after changes were lost (see Stats.Lost): the entity was
				// made by one of them.
				w.skipped++
				continue
			}
			c := st.c
			if op.Type == twin.OpPatch {
				c.props = c.props.Merge(op.Patch)
			} else {
				c = content{kind: st.c.kind, height: st.c.height, minHeight: st.c.minHeight, levels: st.c.levels}
			}
			w.newVersion(e.seq, op, op.ID, st, c, op.Type == twin.OpDelete)
		case twin.OpMove:
			for i, p := range op.Positions {
				st := states[p.ID]
				if st == nil {
					w.skipped++
					continue
				}
				if !st.moving {
					st.moving = true
					w.moving = append(w.moving, string(p.ID))
				}
				w.move(p.ID, p.T, p.Point, ordOf(e.seq, i))
			}
		}
	}
	return nil
}

func (w *entityWrites) upsert(e entityOp, states map[twin.ID]*entState, lookup versionOf) {
	seq, op := e.seq, e.op
	id := op.Entity.ID
	st := states[id]
	c := contentOf(op.Entity)
	if e.feed && op.Entity.Moving && lookup != nil {
		// The feed shows a moving entity where it is, not the geometry given,
		// which the store keeps in the version.
		if v := lookup(id, op.Entity.Version); v != nil {
			c.geom = contentOf(v).geom
		}
	}
	h := c.hash()
	same := st != nil && !st.deleted && bytes.Equal(h, st.hash)
	if same {
		return // says nothing new: no version, as in the store
	}
	if st == nil {
		st = &entState{version: 0, row: -1}
		states[id] = st
		w.newIDs = append(w.newIDs, string(id))
		w.newSeqs = append(w.newSeqs, int64(seq))
		st.from = op.T
	}
	w.newVersionHashed(seq, op, id, st, c, false, h)
	if p, ok := c.geom.(orb.Point); ok && st.moving {
		w.move(id, op.T, p, ordOf(seq, 0))
	}
}

func (w *entityWrites) newVersion(seq uint64, op *twin.Op, id twin.ID, st *entState, c content, deleted bool) {
	h := deletedHash
	if !deleted {
		h = c.hash()
	}
	w.newVersionHashed(seq, op, id, st, c, deleted, h)
}

func (w *entityWrites) newVersionHashed(seq uint64, op *twin.Op, id twin.ID, st *entState, c content, deleted bool, h []byte) {
	from := max(op.T, st.from)
	if st.version > 0 {
		if st.row >= 0 {
			w.versions[st.row].to, w.versions[st.row].closed = from, true
		} else {
			w.closes = append(w.closes, closeRow{id: id, version: st.version, to: from})
		}
	}
	st.version++
	st.from, st.deleted, st.hash, st.c, st.row = from, deleted, h, c, len(w.versions)
	w.versions = append(w.versions, versionRow{
		id: id, version: st.version, seq: seq, from: from, deleted: deleted, c: c, source: op.Source, hash: h,
	})
}

func (w *entityWrites) move(id twin.ID, t int64, p orb.Point, ord int64) {
	q := twin.Quantise(p)
	g, _ := ewkbOf(q)
	w.moves.row(4)
	w.moves.text(string(id))
	w.moves.int8(t)
	w.moves.bytes(g)
	w.moves.int8(ord)
	w.movesN++
}

// encodeVersions writes the version rows for COPY.
func (w *entityWrites) encodeVersions(buf *copyBuf) error {
	buf.reset()
	for i := range w.versions {
		v := &w.versions[i]
		props, err := propsJSON(v.c.props)
		if err != nil {
			return fmt.Errorf("entity %s: properties: %w", v.id, err)
		}
		var geom []byte
		if v.c.geom != nil {
			if geom, err = ewkbOf(v.c.geom); err != nil {
				return fmt.Errorf("entity %s: geometry: %w", v.id, err)
			}
		}
		links, err := linksJSON(v.c.links)
		if err != nil {
			return err
		}
		prov, err := provenanceToJSON(v.c.provenance)
		if err != nil {
			return err
		}
		buf.row(16)
		buf.text(string(v.id))
		buf.int4(v.version)
		buf.int8(int64(v.seq))
		buf.text(string(v.c.kind))
		buf.int8(v.from)
		if v.closed {
			buf.int8(v.to)
		} else {
			buf.null()
		}
		buf.bool(v.deleted)
		buf.jsonb(props)
		buf.bytes(geom)
		buf.float8(v.c.height)
		buf.float8(v.c.minHeight)
		buf.int4(int32(v.c.levels))
		buf.jsonb(links)
		buf.jsonb(prov)
		buf.text(v.source)
		buf.bytes(v.hash)
	}
	return nil
}

const versionColumns = "entity_versions (id, version, seq, kind, valid_from, valid_to, deleted, props, geom, height, min_height, levels, links, provenance, source, content)"

// write sends the entity rows in tx.
func (w *entityWrites) write(ctx context.Context, tx pgx.Tx, buf *copyBuf) error {
	if len(w.newIDs) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO entities (id, first_seq)
			SELECT * FROM unnest($1::text[], $2::bigint[])`, w.newIDs, w.newSeqs); err != nil {
			return fmt.Errorf("insert entities: %w", err)
		}
	}
	if len(w.moving) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE entities SET moving = true WHERE id = ANY($1)`, w.moving); err != nil {
			return fmt.Errorf("mark moving entities: %w", err)
		}
	}
	if len(w.closes) > 0 {
		ids := make([]string, len(w.closes))
		vers := make([]int32, len(w.closes))
		tos := make([]int64, len(w.closes))
		for i, c := range w.closes {
			ids[i], vers[i], tos[i] = string(c.id), c.version, c.to
		}
		tag, err := tx.Exec(ctx, `UPDATE entity_versions v SET valid_to = u.t
			FROM unnest($1::text[], $2::int[], $3::bigint[]) AS u(id, version, t)
			WHERE v.id = u.id AND v.version = u.version AND v.valid_to IS NULL`, ids, vers, tos)
		if err != nil {
			return fmt.Errorf("close versions: %w", err)
		}
		if tag.RowsAffected() != int64(len(w.closes)) {
			return fmt.Errorf("history: closed %d versions, want %d: the database does not hold what the sink expects", tag.RowsAffected(), len(w.closes))
		}
	}
	if len(w.versions) > 0 {
		if err := w.encodeVersions(buf); err != nil {
			return err
		}
		if _, err := buf.send(ctx, tx, versionColumns); err != nil {
			return err
		}
	}
	if w.movesN > 0 {
		if _, err := w.moves.send(ctx, tx, "moves (entity_id, t, geom, ord)"); err != nil {
			return err
		}
	}
	return nil
}
