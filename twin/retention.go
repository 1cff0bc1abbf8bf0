package twin

import "context"

// Trim drops observations and position samples older than the retention before
// now (Unix nanoseconds), keeping for each moving entity its newest position before
// the cut so that it still has a place. It returns how many were dropped.
func (s *Store) Trim(ctx context.Context, now int64) (int, error) {
	if s.cfg.Retention == 0 {
		return 0, nil
	}
	cut := now - int64(s.cfg.Retention)
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped, n := 0, 0
	for _, bySlot := range s.metrics {
		for _, ch := range bySlot {
			if n++; n%checkEvery == 0 && ctx.Err() != nil {
				return dropped, ctx.Err()
			}
			dropped += ch.Trim(cut)
		}
	}
	for _, tr := range s.tracks {
		if tr != nil {
			dropped += tr.trim(cut)
		}
	}
	return dropped, nil
}
