package ktcp

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// TestRandomLifecycles drives two stacks with random socket calls, a
// lossy link, timers and a ring allocator that sometimes runs dry, and
// checks after every step that the ring memory counted is the memory the
// connections hold, that every stream arrives as a prefix of what was
// written, and at the end, after everything was closed and 2MSL passed,
// that every ring and slot came back.
func TestRandomLifecycles(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			rings := newTestRings(t, 12)
			cfg := rings.config(Config{MaxConns: 12, RxBuf: 16384, TxBuf: 16384, InitBuf: 4096,
				TimeWait: 5 * time.Second, FinTimeout: 5 * time.Second})
			p := newPair(t, cfg)
			p.filter = func(from *Stack, pkt []byte) bool { return r.Intn(20) != 0 } // 5% loss
			lid, _ := p.b.Listen(addrB, 80, 8)
			type stream struct {
				id, peer       ID
				from, to       *Stack
				written, read  int
				closed, peerCl bool
			}
			var streams []*stream
			opened, moved := 0, 0
			accepted := map[ID]bool{}
			pattern := func(k int) byte { return byte(k*7 + k>>8) }
			buf := make([]byte, 20000)
			check := func(step int) {
				for _, s := range []*Stack{p.a, p.b} {
					var held uint64
					for i := range s.conns {
						c := &s.conns[i]
						for _, q := range [2]*ring{&c.rx, &c.tx} {
							if q.base != 0 {
								held += uint64(q.size)
							}
						}
					}
					if held != s.Stats.RingBytes {
						t.Fatalf("step %d: connections hold %d bytes of rings; RingBytes %d", step, held, s.Stats.RingBytes)
					}
				}
			}
			for step := range 3000 {
				switch op := r.Intn(10); {
				case op == 0 && len(streams) < 6:
					id, err := p.a.Connect(addrA, 0, addrB, 80, p.now)
					if err == OK {
						// Short keepalives: idle send rings shrink (shrinkTx).
						p.a.SetKeepalive(id, int64(500*time.Millisecond), int64(500*time.Millisecond), 5, p.now)
						opened++
						streams = append(streams, &stream{id: id, peer: -1, from: p.a, to: p.b})
					}
				case op == 1:
					if id, err := p.b.Accept(lid); err == OK {
						matched := false
						for _, st := range streams {
							if st.peer == -1 {
								_, lp, _, _ := p.a.Addrs(st.id)
								if _, _, _, rp := p.b.Addrs(id); rp == lp {
									st.peer = id
									matched = true
								}
							}
						}
						if matched {
							accepted[id] = true
						} else {
							p.b.Close(id, p.now) // its client is gone already
						}
					}
				case op <= 4 && len(streams) > 0:
					st := streams[r.Intn(len(streams))]
					if st.closed {
						break
					}
					n := r.Intn(len(buf))
					for k := range n {
						buf[k] = pattern(st.written + k)
					}
					m, _ := p.a.Write(st.id, buf[:n])
					st.written += m
				case op <= 6 && len(streams) > 0:
					st := streams[r.Intn(len(streams))]
					if st.peer == -1 || st.peerCl {
						break
					}
					m, _ := p.b.Read(st.peer, buf[:r.Intn(len(buf))+1])
					for k := range m {
						if buf[k] != pattern(st.read+k) {
							t.Fatalf("step %d: byte %d of a stream differs", step, st.read+k)
						}
					}
					st.read += m
					moved += m
				case op == 7 && len(streams) > 0:
					i := r.Intn(len(streams))
					st := streams[i]
					switch r.Intn(4) {
					case 0:
						p.a.Abort(st.id)
					case 1:
						p.a.Shutdown(st.id)
						continue
					default:
						p.a.Close(st.id, p.now)
					}
					if st.peer != -1 {
						p.b.Close(st.peer, p.now)
						delete(accepted, st.peer)
					}
					streams = append(streams[:i], streams[i+1:]...)
				case op == 8:
					p.advance(time.Duration(r.Intn(300)) * time.Millisecond)
				}
				p.flush()
				check(step)
			}
			for _, st := range streams {
				p.a.Close(st.id, p.now)
			}
			for id := range accepted {
				p.b.Close(id, p.now)
			}
			for {
				id, err := p.b.Accept(lid)
				if err != OK {
					break
				}
				p.b.Close(id, p.now)
			}
			p.b.Close(lid, p.now)
			p.filter = nil
			p.advance(3 * time.Minute)
			check(-1)
			for _, s := range []*Stack{p.a, p.b} {
				if n := len(s.conns) - s.countState(stFree); n != 0 || s.Stats.RingBytes != 0 {
					t.Errorf("after closing everything: %d slots in use, RingBytes %d", n, s.Stats.RingBytes)
					for i := range s.conns {
						if c := &s.conns[i]; c.state != stFree {
							t.Logf("slot %d: %s flags %#x sndWnd %d rtoAt %d (now %d) retries %d tx %d/%d rx %d nextAt %d",
								i, stateNames[c.state], c.flags, c.sndWnd, c.rtoAt, p.now, c.retries, c.tx.used(), c.tx.size,
								c.rx.used(), s.nextAt)
						}
					}
				}
			}
			if len(rings.out) != 0 {
				t.Errorf("%d ring blocks never came back", len(rings.out))
			}
			t.Logf("%d connections, %d bytes moved; a: %+v; b: %+v", opened, moved, p.a.Stats, p.b.Stats)
			if opened < 20 || moved < 100<<10 {
				t.Errorf("too little happened: %d connections, %d bytes", opened, moved)
			}
		})
	}
}
