//go:build unix

package web

import (
	"errors"
	"syscall"
)

// rawWrite makes one non-blocking write to a socket: how much it took, or an
// error other than a full socket.
func rawWrite(fd uintptr, b []byte) (int, error) {
	n, err := syscall.Write(int(fd), b)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
		return max(n, 0), nil
	}
	return max(n, 0), err
}
