package buddy

import (
	"fmt"
	"math/rand"
	"testing"

	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
)

const (
	physBase  = 0x100000 // fake physical memory starts at 1 MiB
	arenaSize = 64 << 20
	metaPA    = physBase // metadata lives in the first pages of the arena
)

// newAllocator sets up a fresh arena and an allocator covering all of it,
// with the metadata in its first pages. It returns the first page after the
// metadata; nothing is added yet.
func newAllocator(t testing.TB) (*Allocator, uintptr) {
	t.Helper()
	arena.Setup(physBase, arenaSize)
	a := new(Allocator)
	lo, hi := uintptr(physBase), uintptr(physBase+arenaSize)
	a.Init(lo, hi, mm.PhysToVirt(metaPA))
	return a, mm.PageUp(metaPA + MetaSize(lo, hi))
}

// check verifies the allocator's invariants: free lists well linked and
// consistent with the metadata, counters right, blocks aligned, in range,
// non-overlapping, and fully coalesced (no two free buddies of one order).
func check(a *Allocator) error {
	seen := make(map[uintptr]bool)
	var free uintptr
	for order := 0; order <= MaxOrder; order++ {
		var n uintptr
		prev := none
		for pa := a.head[order]; pa != none; pa = linkAt(pa).next {
			size := uintptr(mm.PageSize) << order
			if pa < a.lo || pa+size > a.hi || pa&(size-1) != 0 {
				return fmt.Errorf("order %d block %#x misplaced", order, pa)
			}
			if linkAt(pa).prev != prev {
				return fmt.Errorf("order %d block %#x prev %#x, want %#x", order, pa, linkAt(pa).prev, prev)
			}
			if m := a.metaByte(pa); m != metaManaged|metaFree|uint8(order) {
				return fmt.Errorf("order %d block %#x meta %#x", order, pa, m)
			}
			for p := pa; p < pa+size; p += mm.PageSize {
				if seen[p] {
					return fmt.Errorf("page %#x on two free lists", p)
				}
				seen[p] = true
				if p != pa && a.metaByte(p) != metaManaged {
					return fmt.Errorf("interior page %#x meta %#x", p, a.metaByte(p))
				}
			}
			if order < MaxOrder {
				b := pa ^ size
				if a.inRange(b) && a.metaByte(b) == metaManaged|metaFree|uint8(order) {
					return fmt.Errorf("order %d buddies %#x and %#x both free", order, pa, b)
				}
			}
			prev = pa
			n++
			if n > a.total {
				return fmt.Errorf("order %d list cycles", order)
			}
		}
		if n != a.nfree[order] {
			return fmt.Errorf("order %d: %d blocks listed, counter %d", order, n, a.nfree[order])
		}
		free += n << order
	}
	if free != a.freePages {
		return fmt.Errorf("free lists hold %d pages, counter %d", free, a.freePages)
	}
	return nil
}

func mustCheck(t *testing.T, a *Allocator) {
	t.Helper()
	if err := check(a); err != nil {
		t.Fatal(err)
	}
}

func TestMetaSize(t *testing.T) {
	for _, tc := range []struct{ lo, hi, want uintptr }{
		{0, 0, 0},
		{0, mm.PageSize, 1},
		{0x1000, 0x5000, 4},
		{0x1800, 0x2800, 2}, // rounded outwards
		{0x5000, 0x1000, 0},
	} {
		if got := MetaSize(tc.lo, tc.hi); got != tc.want {
			t.Errorf("MetaSize(%#x, %#x) = %d; want %d", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestAddRangeCoalesces(t *testing.T) {
	a, first := newAllocator(t)
	hi := uintptr(physBase + arenaSize)
	if got := a.AddRange(first, hi); got != (hi-first)>>mm.PageShift {
		t.Fatalf("AddRange added %d pages; want %d", got, (hi-first)>>mm.PageShift)
	}
	mustCheck(t, a)
	if a.FreePages() != a.TotalPages() || a.TotalPages() != (hi-first)>>mm.PageShift {
		t.Fatalf("free %d total %d", a.FreePages(), a.TotalPages())
	}
	// 64 MiB from 1 MiB+16 KiB: the bulk must sit in 4 MiB blocks.
	if got := a.FreeBlocks(MaxOrder); got < 14 {
		t.Errorf("FreeBlocks(MaxOrder) = %d; want >= 14", got)
	}
	// Adding again is a no-op.
	if got := a.AddRange(first, hi); got != 0 {
		t.Errorf("second AddRange added %d pages; want 0", got)
	}
	mustCheck(t, a)
}

func TestAddRangeUnaligned(t *testing.T) {
	a, first := newAllocator(t)
	got := a.AddRange(first+0x800, first+0x5800)
	if got != 4 || a.FreePages() != 4 {
		t.Fatalf("AddRange(+0x800, +0x5800) = %d pages, free %d; want 4", got, a.FreePages())
	}
	// Overlapping an added range: only the new pages count.
	if got := a.AddRange(first, first+0x8000); got != 4 || a.FreePages() != 8 {
		t.Errorf("overlapping AddRange = %d pages, free %d; want 4, 8", got, a.FreePages())
	}
	// Outside the allocator's range: clipped away.
	if got := a.AddRange(0, physBase); got != 0 {
		t.Errorf("AddRange below range added %d", got)
	}
	mustCheck(t, a)
}

func TestAllocAlignmentAndExhaustion(t *testing.T) {
	a, first := newAllocator(t)
	a.AddRange(first, physBase+arenaSize)
	for order := 0; order <= MaxOrder; order++ {
		pa, ok := a.Alloc(order)
		if !ok {
			t.Fatalf("Alloc(%d) failed", order)
		}
		if size := uintptr(mm.PageSize) << order; pa&(size-1) != 0 {
			t.Errorf("Alloc(%d) = %#x; not aligned to %#x", order, pa, size)
		}
	}
	mustCheck(t, a)
	if _, ok := a.Alloc(MaxOrder + 1); ok {
		t.Error("Alloc(MaxOrder+1) succeeded")
	}
	if _, ok := a.Alloc(-1); ok {
		t.Error("Alloc(-1) succeeded")
	}
	n := a.FreePages()
	var got uintptr
	for {
		if _, ok := a.Alloc(0); !ok {
			break
		}
		got++
	}
	if got != n || a.FreePages() != 0 {
		t.Errorf("allocated %d single pages, free %d; want %d, 0", got, a.FreePages(), n)
	}
	mustCheck(t, a)
}

func TestBadFrees(t *testing.T) {
	a, first := newAllocator(t)
	a.AddRange(first, physBase+arenaSize)
	pa, _ := a.Alloc(2)
	free := a.FreePages()
	bad := []struct {
		name  string
		pa    uintptr
		order int
	}{
		{"wrong order", pa, 1},
		{"wrong order high", pa, 3},
		{"interior page", pa + mm.PageSize, 0},
		{"never added (metadata page)", physBase, 0},
		{"below range", 0, 0},
		{"above range", physBase + arenaSize, 0},
		{"free page", pa + 4*mm.PageSize, 0},
		{"bad order", pa, MaxOrder + 1},
	}
	for i, tc := range bad {
		if a.Free(tc.pa, tc.order) {
			t.Errorf("%s: Free(%#x, %d) = true; want false", tc.name, tc.pa, tc.order)
		}
		if a.BadFrees() != uint64(i+1) {
			t.Errorf("%s: BadFrees = %d; want %d", tc.name, a.BadFrees(), i+1)
		}
	}
	if a.FreePages() != free {
		t.Fatalf("refused frees changed FreePages: %d; want %d", a.FreePages(), free)
	}
	if !a.Free(pa, 2) {
		t.Fatal("Free of a live block refused")
	}
	if a.Free(pa, 2) {
		t.Error("double free accepted")
	}
	mustCheck(t, a)
	if a.FreePages() != a.TotalPages() {
		t.Errorf("FreePages = %d; want %d", a.FreePages(), a.TotalPages())
	}
}

func TestAllocZeroed(t *testing.T) {
	a, first := newAllocator(t)
	a.AddRange(first, physBase+arenaSize)
	pa, _ := a.Alloc(3)
	b := arena.Bytes(pa, mm.PageSize<<3)
	for i := range b {
		b[i] = 0xa5
	}
	a.Free(pa, 3)
	pa2, ok := a.AllocZeroed(3)
	if !ok || pa2 != pa {
		t.Fatalf("AllocZeroed(3) = %#x, %v; want %#x (LIFO reuse)", pa2, ok, pa)
	}
	for i, c := range arena.Bytes(pa2, mm.PageSize<<3) {
		if c != 0 {
			t.Fatalf("byte %d = %#x after AllocZeroed", i, c)
		}
	}
}

// TestHoles adds three disjoint ranges and checks that nothing in the holes
// is ever handed out, and that everything added is.
func TestHoles(t *testing.T) {
	a, _ := newAllocator(t)
	ranges := [][2]uintptr{
		{0x200000, 0x3ff000},   // just short of 2 MiB
		{0x401000, 0xc00000},   // starts one page past a 4 MiB boundary
		{0x1000000, 0x1003000}, // three pages
	}
	var want uintptr
	for _, r := range ranges {
		want += a.AddRange(r[0], r[1])
	}
	mustCheck(t, a)
	inRanges := func(pa uintptr) bool {
		for _, r := range ranges {
			if pa >= r[0] && pa < r[1] {
				return true
			}
		}
		return false
	}
	var got uintptr
	for order := MaxOrder; order >= 0; order-- {
		for {
			pa, ok := a.Alloc(order)
			if !ok {
				break
			}
			for p := pa; p < pa+mm.PageSize<<order; p += mm.PageSize {
				if !inRanges(p) {
					t.Fatalf("Alloc(%d) = %#x covers hole page %#x", order, pa, p)
				}
			}
			got += 1 << order
		}
	}
	if got != want || a.TotalPages() != want {
		t.Errorf("allocated %d pages, total %d; want %d", got, a.TotalPages(), want)
	}
	mustCheck(t, a)
}

// TestRandomized runs random allocations and frees against a reference model
// of page ownership, checking alignment, no overlap, untouched contents of
// live blocks, the allocator's invariants, and full coalescing at the end.
func TestRandomized(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			a, first := newAllocator(t)
			// Two ranges with a hole, so coalescing meets range edges.
			a.AddRange(first, physBase+20<<20)
			a.AddRange(physBase+21<<20+0x3000, physBase+arenaSize)
			var initial [MaxOrder + 1]uintptr
			for o := range initial {
				initial[o] = a.FreeBlocks(o)
			}
			initialFree := a.FreePages()

			type block struct {
				pa    uintptr
				order int
				stamp uint64
			}
			rng := rand.New(rand.NewSource(seed))
			var live []block
			owner := make(map[uintptr]int) // page -> index+1 into live at alloc time (presence only)
			steps := 20000
			if testing.Short() {
				steps = 3000
			}
			for step := 0; step < steps; step++ {
				if len(live) == 0 || rng.Intn(100) < 55 {
					order := rng.Intn(MaxOrder + 1)
					if rng.Intn(4) != 0 {
						order = rng.Intn(3) // mostly small blocks
					}
					pa, ok := a.Alloc(order)
					if !ok {
						for o := order; o <= MaxOrder; o++ {
							if a.FreeBlocks(o) != 0 {
								t.Fatalf("step %d: Alloc(%d) failed with %d free order-%d blocks", step, order, a.FreeBlocks(o), o)
							}
						}
						continue
					}
					size := uintptr(mm.PageSize) << order
					if pa&(size-1) != 0 {
						t.Fatalf("step %d: Alloc(%d) = %#x misaligned", step, order, pa)
					}
					for p := pa; p < pa+size; p += mm.PageSize {
						if owner[p] != 0 {
							t.Fatalf("step %d: Alloc(%d) = %#x overlaps live page %#x", step, order, pa, p)
						}
						if p >= physBase+20<<20 && p < physBase+21<<20+0x3000 || p < first {
							t.Fatalf("step %d: Alloc(%d) = %#x hands out hole page %#x", step, order, pa, p)
						}
						owner[p] = 1
					}
					stamp := rng.Uint64()
					*(*uint64)(mm.Ptr(mm.PhysToVirt(pa))) = stamp
					*(*uint64)(mm.Ptr(mm.PhysToVirt(pa + size - 8))) = stamp
					live = append(live, block{pa, order, stamp})
				} else {
					i := rng.Intn(len(live))
					b := live[i]
					size := uintptr(mm.PageSize) << b.order
					if *(*uint64)(mm.Ptr(mm.PhysToVirt(b.pa))) != b.stamp ||
						*(*uint64)(mm.Ptr(mm.PhysToVirt(b.pa + size - 8))) != b.stamp {
						t.Fatalf("step %d: live block %#x was overwritten", step, b.pa)
					}
					if !a.Free(b.pa, b.order) {
						t.Fatalf("step %d: Free(%#x, %d) refused", step, b.pa, b.order)
					}
					for p := b.pa; p < b.pa+size; p += mm.PageSize {
						delete(owner, p)
					}
					live[i] = live[len(live)-1]
					live = live[:len(live)-1]
				}
				if step%500 == 0 {
					mustCheck(t, a)
				}
				if a.FreePages()+uintptr(len(owner)) != initialFree {
					t.Fatalf("step %d: free %d + live %d != %d", step, a.FreePages(), len(owner), initialFree)
				}
			}
			for _, b := range live {
				if !a.Free(b.pa, b.order) {
					t.Fatalf("final Free(%#x, %d) refused", b.pa, b.order)
				}
			}
			mustCheck(t, a)
			if a.FreePages() != initialFree {
				t.Fatalf("FreePages = %d; want %d", a.FreePages(), initialFree)
			}
			for o := range initial {
				if a.FreeBlocks(o) != initial[o] {
					t.Errorf("FreeBlocks(%d) = %d; want %d (not fully coalesced)", o, a.FreeBlocks(o), initial[o])
				}
			}
			if a.BadFrees() != 0 {
				t.Errorf("BadFrees = %d", a.BadFrees())
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	a, first := newAllocator(t)
	a.AddRange(first, physBase+arenaSize)
	got := testing.AllocsPerRun(100, func() {
		p0, _ := a.Alloc(0)
		p3, _ := a.AllocZeroed(3)
		p9, _ := a.Alloc(9)
		t, _ := a.AllocTable()
		a.Free(p3, 3)
		a.Free(p0, 0)
		a.Free(p9, 9)
		a.FreeTable(t)
		a.Free(p9, 9) // refused double free
	})
	if got != 0 {
		t.Errorf("AllocsPerRun = %v; want 0", got)
	}
	mustCheck(t, a)
}

func BenchmarkAllocFree(b *testing.B) {
	a, first := newAllocator(b)
	a.AddRange(first, physBase+arenaSize)
	b.ReportAllocs()
	for b.Loop() {
		pa, _ := a.Alloc(0)
		a.Free(pa, 0)
	}
}
