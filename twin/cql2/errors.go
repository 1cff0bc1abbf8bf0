package cql2

import (
	"errors"
	"fmt"
)

// Limits against hostile input. Each is an error when exceeded, never a crash.
const (
	// MaxLen is the longest filter text, in bytes.
	MaxLen = 64 << 10
	// MaxDepth bounds the nesting of parentheses, NOT, functions, arithmetic
	// and geometry collections.
	MaxDepth = 64
	// MaxList is the most values an IN list may hold.
	MaxList = 10_000
	// MaxPoints is the most coordinates all the geometry literals of a filter
	// may hold together.
	MaxPoints = 100_000
)

var (
	// ErrUnsupported is wrapped by the SyntaxError of a valid CQL2 construct that
	// this package does not evaluate (ACCENTI, S_TOUCHES, array functions, …).
	ErrUnsupported = errors.New("cql2: not supported")
	// ErrLimit is wrapped by the SyntaxError of a filter beyond one of the limits.
	ErrLimit = errors.New("cql2: limit exceeded")
)

// SyntaxError is every error of Parse: where in the text it is (a byte offset)
// and what was expected there. Err is ErrUnsupported or ErrLimit when it is one
// of those, nil otherwise.
type SyntaxError struct {
	Offset int
	Msg    string
	Err    error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("cql2: at %d: %s", e.Offset, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }
