//go:build !unix

package web

import "errors"

// rawWrite is unix only; elsewhere each client's writer goroutine writes.
func rawWrite(fd uintptr, b []byte) (int, error) {
	return 0, errors.New("stream: no non-blocking writes here")
}
