//go:build unix

package compiler_test

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time the process has used so far (all
// threads, so the garbage collector's background work counts too).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
