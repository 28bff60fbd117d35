package virtq

import (
	"math/rand"
	"sync/atomic"
	"testing"

	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
)

// device is a fake virtio device working on the same memory: it takes
// available chains, checks them, and returns them used.
type device struct {
	q        *Queue
	lastSeen uint16
	usedIdx  uint16
}

func (d *device) chains(t *testing.T) [][]Buf {
	var out [][]Buf
	availIdx := uint16(atomic.LoadUint32((*uint32)(mm.Ptr(d.q.avail))) >> 16)
	for d.lastSeen != availIdx {
		head := *(*uint16)(mm.Ptr(d.q.avail + availHead + uintptr(d.lastSeen%d.q.size)*2))
		d.lastSeen++
		var chain []Buf
		for i := head; ; {
			ds := d.q.descAt(i)
			chain = append(chain, Buf{PA: uintptr(ds.addr), Len: ds.len, Write: ds.flags&descWrite != 0})
			if ds.flags&descNext == 0 {
				break
			}
			i = ds.next
			if len(chain) > int(d.q.size) {
				t.Fatal("descriptor chain loops")
			}
		}
		out = append(out, chain)
		e := d.q.used + usedHead + uintptr(d.usedIdx%d.q.size)*usedElem
		*(*uint32)(mm.Ptr(e)) = uint32(head)
		*(*uint32)(mm.Ptr(e + 4)) = chain[0].Len
		d.usedIdx++
		atomic.StoreUint32((*uint32)(mm.Ptr(d.q.used)), uint32(d.usedIdx)<<16)
	}
	return out
}

func newQueue(t *testing.T, n uint16) *Queue {
	const base = 0x100000
	arena.Setup(base, 1<<20)
	var q Queue
	if Size(n) > 1<<20 {
		t.Fatal("queue too large for the arena")
	}
	q.Init(n, mm.PhysToVirt(base), base)
	if desc, avail, used := q.Addresses(); desc != base || avail <= desc || used%4096 != 0 {
		t.Fatalf("layout: desc %#x avail %#x used %#x", desc, avail, used)
	}
	return &q
}

func TestRoundTripAndWrap(t *testing.T) {
	q := newQueue(t, 8)
	// Start both sides just below the 16-bit wrap of the ring indices, as
	// after a long uptime, so the rounds cross it.
	const start = 65530
	q.availIdx, q.lastUsed = start, start
	atomic.StoreUint32((*uint32)(mm.Ptr(q.avail)), start<<16)
	atomic.StoreUint32((*uint32)(mm.Ptr(q.used)), start<<16)
	dev := &device{q: q, lastSeen: start, usedIdx: start}
	rng := rand.New(rand.NewSource(1))
	inflight := map[uint16][]Buf{}
	for round := 0; round < 1000; round++ {
		for q.Free() > 0 && rng.Intn(3) != 0 {
			n := 1 + rng.Intn(int(q.Free()))
			if n > 3 {
				n = 3
			}
			bufs := make([]Buf, n)
			for i := range bufs {
				bufs[i] = Buf{PA: uintptr(0x200000 + round*64 + i), Len: uint32(round*10 + i), Write: i == n-1}
			}
			head, ok := q.Add(bufs)
			if !ok {
				t.Fatalf("Add(%d buffers) failed with %d free", n, q.Free())
			}
			if _, dup := inflight[head]; dup {
				t.Fatalf("head %d handed out twice", head)
			}
			inflight[head] = bufs
		}
		for _, chain := range dev.chains(t) {
			// The device saw exactly what was added, in order.
			found := false
			for _, want := range inflight {
				if len(want) == len(chain) && want[0] == chain[0] {
					for i := range want {
						if want[i] != chain[i] {
							t.Fatalf("chain %v; want %v", chain, want)
						}
					}
					found = true
				}
			}
			if !found {
				t.Fatalf("device saw an unknown chain %v", chain)
			}
		}
		for {
			head, written, ok := q.Next()
			if !ok {
				break
			}
			bufs, known := inflight[head]
			if !known {
				t.Fatalf("Next returned unknown head %d", head)
			}
			if written != bufs[0].Len {
				t.Fatalf("written = %d; want %d", written, bufs[0].Len)
			}
			delete(inflight, head)
		}
		if len(inflight) != 0 {
			t.Fatalf("%d requests never completed", len(inflight))
		}
		if q.Free() != q.Len() {
			t.Fatalf("free = %d after all completed; want %d", q.Free(), q.Len())
		}
	}
}

func TestFullQueue(t *testing.T) {
	q := newQueue(t, 4)
	if _, ok := q.Add(make([]Buf, 5)); ok {
		t.Error("a chain longer than the queue was accepted")
	}
	if _, ok := q.Add(nil); ok {
		t.Error("an empty chain was accepted")
	}
	for i := 0; i < 4; i++ {
		if _, ok := q.Add([]Buf{{PA: 0x1000, Len: 1}}); !ok {
			t.Fatalf("Add %d failed", i)
		}
	}
	if _, ok := q.Add([]Buf{{PA: 0x1000, Len: 1}}); ok {
		t.Error("Add succeeded on a full queue")
	}
	if _, _, ok := q.Next(); ok {
		t.Error("Next returned a request the device never completed")
	}
}

func TestNotifySuppression(t *testing.T) {
	q := newQueue(t, 4)
	if !q.NeedNotify() {
		t.Error("a fresh queue should want notifications")
	}
	atomic.StoreUint32((*uint32)(mm.Ptr(q.used)), usedNoNotify)
	if q.NeedNotify() {
		t.Error("NeedNotify ignores VIRTQ_USED_F_NO_NOTIFY")
	}
}

func TestNoGoAllocs(t *testing.T) {
	q := newQueue(t, 16)
	dev := &device{q: q}
	bufs := []Buf{{PA: 0x3000, Len: 16}, {PA: 0x4000, Len: 512, Write: true}}
	dev.chains(t)
	if n := testing.AllocsPerRun(100, func() {
		q.Add(bufs)
		// complete it by hand (dev.chains allocates; do the device's part inline)
		e := q.used + usedHead + uintptr(dev.usedIdx%q.size)*usedElem
		*(*uint32)(mm.Ptr(e)) = uint32(q.freeHead) // any value; fixed below
		head := *(*uint16)(mm.Ptr(q.avail + availHead + uintptr((q.availIdx-1)%q.size)*2))
		*(*uint32)(mm.Ptr(e)) = uint32(head)
		dev.usedIdx++
		atomic.StoreUint32((*uint32)(mm.Ptr(q.used)), uint32(dev.usedIdx)<<16)
		q.Next()
	}); n != 0 {
		t.Errorf("Add/Next allocate %v times", n)
	}
}

func TestInterruptSuppressionAndPeek(t *testing.T) {
	q := newQueue(t, 4)
	dev := &device{q: q}
	availFlags := func() uint16 { return uint16(atomic.LoadUint32((*uint32)(mm.Ptr(q.avail)))) }
	if availFlags() != 0 {
		t.Fatalf("fresh queue avail flags = %#x; want 0", availFlags())
	}
	q.SetInterrupts(false)
	if availFlags() != availNoInterrupt {
		t.Errorf("after SetInterrupts(false) avail flags = %#x; want %#x", availFlags(), availNoInterrupt)
	}
	// Add must keep the flag while it publishes the index.
	want, ok := q.PeekHead()
	if !ok {
		t.Fatal("PeekHead on an empty queue: none free")
	}
	head, _ := q.Add([]Buf{{PA: 0x2000, Len: 8}})
	if head != want {
		t.Errorf("Add used head %d; PeekHead said %d", head, want)
	}
	if availFlags() != availNoInterrupt {
		t.Errorf("Add cleared the no-interrupt flag: %#x", availFlags())
	}
	if q.Pending() {
		t.Error("Pending before the device used anything")
	}
	dev.chains(t)
	if !q.Pending() {
		t.Error("Pending is false with a used buffer waiting")
	}
	if got, _, _ := q.Next(); got != head {
		t.Errorf("Next = %d; want %d", got, head)
	}
	// The freed head is the next one handed out.
	if h, _ := q.PeekHead(); h != head {
		t.Errorf("PeekHead after Next = %d; want the freed %d", h, head)
	}
	q.SetInterrupts(true)
	if availFlags() != 0 {
		t.Errorf("after SetInterrupts(true) avail flags = %#x; want 0", availFlags())
	}
	for i := 0; i < 4; i++ {
		q.Add([]Buf{{PA: 0x2000, Len: 8}})
	}
	if _, ok := q.PeekHead(); ok {
		t.Error("PeekHead on a full queue reports a free descriptor")
	}
}
