package simulate

import "citytwin/twin"

// outageKPIs count what the outages and failures of a spec take out of
// service: the entities cut (an asset and everything that depends on it,
// through the twin's links) and the entity-hours without service. The
// baseline has none.
func outageKPIs(in *inputs, s *Spec) []KPI {
	hours := 0.0
	n := 0.0
	for i := range s.Interventions {
		iv := &s.Interventions[i]
		var ids []twin.ID
		switch iv.Type {
		case Outage:
			ids = in.outages[i]
		case Failure:
			ids = iv.ids()
		default:
			continue
		}
		from, to := iv.window(s.Horizon)
		for range ids {
			n++
			hours += (to - from) / 3600
		}
	}
	if n == 0 {
		return nil
	}
	return []KPI{
		pair("entities_out_of_service", "entities", lower, 0, n),
		pair("service_hours_lost", "entity·h", lower, 0, hours),
	}
}
