package series

import "slices"

// Trim applies retention: it drops every point with T < before and returns
// how many it dropped. Blocks wholly before the cut go without decoding; the
// one block the cut falls inside is rebuilt from its remaining points.
func (s *Series) Trim(before int64) int {
	dropped := 0
	k := s.blockAtOrAfter(before) // blocks[:k] end before the cut
	for i := range k {
		dropped += s.blocks[i].count
		s.dataBytes -= s.blocks[i].bytes()
	}
	s.blocks = slices.Delete(s.blocks, 0, k) // zeroes the tail, freeing data
	if cap(s.blocks) > 4*len(s.blocks)+16 {
		s.blocks = slices.Clone(s.blocks) // give back a mostly empty array
	}
	if len(s.blocks) > 0 && s.blocks[0].first.T < before {
		pts, err := DecodeBlock(make([]Point, 0, s.blocks[0].count), s.blocks[0].data)
		if err == nil {
			cut := searchPoints(pts, before)
			dropped += cut
			s.replaceBlock(0, pts[cut:])
		}
	}
	if cut := searchPoints(s.head, before); cut > 0 {
		s.head = s.head[:copy(s.head, s.head[cut:])]
		dropped += cut
	}
	s.n -= dropped
	return dropped
}
