package twin

// SetChannelsPerLock makes snapshots read channels in chunks of n, so that
// tests can interleave them with writes; the returned func restores the default.
func SetChannelsPerLock(n int) (restore func()) {
	old := channelsPerLock
	channelsPerLock = n
	return func() { channelsPerLock = old }
}
