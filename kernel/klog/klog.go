// Package klog is the kernel log: leveled messages with a subsystem prefix,
// written to the console and kept in a ring buffer (the dmesg buffer).
//
// It formats without allocating, so it can be used in trap context and before
// the Go runtime starts. Messages are built from parts:
//
//	klog.Info("mm").S("free pages ").U(n).End()
//
// There is one message under construction at a time (kernel code runs with
// interrupts disabled on one CPU): the arguments of a message's parts must
// not log themselves.
package klog

import "unigo.dev/unigo/kernel/internal/num"

// Level of a message.
type Level uint8

const (
	LevelError Level = iota
	LevelWarn
	LevelInfo
	LevelDebug
)

// Sink receives formatted log bytes (the console).
var Sink func(b []byte)

// Threshold is the most verbose level written to the console; all levels are
// kept in the ring.
var Threshold = LevelInfo

const ringSize = 64 << 10

var (
	ring    [ringSize]byte
	ringPos uint64 // total bytes ever written; ring[ringPos%ringSize] is next
)

// Msg is a message under construction.
type Msg struct {
	buf   [256]byte
	n     int
	level Level
}

var levelTag = [...]string{"E ", "W ", "I ", "D "}

// Stamp, when set, returns the time since boot in nanoseconds for prefixes.
var Stamp func() uint64

// building is the one message under construction.
var building Msg

func start(level Level, subsys string) *Msg {
	m := &building
	m.n = 0
	m.level = level
	m.S("[")
	if Stamp != nil {
		t := Stamp()
		m.fixed(t/1e9, 5).S(".").fixed(t/1e3%1e6, 6)
	} else {
		m.S("    0.000000")
	}
	return m.S("] ").S(levelTag[level]).S(subsys).S(": ")
}

// Error, Warn, Info and Debug start a message for subsystem subsys.
func Error(subsys string) *Msg { return start(LevelError, subsys) }
func Warn(subsys string) *Msg  { return start(LevelWarn, subsys) }
func Info(subsys string) *Msg  { return start(LevelInfo, subsys) }
func Debug(subsys string) *Msg { return start(LevelDebug, subsys) }

// S appends a string.
func (m *Msg) S(s string) *Msg {
	for i := 0; i < len(s) && m.n < len(m.buf)-1; i++ {
		m.buf[m.n] = s[i]
		m.n++
	}
	return m
}

// B appends bytes.
func (m *Msg) B(b []byte) *Msg {
	for i := 0; i < len(b) && m.n < len(m.buf)-1; i++ {
		m.buf[m.n] = b[i]
		m.n++
	}
	return m
}

// U appends an unsigned decimal.
func (m *Msg) U(v uint64) *Msg {
	var tmp [20]byte
	return m.B(num.Uint(&tmp, v))
}

// I appends a signed decimal.
func (m *Msg) I(v int64) *Msg {
	if v < 0 {
		return m.S("-").U(uint64(-v))
	}
	return m.U(uint64(v))
}

// X appends 0x and a hexadecimal number.
func (m *Msg) X(v uint64) *Msg {
	var tmp [16]byte
	return m.S("0x").B(num.Hex(&tmp, v))
}

// fixed appends v in decimal, zero-padded to width digits.
func (m *Msg) fixed(v uint64, width int) *Msg {
	var tmp [20]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return m.B(tmp[:width])
}

// End terminates the message with a newline and emits it.
func (m *Msg) End() {
	m.buf[m.n] = '\n'
	m.n++
	Write(m.level, m.buf[:m.n])
}

// outbuf holds a message while the sink writes it: slices of the caller's
// stack would escape through the indirect call and force heap allocation.
var outbuf [512]byte

// Write emits raw log bytes at a level.
func Write(level Level, b []byte) {
	for _, c := range b {
		ring[ringPos%ringSize] = c
		ringPos++
	}
	if level <= Threshold && Sink != nil {
		for len(b) > 0 {
			n := copy(outbuf[:], b)
			Sink(outbuf[:n])
			b = b[n:]
		}
	}
}

// Ring copies the most recent log bytes into dst and returns how many.
func Ring(dst []byte) int {
	n := uint64(len(dst))
	if n > ringPos {
		n = ringPos
	}
	if n > ringSize {
		n = ringSize
	}
	start := ringPos - n
	for i := uint64(0); i < n; i++ {
		dst[i] = ring[(start+i)%ringSize]
	}
	return int(n)
}
