package tsbs

import (
	"bytes"
	"slices"
)

// measState is what a Feed knows of a measurement: its class, the fields it
// expects, and what each field key it has met means.
type measState struct {
	name     []byte
	cls      *classState
	spec     *measurementSpec
	rows     int64
	expected uint64 // the fields a row should have; missing ones are blanked
	fields   map[string]fieldInfo
	// by position in the row, the key last seen there: rows of a measurement
	// repeat their keys in the same order, so one comparison finds the info.
	tagAt   []keyed[int]
	fieldAt []keyed[fieldInfo]
}

// keyed is a value remembered with the key it was found for.
type keyed[T any] struct {
	ok  bool
	key string
	v   T
}

// fieldInfo is what a field key means in a measurement: a metric or an attribute.
type fieldInfo struct {
	name   string
	metric int32  // -1 for an attribute
	attr   int    // -1 for a metric
	bit    uint64 // the field's bit in expected; 0 outside the spec
	place  uint8  // placeLat, placeLon or 0
	badKey bool   // too long to name a metric
}

// The longest metric name and property key the twin takes (twin.Op.Validate,
// twin.Properties.Validate).
const (
	maxMetric  = 128
	maxPropKey = 256
)

const (
	placeLat = 1 << iota
	placeLon
)

func newMeasState(c *classState, spec *measurementSpec, expectAll bool) *measState {
	m := &measState{name: []byte(spec.name), cls: c, spec: spec, fields: make(map[string]fieldInfo)}
	if expectAll {
		m.expected = 1<<len(spec.fields) - 1
	}
	return m
}

func (f *Feed) measurement(name []byte) *measState {
	if m := f.last; m != nil && bytes.Equal(m.name, name) {
		return m
	}
	for _, m := range f.meas {
		if bytes.Equal(m.name, name) {
			f.last = m
			return m
		}
	}
	return nil
}

// fieldInfo is what the i-th field of a row of m is, remembered as the one
// found there.
func (f *Feed) fieldInfo(m *measState, i int, key []byte) *fieldInfo {
	fi, ok := m.fields[string(key)]
	if !ok {
		k := string(key)
		fi = fieldInfo{name: k, metric: -1, attr: -1}
		c := m.cls
		if len(k) == 0 || len(k) > maxMetric {
			fi.badKey = true
		} else if ai, ok := c.attrIdx[k]; ok && c.attrs[ai].number {
			fi.attr = ai
		} else {
			fi.metric = f.metricOf(k)
			if c.spec.moving {
				switch k {
				case fieldLatitude:
					fi.place = placeLat
				case fieldLongitude:
					fi.place = placeLon
				}
			}
		}
		if j := slices.Index(m.spec.fields, k); j >= 0 {
			fi.bit = 1 << j
		}
		m.fields[k] = fi
	}
	for len(m.fieldAt) <= i {
		m.fieldAt = append(m.fieldAt, keyed[fieldInfo]{})
	}
	m.fieldAt[i] = keyed[fieldInfo]{ok: true, key: fi.name, v: fi}
	return &m.fieldAt[i].v
}

func (f *Feed) metricOf(name string) int32 {
	if i, ok := f.metric[name]; ok {
		return i
	}
	i := int32(len(f.metrics))
	f.metrics = append(f.metrics, name)
	f.metric[name] = i
	return i
}
