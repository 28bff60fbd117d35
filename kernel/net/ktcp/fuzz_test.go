package ktcp

import (
	"testing"
	"time"
)

// fuzzStack is a stack with a listener and an established connection,
// the states most inputs reach; its receive ring starts at 4 KiB and may
// grow to 8 KiB.
func fuzzStack(t *testing.T) (*Stack, uint32) {
	s, _, iss, _ := established(t, Config{MaxConns: 8, RxBuf: 8192, TxBuf: 4096, InitBuf: 4096})
	return s, iss
}

// FuzzInput feeds arbitrary bytes to Input (they rarely pass the
// checksums) and arbitrary well-formed segments (valid checksums, any
// flags, numbers, options and data) to a stack with a listener and an
// established connection, then runs its output and timers: nothing may
// panic, and the stack must stay consistent.
func FuzzInput(f *testing.F) {
	f.Add([]byte{}, uint8(flagSYN), uint32(1), uint32(0), uint16(1000), uint16(1460), int8(7), []byte("opts"), uint16(80))
	f.Add([]byte{0x45, 0, 0, 40}, uint8(flagACK|flagFIN), uint32(peerISN+1), uint32(0), uint16(0), uint16(0), int8(-1), []byte{}, uint16(80))
	f.Add([]byte{0x45}, uint8(flagRST), uint32(peerISN+1), uint32(5), uint16(10), uint16(0), int8(-1), []byte("x"), uint16(81))
	f.Fuzz(func(t *testing.T, raw []byte, flags uint8, seq, ackOff uint32, wnd, mss uint16, ws int8, data []byte, sport uint16) {
		s, iss := fuzzStack(t)
		now := int64(time.Second)
		buf := make([]byte, 1500)
		s.Input(raw, now)
		if len(data) > 1400 {
			data = data[:1400]
		}
		pkt := craft(seg{sport: 1234 + sport%2, dport: 80, seq: seq, ack: iss + ackOff, flags: flags & 0x3f,
			wnd: wnd, mss: mss, ws: int(ws), data: data})
		s.Input(pkt, now)
		// A raw variant of the crafted packet with the option area replaced.
		if len(raw) > 0 && len(pkt) > 40 {
			m := append([]byte(nil), pkt...)
			copy(m[40:], raw)
			s.Input(m, now)
		}
		for i := 0; i < 64 && s.Output(buf, now) > 0; i++ {
		}
		for range 20 {
			if d := s.NextDeadline(); d != 0 {
				now = max(now, d)
			} else {
				now += int64(time.Second)
			}
			s.Tick(now)
			for i := 0; i < 64 && s.Output(buf, now) > 0; i++ {
			}
		}
		// Consistency: the free list and the used slots cover the table.
		free := 0
		for i := s.free; i != noConn; i = s.conns[i].hnext {
			if s.conns[i].state != stFree {
				t.Fatalf("slot %d on the free list in state %s", i, stateNames[s.conns[i].state])
			}
			free++
		}
		for i := s.hw; i < int32(len(s.conns)); i++ {
			if s.conns[i].state != stFree {
				t.Fatalf("slot %d at or above the high-water mark %d in state %s", i, s.hw, stateNames[s.conns[i].state])
			}
		}
		// Ring memory: what the stack counts is what its connections hold,
		// and free slots hold none.
		var held uint64
		for i := range s.conns {
			c := &s.conns[i]
			for _, q := range [2]*ring{&c.rx, &c.tx} {
				if q.base != 0 {
					held += uint64(q.size)
					if c.state == stFree {
						t.Fatalf("free slot %d holds a ring", i)
					}
				}
			}
		}
		if held != s.Stats.RingBytes {
			t.Fatalf("connections hold %d bytes of rings; Stats.RingBytes = %d", held, s.Stats.RingBytes)
		}
		if used := len(s.conns) - s.countState(stFree); free != len(s.conns)-used {
			t.Fatalf("free list has %d slots; %d are free", free, len(s.conns)-used)
		}
	})
}
