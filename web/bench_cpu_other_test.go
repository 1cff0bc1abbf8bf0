//go:build !unix

package web

import "time"

func processCPU() time.Duration { return 0 }

func loadAverage() (float64, bool) { return 0, false }
