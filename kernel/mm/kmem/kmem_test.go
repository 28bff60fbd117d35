package kmem

import (
	"math/rand"
	"testing"

	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
)

func setup(t *testing.T) *buddy.Allocator {
	t.Helper()
	const base, size = 0x100000, 64 << 20
	arena.Setup(base, size)
	var a buddy.Allocator
	meta := arena.Bytes(base, buddy.MetaSize(base, base+size))
	metaPages := mm.PageUp(uintptr(len(meta)))
	a.Init(base, base+size, mm.PhysToVirt(base))
	a.AddRange(base+metaPages, base+size)
	Init(&a)
	return &a
}

func TestAllocFreeNoOverlap(t *testing.T) {
	a := setup(t)
	startFree := a.FreePages()
	type obj struct{ va, n uintptr }
	var live []obj
	rng := rand.New(rand.NewSource(1))
	owner := map[uintptr]int{}
	for i := 0; i < 20000; i++ {
		if len(live) > 0 && rng.Intn(3) == 0 {
			j := rng.Intn(len(live))
			o := live[j]
			for p := o.va; p < o.va+o.n; p++ {
				delete(owner, p)
			}
			Free(o.va, o.n)
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
			continue
		}
		n := uintptr(1 + rng.Intn(5000))
		va, ok := Alloc(n)
		if !ok {
			t.Fatalf("Alloc(%d) failed with %d live objects", n, len(live))
		}
		for p := va; p < va+n; p += 7 {
			if *(*byte)(mm.Ptr(p)) != 0 {
				t.Fatalf("Alloc(%d) = %#x: not zeroed at %#x", n, va, p)
			}
			if w, dup := owner[p]; dup {
				t.Fatalf("Alloc(%d) = %#x overlaps object %d at %#x", n, va, w, p)
			}
			owner[p] = i
		}
		*(*byte)(mm.Ptr(va + n - 1)) = 0xAB // dirty it; Free must re-zero
		live = append(live, obj{va, n})
	}
	for _, o := range live {
		Free(o.va, o.n)
	}
	if InUse() != 0 {
		t.Errorf("InUse = %d after freeing everything", InUse())
	}
	if a.FreePages() > startFree {
		t.Errorf("more free pages than at start")
	}
}

func TestSizeClasses(t *testing.T) {
	setup(t)
	for _, tc := range []struct{ n, want uintptr }{{1, 16}, {16, 16}, {17, 32}, {2048, 2048}, {2049, 4096}, {4097, 8192}} {
		if got := Size(tc.n); got != tc.want {
			t.Errorf("Size(%d) = %d; want %d", tc.n, got, tc.want)
		}
	}
}

func TestNoGoAllocs(t *testing.T) {
	setup(t)
	if n := testing.AllocsPerRun(1000, func() {
		va, _ := Alloc(100)
		Free(va, 100)
	}); n != 0 {
		t.Errorf("Alloc/Free allocate %v times on the Go heap", n)
	}
}

func TestExhaustion(t *testing.T) {
	setup(t)
	n := 0
	for {
		if _, ok := Alloc(1 << 20); !ok {
			break
		}
		n++
		if n > 100 {
			t.Fatal("64 MiB arena gave more than 100 MiB")
		}
	}
	if n == 0 {
		t.Fatal("no large allocation succeeded")
	}
}
