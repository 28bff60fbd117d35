package net

import (
	"unsafe"

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
	return monotonic(nanotime() - c.base)
}

// monotonic is the reading ns nanoseconds after the clock's zero. It is
// what tcpip.MonotonicTime{}.Add(ns) returns for any ns a clock started
// at boot can produce, without its detour through time.Time (two
// time.Time.Add, a Sub and an Equal: ~100 instructions, taken 13 times per
// HTTP request). MonotonicTime is a struct of one int64 of nanoseconds
// (checked by the size assertion below and by TestMonotonic).
func monotonic(ns int64) tcpip.MonotonicTime {
	return *(*tcpip.MonotonicTime)(unsafe.Pointer(&ns))
}

// MonotonicTime must stay one int64 for monotonic's conversion.
var _ [unsafe.Sizeof(tcpip.MonotonicTime{}) - unsafe.Sizeof(int64(0))]struct{}
var _ [unsafe.Sizeof(int64(0)) - unsafe.Sizeof(tcpip.MonotonicTime{})]struct{}

// nanotime is the runtime's monotonic clock (what time.Now's monotonic
// reading is made of).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
