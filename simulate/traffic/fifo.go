package traffic

// packet is a number of vehicles bound for one destination, in the order they
// drive, with the sum of their departure times (veh·s) for travel times.
type packet struct {
	dest int32 // index into Model.dests
	n    float64
	tm   float64
}

// fifo is the order of the vehicles on a link, first the ones nearest its end.
// The cells hold how many vehicles there are where; the fifo holds who they
// are, so that a junction turns each towards its own destination.
type fifo struct {
	p    []packet
	head int
}

// lookback is how many packets from the tail a push looks at for one of the
// same destination to merge with. The node model splits a packet whenever a
// link's outflow ends inside it, and without merging the pieces would multiply
// at every junction. Merging is bounded by lookback and by the vehicles passed
// on the way (a cell's worth): the order of vehicles is kept to the resolution
// of a cell, as in the multicommodity cell transmission model, where each cell
// mixes its vehicles.
const lookback = 64

// push appends a packet, merged with one of the same destination among the
// last packets holding fewer than within vehicles behind it.
func (q *fifo) push(p packet, within float64) {
	behind := 0.0
	for k := len(q.p) - 1; k >= max(q.head, len(q.p)-lookback) && behind < within; k-- {
		behind += q.p[k].n
		if q.p[k].dest == p.dest {
			q.p[k].n += p.n
			q.p[k].tm += p.tm
			return
		}
	}
	q.p = append(q.p, p)
}

// live returns the packets from the head.
func (q *fifo) live() []packet { return q.p[q.head:] }

// trim drops emptied packets at the head and compacts now and then.
func (q *fifo) trim() {
	for q.head < len(q.p) && q.p[q.head].n <= 0 {
		q.head++
	}
	if q.head == len(q.p) {
		q.p, q.head = q.p[:0], 0
		return
	}
	if q.head >= 32 && q.head*2 >= len(q.p) {
		k := copy(q.p, q.p[q.head:])
		q.p, q.head = q.p[:k], 0
	}
}
