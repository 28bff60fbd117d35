package net

import (
	"time"
	_ "unsafe" // for go:linkname

	"gvisor.dev/gvisor/pkg/tcpip"
)

// clock is the stack's tcpip.Clock: the standard one, except that the
// monotonic reading, which gVisor takes several times per segment (RTT
// samples, timers, send times), is one read of the runtime's monotonic
// clock (a vDSO call) instead of time.Since, which reads both the wall
// and the monotonic clock and does time.Time arithmetic.
type clock struct {
	tcpip.Clock // Now and AfterFunc
	base        int64
}

var _ tcpip.Clock = (*clock)(nil)

func newClock() *clock {
	return &clock{Clock: tcpip.NewStdClock(), base: nanotime()}
}

// NowMonotonic implements tcpip.Clock.NowMonotonic: time since the clock
// was made, like the standard clock's.
func (c *clock) NowMonotonic() tcpip.MonotonicTime {
	return tcpip.MonotonicTime{}.Add(time.Duration(nanotime() - c.base))
}

// nanotime is the runtime's monotonic clock (what time.Now's monotonic
// reading is made of).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
