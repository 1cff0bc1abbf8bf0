package traffic

import "math/rand/v2"

// Grid makes a rows×cols grid of two-way streets block metres apart, a
// stand-in city for tests and benchmarks. Every fifth street is an arterial
// (two or three lanes each way, 50 or 70 km/h), the others are local streets
// (one lane, 30 or 50 km/h); lengths vary by ±10 %. The seed fixes every
// choice. Node r·cols+c is at row r, column c; points are lon/lat near (0, 0).
func Grid(rows, cols int, block float64, seed uint64) *Network {
	rng := rand.New(rand.NewPCG(seed, 0x7a11c))
	net := &Network{Nodes: make([]Node, 0, rows*cols)}
	for r := range rows {
		for c := range cols {
			net.Nodes = append(net.Nodes, Node{ID: int64(r*cols + c),
				Point: [2]float64{float64(c) * block / 111320, float64(r) * block / 110540}})
		}
	}
	street := func(from, to int, arterial bool) {
		lanes, kmh := 1, 30.0
		if arterial {
			lanes, kmh = 2+rng.IntN(2), 50
			if rng.IntN(2) == 0 {
				kmh = 70
			}
		} else if rng.IntN(3) == 0 {
			kmh = 50
		}
		l := Link{Road: "grid:" + itoa(from) + "-" + itoa(to), From: from, To: to,
			Length: block * (0.9 + 0.2*rng.Float64()), Lanes: lanes, FreeSpeed: kmh / 3.6}
		net.Links = append(net.Links, l)
		l.From, l.To = to, from
		net.Links = append(net.Links, l)
	}
	for r := range rows {
		for c := range cols {
			v := r*cols + c
			if c+1 < cols {
				street(v, v+1, r%5 == 0)
			}
			if r+1 < rows {
				street(v, v+cols, c%5 == 0)
			}
		}
	}
	return net
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	k := len(b)
	for ; i > 0; i /= 10 {
		k--
		b[k] = byte('0' + i%10)
	}
	return string(b[k:])
}
