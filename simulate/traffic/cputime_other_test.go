//go:build !unix

package traffic

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
