package roadnet

// LargestComponent returns the node indexes of the largest strongly connected
// component: the biggest set of nodes that can all reach each other (Tarjan's
// algorithm, iterative so that long roads cannot overflow the stack).
func (g *Graph) LargestComponent() []int {
	n := len(g.Nodes)
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var (
		stack []int32
		best  []int
		next  int32
	)
	type frame struct {
		v   int32
		pos int32 // next position in Out(v)
	}
	var call []frame
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call = append(call[:0], frame{v: int32(root)})
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			out := g.Out(int(f.v))
			if int(f.pos) < len(out) {
				w := g.Edges[out[f.pos]].To
				f.pos++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, int(w))
					if w == v {
						break
					}
				}
				if len(comp) > len(best) {
					best = comp
				}
			}
		}
	}
	return best
}
