package ktcp

import (
	"testing"
	"time"
)

// TestInvalidAckRateLimit checks RFC 5961 §7 and Linux's
// tcp_invalid_ratelimit: a burst of invalid segments on one connection
// draws one ACK per 500 ms; out-of-window data is always answered.
func TestInvalidAckRateLimit(t *testing.T) {
	rcv := uint32(peerISN + 1)
	for _, tc := range []struct {
		name     string
		in       func(iss uint32) seg
		wantAcks int // answers to a burst of 100 at one instant
	}{
		{"rst-in-window", func(iss uint32) seg { return seg{seq: rcv + 10, flags: flagRST} }, 1},
		{"syn", func(iss uint32) seg { return seg{seq: rcv + 5, flags: flagSYN} }, 1},
		{"ack-unsent-data", func(iss uint32) seg { return seg{seq: rcv, ack: iss + 100, flags: flagACK} }, 1},
		{"pure-ack-out-of-window", func(iss uint32) seg { return seg{seq: rcv + 1<<20, ack: iss + 1, flags: flagACK} }, 1},
		{"old-data", func(iss uint32) seg {
			return seg{seq: rcv - 10, ack: iss + 1, flags: flagACK, data: []byte("xy")}
		}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, id, iss, now := established(t, Config{MaxConns: 4, QuickAcks: -1})
			in := tc.in(iss)
			in.sport, in.dport, in.wnd, in.ws = 1234, 80, 512, -1
			burst := func(at int64) int {
				acks := 0
				for range 100 {
					s.Input(craft(in), at)
					acks += len(drain(t, s, at))
				}
				return acks
			}
			if n := burst(now); n != tc.wantAcks {
				t.Errorf("burst: %d ACKs; want %d", n, tc.wantAcks)
			}
			if n := burst(now + int64(400*time.Millisecond)); tc.wantAcks == 1 && n != 0 {
				t.Errorf("burst 400 ms later: %d ACKs; want 0", n)
			}
			if n := burst(now + int64(500*time.Millisecond)); n != tc.wantAcks {
				t.Errorf("burst 500 ms later: %d ACKs; want %d", n, tc.wantAcks)
			}
			if tc.wantAcks == 1 && s.Stats.AcksLimited != 300-2 {
				t.Errorf("AcksLimited = %d; want 298 (300 segments, 2 answered)", s.Stats.AcksLimited)
			}
			if st := s.State(id); st != "ESTABLISHED" {
				t.Errorf("state = %s", st)
			}
		})
	}
}

// TestChallengeAckBudget checks the stack-wide budget: with
// ChallengeAcks 2, SYNs on eight connections in one second draw between 2
// and 3 challenge ACKs (the budget is 2 plus a random part below 2), and
// the budget is renewed the next second.
func TestChallengeAckBudget(t *testing.T) {
	s := New(Config{MaxConns: 16, ChallengeAcks: 2, QuickAcks: -1})
	if _, err := s.Listen(ourAddr, 80, 16); err != OK {
		t.Fatal(err)
	}
	const n = 8
	now := int64(10 * time.Second)
	var iss [n]uint32
	for i := range n {
		port := uint16(2000 + i)
		s.Input(craft(seg{sport: port, dport: 80, seq: peerISN, flags: flagSYN, wnd: 65535, ws: -1}), now)
		o := drain(t, s, now)
		if len(o) != 1 {
			t.Fatalf("SYN %d answered with %+v", i, o)
		}
		iss[i] = o[0].seq
		s.Input(craft(seg{sport: port, dport: 80, seq: peerISN + 1, ack: iss[i] + 1, flags: flagACK, wnd: 512, ws: -1}), now)
	}
	for sec := range int64(3) {
		at := now + sec*int64(time.Second)
		acks := 0
		for i := range n {
			s.Input(craft(seg{sport: uint16(2000 + i), dport: 80, seq: peerISN + 9, flags: flagSYN, wnd: 512, ws: -1}), at)
			acks += len(drain(t, s, at))
		}
		if acks < 2 || acks > 3 {
			t.Errorf("second %d: %d challenge ACKs from %d connections; want 2 or 3", sec, acks, n)
		}
	}
	unlimited := New(Config{MaxConns: 4, ChallengeAcks: -1})
	if !unlimited.challengeBudget() || unlimited.Stats.AcksLimited != 0 {
		t.Error("ChallengeAcks < 0 still limits")
	}
}
