//go:build !unix

package twin

// lockDir does nothing where flock(2) is not available.
func lockDir(string) (func() error, error) { return func() error { return nil }, nil }
