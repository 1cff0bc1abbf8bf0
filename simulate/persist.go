package simulate

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// On disk, each scenario is a folder DIR/<id> with info.json (what List
// shows), result.gob (the result of the finished run) and checkpoint.gob (the
// state of an unfinished one). Files are written to a temporary name and
// renamed, so a crash leaves the old file or the new one, never half of one.

var scenarioID = regexp.MustCompile(`^[0-9a-f]{12}$`)

func (m *Manager) path(id, name string) string { return filepath.Join(m.cfg.Dir, id, name) }

func (m *Manager) write(id, name string, encode func(*bytes.Buffer) error) error {
	if m.cfg.Dir == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(m.cfg.Dir, id), 0o755); err != nil {
		return err
	}
	tmp := m.path(id, name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, m.path(id, name))
}

func (m *Manager) saveInfo(sc *scenario) error {
	m.mu.Lock()
	info := sc.info
	m.mu.Unlock()
	return m.write(info.ID, "info.json", func(b *bytes.Buffer) error {
		enc := json.NewEncoder(b)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	})
}

func (m *Manager) saveResult(id string, r *Result) error {
	err := m.write(id, "result.gob", func(b *bytes.Buffer) error { return gob.NewEncoder(b).Encode(r) })
	if err == nil && m.cfg.Dir != "" {
		err = os.Remove(m.path(id, "checkpoint.gob"))
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	return err
}

func (m *Manager) saveCheckpoint(id string, c *checkpoint) error {
	return m.write(id, "checkpoint.gob", func(b *bytes.Buffer) error { return gob.NewEncoder(b).Encode(c) })
}

func (m *Manager) remove(id string) error {
	if m.cfg.Dir == "" || !scenarioID.MatchString(id) {
		return nil
	}
	return os.RemoveAll(filepath.Join(m.cfg.Dir, id))
}

// load reads the scenarios kept in Dir. A run that was going on when the
// server stopped is "cancelled" and, with a checkpoint, resumable.
func (m *Manager) load() error {
	entries, err := os.ReadDir(m.cfg.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || !scenarioID.MatchString(e.Name()) {
			continue
		}
		id := e.Name()
		sc, err := m.loadOne(id)
		if err != nil {
			m.log.Warn("scenario not loaded", "scenario", id, "err", err)
			continue
		}
		m.scenarios[id] = sc
	}
	return nil
}

func (m *Manager) loadOne(id string) (*scenario, error) {
	b, err := os.ReadFile(m.path(id, "info.json"))
	if err != nil {
		return nil, err
	}
	sc := &scenario{}
	if err := json.Unmarshal(b, &sc.info); err != nil {
		return nil, fmt.Errorf("info.json: %w", err)
	}
	if b, err := os.ReadFile(m.path(id, "result.gob")); err == nil {
		var r Result
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&r); err != nil {
			return nil, fmt.Errorf("result.gob: %w", err)
		}
		sc.result = &r
	}
	if b, err := os.ReadFile(m.path(id, "checkpoint.gob")); err == nil {
		var c checkpoint
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil {
			return nil, fmt.Errorf("checkpoint.gob: %w", err)
		}
		sc.cp = &c
	}
	switch sc.info.Status {
	case StatusRunning, StatusQueued:
		sc.info.Status = StatusCancelled
		sc.info.Error = "the server stopped during the run"
	}
	sc.info.Resumable = sc.cp != nil && sc.info.Status != StatusDone
	return sc, nil
}
