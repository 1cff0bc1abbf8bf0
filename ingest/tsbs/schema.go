package tsbs

import "citytwin/twin"

// A class is a kind of thing that TSBS reports on: the trucks of the IoT use case
// and the hosts of the devops cpu-only one. It fixes the entity a row belongs to,
// its attributes (constant per entity) and the fields of each measurement.
type class struct {
	kind   twin.Kind
	prefix string // of the entity id, before the key tag's value
	moving bool   // has latitude and longitude fields that place it
	attrs  []attrSpec
	// measurements and their fields, in the order TSBS writes them.
	measurements []measurementSpec
}

type attrSpec struct {
	key    string
	number bool
}

type measurementSpec struct {
	name   string
	fields []string
}

// The key attribute, first in attrs, names the entity: "name" for trucks,
// "hostname" for hosts.
const keyAttr = 0

// truck is the IoT use case. In line protocol its numeric attributes come as
// fields; they are attributes all the same.
var truck = &class{
	kind:   twin.KindVehicle,
	prefix: "tsbs:truck/",
	moving: true,
	attrs: []attrSpec{
		{"name", false}, {"fleet", false}, {"driver", false}, {"model", false},
		{"device_version", false}, {"load_capacity", true}, {"fuel_capacity", true},
		{"nominal_fuel_consumption", true},
	},
	measurements: []measurementSpec{
		{"readings", []string{"latitude", "longitude", "elevation", "velocity", "heading", "grade", "fuel_consumption"}},
		{"diagnostics", []string{"fuel_state", "current_load", "status"}},
	},
}

// host is the devops cpu-only use case.
var host = &class{
	kind:   "host",
	prefix: "tsbs:host/",
	attrs: []attrSpec{
		{"hostname", false}, {"region", false}, {"datacenter", false}, {"rack", false},
		{"os", false}, {"arch", false}, {"team", false}, {"service", false},
		{"service_version", false}, {"service_environment", false},
	},
	measurements: []measurementSpec{
		{"cpu", []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
			"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}},
	},
}

var classes = []*class{truck, host}

// The fields that place a moving entity.
const (
	fieldLatitude  = "latitude"
	fieldLongitude = "longitude"
)
