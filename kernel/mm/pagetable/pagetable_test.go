package pagetable

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
)

var _ FrameSource = (*buddy.Allocator)(nil)
var _ FrameSource = (*fakeSource)(nil)

const (
	physBase  = 0x100000
	arenaSize = 16 << 20
	M         = HugePageSize
	upper     = uintptr(0xffff_8000_0000_0000) // first upper-half address
	lastPage  = ^uintptr(PageSize - 1)         // the last page of the address space
)

// fakeSource hands out zeroed frames from the arena and tracks them, so
// tests can count outstanding tables, inject exhaustion and catch bad frees.
type fakeSource struct {
	next        uintptr
	free        []uintptr
	live        []bool
	outstanding int
	limit       int // refuse allocations beyond this many outstanding (0: no limit)
	badFrees    int
}

func newSource(t testing.TB) *fakeSource {
	t.Helper()
	arena.Setup(physBase, arenaSize)
	n := arenaSize / PageSize
	return &fakeSource{next: physBase, free: make([]uintptr, 0, n), live: make([]bool, n)}
}

func (s *fakeSource) AllocTable() (uintptr, bool) {
	if s.limit != 0 && s.outstanding >= s.limit {
		return 0, false
	}
	var pa uintptr
	if n := len(s.free); n > 0 {
		pa = s.free[n-1]
		s.free = s.free[:n-1]
	} else if s.next < physBase+arenaSize {
		pa = s.next
		s.next += PageSize
	} else {
		return 0, false
	}
	mm.Zero(mm.PhysToVirt(pa), PageSize)
	s.live[(pa-physBase)/PageSize] = true
	s.outstanding++
	return pa, true
}

func (s *fakeSource) FreeTable(pa uintptr) {
	i := (pa - physBase) / PageSize
	if pa < physBase || i >= uintptr(len(s.live)) || !s.live[i] {
		s.badFrees++
		return
	}
	// Scribble on freed frames so stale use shows.
	b := arena.Bytes(pa, PageSize)
	for j := range b {
		b[j] = 0xcc
	}
	s.live[i] = false
	s.outstanding--
	s.free = append(s.free, pa)
}

func newTable(t testing.TB) (*Table, *fakeSource) {
	t.Helper()
	src := newSource(t)
	tb, ok := New(src)
	if !ok {
		t.Fatal("New failed")
	}
	return &tb, src
}

type leaf struct {
	va, pa uintptr
	flags  PTE
}

func leaves(tb *Table) []leaf {
	var out []leaf
	tb.Walk(0, 0, func(va, pa uintptr, flags PTE) {
		out = append(out, leaf{va, pa, flags})
	})
	return out
}

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		va   uintptr
		want bool
	}{
		{0, true},
		{1<<47 - 1, true},
		{1 << 47, false},
		{0x0000_8000_0000_1000, false},
		{0x7fff_0000_0000_0000, false},
		{upper - 1, false},
		{upper, true},
		{^uintptr(0), true},
	} {
		if got := Canonical(tc.va); got != tc.want {
			t.Errorf("Canonical(%#x) = %v; want %v", tc.va, got, tc.want)
		}
	}
	for i := 0; i < entries; i++ {
		if va := canonEntry(i); !Canonical(va) || index(va, 3) != i {
			t.Errorf("canonEntry(%d) = %#x", i, va)
		}
	}
}

func TestMapLookupUnmap(t *testing.T) {
	tb, src := newTable(t)
	cases := []struct {
		va, pa uintptr
		flags  PTE
	}{
		{0x1000, 0x5000, Writable | NoExecute},
		{0x40_0000, 0x20_0000, 0},                             // kernel text style: RX
		{0x7fff_ffff_f000, 0x7000_0000, Writable | User},      // top of the lower half
		{upper, 0x1_0000_0000, Writable | Global | NoExecute}, // bottom of the upper half
		{^uintptr(0) &^ (PageSize - 1), 0x9000, Writable},     // last page
		{upper + 0x4000_0000_0000, 0xf_ffff_ffff_f000, 0},     // highest physical frame (52 bits)
	}
	for _, c := range cases {
		if err := tb.Map(c.va, c.pa, c.flags); err != OK {
			t.Fatalf("Map(%#x, %#x, %#x) = %v", c.va, c.pa, c.flags, err)
		}
	}
	for _, c := range cases {
		for _, off := range []uintptr{0, 1, 0x7ff, 0xfff} {
			pa, flags, ok := tb.Lookup(c.va + off)
			if !ok || pa != c.pa+off || flags != c.flags|Present {
				t.Errorf("Lookup(%#x) = %#x, %#x, %v; want %#x, %#x", c.va+off, pa, flags, ok, c.pa+off, c.flags|Present)
			}
		}
		if err := tb.Map(c.va, 0x3000, 0); err != ErrExists {
			t.Errorf("second Map(%#x) = %v; want ErrExists", c.va, err)
		}
	}
	if _, _, ok := tb.Lookup(0x2000); ok {
		t.Error("Lookup of an unmapped page succeeded")
	}
	got := leaves(tb)
	if len(got) != len(cases) {
		t.Fatalf("Walk found %d leaves; want %d: %+v", len(got), len(cases), got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].va <= got[i-1].va {
			t.Errorf("Walk out of order: %#x after %#x", got[i].va, got[i-1].va)
		}
	}
	for _, c := range cases {
		pa, err := tb.Unmap(c.va)
		if err != OK || pa != c.pa {
			t.Errorf("Unmap(%#x) = %#x, %v; want %#x", c.va, pa, err, c.pa)
		}
		if _, _, ok := tb.Lookup(c.va); ok {
			t.Errorf("Lookup(%#x) after Unmap succeeded", c.va)
		}
		if _, err := tb.Unmap(c.va); err != ErrNotMapped {
			t.Errorf("second Unmap(%#x) = %v; want ErrNotMapped", c.va, err)
		}
	}
	// Unmap keeps the tables; UnmapRange over everything frees them.
	if src.outstanding == 1 {
		t.Fatal("expected intermediate tables to remain after Unmap")
	}
	if err := tb.UnmapRange(0, 0, nil); err != OK {
		t.Fatal(err)
	}
	if src.outstanding != 1 || src.badFrees != 0 {
		t.Errorf("outstanding tables %d, bad frees %d; want 1 (the PML4), 0", src.outstanding, src.badFrees)
	}
}

func TestBadArguments(t *testing.T) {
	tb, src := newTable(t)
	for _, tc := range []struct {
		name string
		got  Err
		want Err
	}{
		{"Map non-canonical", tb.Map(1<<47, 0x1000, 0), ErrNonCanonical},
		{"Map non-canonical high", tb.Map(0xfff0_0000_0000_0000, 0x1000, 0), ErrNonCanonical},
		{"Map unaligned va", tb.Map(0x1001, 0x1000, 0), ErrInvalid},
		{"Map unaligned pa", tb.Map(0x1000, 0x1001, 0), ErrInvalid},
		{"Map pa beyond 52 bits", tb.Map(0x1000, 1<<52, 0), ErrInvalid},
		{"MapHuge unaligned", tb.MapHuge(0x1000, 0, 0), ErrInvalid},
		{"MapHuge unaligned pa", tb.MapHuge(0, 0x1000, 0), ErrInvalid},
		{"MapHuge non-canonical", tb.MapHuge(1<<47, 0, 0), ErrNonCanonical},
		{"MapRange empty", tb.MapRange(0x1000, 0x1000, 0, 0), ErrInvalid},
		{"MapRange across the hole", tb.MapRange(1<<47-PageSize, 0, 2*PageSize, 0), ErrNonCanonical},
		{"MapRange wraps", tb.MapRange(lastPage, 0, 2*PageSize, 0), ErrInvalid},
		{"UnmapRange empty", tb.UnmapRange(0x2000, 0x2000, nil), ErrInvalid},
		{"UnmapRange reversed", tb.UnmapRange(0x3000, 0x2000, nil), ErrInvalid},
		{"UnmapRange non-canonical", tb.UnmapRange(1<<47, 1<<48, nil), ErrNonCanonical},
		{"ProtectRange unaligned", tb.ProtectRange(0x1000, 0x1800, 0), ErrInvalid},
		{"Protect unmapped", tb.Protect(0x5000, Writable), ErrNotMapped},
		{"Protect non-canonical", tb.Protect(1<<47, Writable), ErrNonCanonical},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
	if _, err := tb.Unmap(1 << 47); err != ErrNonCanonical {
		t.Errorf("Unmap non-canonical = %v", err)
	}
	if _, _, ok := tb.Lookup(1 << 47); ok {
		t.Error("Lookup non-canonical succeeded")
	}
	if src.outstanding != 1 {
		t.Errorf("failed calls left %d tables; want 1", src.outstanding)
	}
}

func TestIntermediateFlags(t *testing.T) {
	tb, _ := newTable(t)
	const kva, uva = 0x4000_0000, 0x8000_0000_00 // different PML4 slots
	tb.Map(kva, 0x1000, NoExecute)               // kernel read-only data
	tb.Map(uva, 0x2000, User|Writable|NoExecute) // user data
	check := func(va uintptr, user bool) {
		tbl := table(tb.Root)
		for level := 3; level > 0; level-- {
			e := tbl[index(va, level)]
			want := Present | Writable
			if user {
				want |= User
			}
			if e&FlagMask != want {
				t.Errorf("va %#x level %d entry flags %#x; want %#x (no NX above the leaf)", va, level, e&FlagMask, want)
			}
			tbl = table(e.addr(0))
		}
	}
	check(kva, false)
	check(uva, true)
	// A user leaf below an existing kernel path upgrades it.
	tb.Map(kva+PageSize, 0x3000, User)
	check(kva, true)
}

func TestProtFlags(t *testing.T) {
	for _, tc := range []struct {
		prot uint8
		want PTE
	}{
		{0, 0},
		{1, Present | NoExecute},
		{1 | 2, Present | Writable | NoExecute},
		{1 | 4, Present},
		{4, Present},
		{1 | 2 | 4, Present | Writable},
	} {
		if got := ProtFlags(tc.prot); got != tc.want {
			t.Errorf("ProtFlags(%d) = %#x; want %#x", tc.prot, got, tc.want)
		}
	}
	// W^X: nothing the Go runtime asks for (RW data, RX text) is both.
	for _, prot := range []uint8{1, 3, 5} {
		if f := ProtFlags(prot); f&Writable != 0 && f&NoExecute == 0 {
			t.Errorf("ProtFlags(%d) = %#x is writable and executable", prot, f)
		}
	}
	// Leaf flags survive the round trip exactly.
	tb, _ := newTable(t)
	tb.Map(0x1000, 0x1000, ProtFlags(3))
	tb.Map(0x2000, 0x2000, ProtFlags(5))
	if _, f, _ := tb.Lookup(0x1000); f&Writable == 0 || f&NoExecute == 0 {
		t.Errorf("RW page flags %#x", f)
	}
	if _, f, _ := tb.Lookup(0x2000); f&Writable != 0 || f&NoExecute != 0 {
		t.Errorf("RX page flags %#x", f)
	}
}

func TestHugePages(t *testing.T) {
	tb, src := newTable(t)
	const va, pa = 0x4000_0000, 0x1_0000_0000
	if err := tb.MapHuge(va, pa, Writable|NoExecute); err != OK {
		t.Fatal(err)
	}
	base := src.outstanding
	for _, off := range []uintptr{0, 0x1234, M - 1} {
		got, flags, ok := tb.Lookup(va + off)
		if !ok || got != pa+off || flags != Present|Writable|NoExecute|Huge {
			t.Errorf("Lookup(%#x) = %#x, %#x, %v", va+off, got, flags, ok)
		}
	}
	if err := tb.Map(va+0x5000, 0x1000, 0); err != ErrExists {
		t.Errorf("Map inside a huge page = %v; want ErrExists", err)
	}
	if err := tb.MapHuge(va, pa, 0); err != ErrExists {
		t.Errorf("MapHuge twice = %v; want ErrExists", err)
	}
	// Unmap one 4 KiB page: split, the other 511 stay.
	got, err := tb.Unmap(va + 0x7000)
	if err != OK || got != pa+0x7000 {
		t.Fatalf("Unmap in huge page = %#x, %v", got, err)
	}
	if src.outstanding != base+1 {
		t.Errorf("split used %d tables; want 1", src.outstanding-base)
	}
	for i := uintptr(0); i < 512; i++ {
		p, flags, ok := tb.Lookup(va + i*PageSize + 8)
		if i == 7 {
			if ok {
				t.Errorf("unmapped page %d still mapped", i)
			}
			continue
		}
		if !ok || p != pa+i*PageSize+8 || flags != Present|Writable|NoExecute {
			t.Fatalf("page %d after split: %#x, %#x, %v", i, p, flags, ok)
		}
	}
	if n := len(leaves(tb)); n != 511 {
		t.Errorf("Walk after split: %d leaves; want 511", n)
	}
	// A table under the PDE now: MapHuge refuses, Map fills the hole.
	if err := tb.MapHuge(va, pa, 0); err != ErrExists {
		t.Errorf("MapHuge over a table = %v", err)
	}
	if err := tb.Map(va+0x7000, pa+0x7000, Writable|NoExecute); err != OK {
		t.Errorf("Map into split hole = %v", err)
	}
}

func TestHugeProtect(t *testing.T) {
	tb, _ := newTable(t)
	const va, pa = upper + 0x20_0000_0000, 0x4000_0000
	tb.MapHuge(va, pa, Writable|NoExecute)
	tb.MapHuge(va+M, pa+M, Writable|NoExecute)
	// Whole huge page: stays huge.
	if err := tb.ProtectRange(va+M, va+2*M, NoExecute); err != OK {
		t.Fatal(err)
	}
	if _, f, _ := tb.Lookup(va + M + 5); f != Present|NoExecute|Huge {
		t.Errorf("flags after whole-page ProtectRange = %#x", f)
	}
	// Part of the first: split, only the range changes.
	if err := tb.ProtectRange(va+0x10000, va+0x20000, 0); err != OK {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		off  uintptr
		want PTE
	}{
		{0, Present | Writable | NoExecute},
		{0xf000, Present | Writable | NoExecute},
		{0x10000, Present},
		{0x1f000, Present},
		{0x20000, Present | Writable | NoExecute},
	} {
		p, f, ok := tb.Lookup(va + tc.off)
		if !ok || p != pa+tc.off || f != tc.want {
			t.Errorf("Lookup(+%#x) = %#x, %#x, %v; want flags %#x", tc.off, p, f, ok, tc.want)
		}
	}
	// Single-page Protect keeps the frame.
	if err := tb.Protect(va+0x3000, Writable|User); err != OK {
		t.Fatal(err)
	}
	if p, f, _ := tb.Lookup(va + 0x3000); p != pa+0x3000 || f != Present|Writable|User {
		t.Errorf("after Protect: %#x, %#x", p, f)
	}
	// Protect inside the remaining huge page splits it.
	if err := tb.Protect(va+M+0x1000, Writable); err != OK {
		t.Fatal(err)
	}
	if _, f, _ := tb.Lookup(va + M); f != Present|NoExecute {
		t.Errorf("neighbour after split: %#x", f)
	}
}

func TestMapRange(t *testing.T) {
	tb, src := newTable(t)
	// va and pa 2 MiB aligned, 4 MiB + 259 pages: two huge pages, then 4 KiB.
	const va, pa = 0x4000_0000, 0x8000_0000
	const size = 2*M + 259*PageSize
	if err := tb.MapRange(va, pa, size, Writable|NoExecute); err != OK {
		t.Fatal(err)
	}
	var huge, small int
	var mapped uintptr
	tb.Walk(va, va+size, func(v, p uintptr, f PTE) {
		if p-pa != v-va {
			t.Errorf("leaf %#x -> %#x breaks the linear mapping", v, p)
		}
		if f&Huge != 0 {
			huge++
			mapped += M
		} else {
			small++
			mapped += PageSize
		}
	})
	if huge != 2 || small != 259 || mapped != size {
		t.Errorf("MapRange used %d huge + %d small pages (%#x bytes); want 2 + 259 (%#x)", huge, small, mapped, size)
	}
	// Misaligned relative to pa: all small pages.
	before := len(leaves(tb))
	if err := tb.MapRange(0x1_0000_0000, 0x9000_1000, M, 0); err != OK {
		t.Fatal(err)
	}
	if n := len(leaves(tb)) - before; n != 512 {
		t.Errorf("misaligned MapRange made %d leaves; want 512", n)
	}
	// Rollback: a page in the middle exists already.
	const rva = 0x2_0000_0000
	tb.Map(rva+M+0x5000, 0x1000, 0)
	before = len(leaves(tb))
	tables := src.outstanding
	if err := tb.MapRange(rva, 0, 3*M, Writable); err != ErrExists {
		t.Fatalf("MapRange over a mapped page = %v; want ErrExists", err)
	}
	if n := len(leaves(tb)); n != before {
		t.Errorf("failed MapRange left %d extra leaves", n-before)
	}
	if p, _, ok := tb.Lookup(rva + M + 0x5000); !ok || p != 0x1000 {
		t.Error("failed MapRange disturbed the existing page")
	}
	if src.outstanding > tables {
		t.Errorf("failed MapRange left %d tables", src.outstanding-tables)
	}
}

func TestUnmapRangeFreesTables(t *testing.T) {
	tb, src := newTable(t)
	rng := rand.New(rand.NewSource(1))
	want := map[uintptr]uintptr{} // frame -> size
	for i := 0; i < 300; i++ {
		va := uintptr(rng.Int63n(1<<47)) &^ (PageSize - 1)
		if i%2 == 1 {
			va |= upper
		}
		pa := uintptr(i+1) * PageSize
		if tb.Map(va, pa, Writable) == OK {
			want[pa] = PageSize
		}
	}
	for i := 0; i < 4; i++ {
		pa := uintptr(i+1) * 0x4000_0000
		if tb.MapHuge(upper+uintptr(i)*0x8000_0000, pa, Writable) == OK {
			want[pa] = M
		}
	}
	got := map[uintptr]uintptr{}
	err := tb.UnmapRange(0, 0, func(pa, size uintptr) {
		if _, dup := got[pa]; dup {
			t.Errorf("frame %#x freed twice", pa)
		}
		got[pa] = size
	})
	if err != OK {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("freed %d frames; want %d", len(got), len(want))
	}
	for pa, size := range want {
		if got[pa] != size {
			t.Errorf("frame %#x freed with size %#x; want %#x", pa, got[pa], size)
		}
	}
	if src.outstanding != 1 || src.badFrees != 0 {
		t.Errorf("outstanding %d, bad frees %d; want 1, 0", src.outstanding, src.badFrees)
	}
	if !empty(table(tb.Root)) {
		t.Error("PML4 not empty")
	}
}

func TestUnmapRangePartialHuge(t *testing.T) {
	tb, src := newTable(t)
	const va, pa = 0x6000_0000, 0x6000_0000
	tb.MapHuge(va, pa, Writable)
	tb.Map(va+M, pa+M, Writable)
	var freed []uintptr
	if err := tb.UnmapRange(va+M-3*PageSize, va+M+PageSize, func(p, size uintptr) {
		if size != PageSize {
			t.Errorf("freed %#x with size %#x", p, size)
		}
		freed = append(freed, p)
	}); err != OK {
		t.Fatal(err)
	}
	want := []uintptr{pa + M - 3*PageSize, pa + M - 2*PageSize, pa + M - PageSize, pa + M}
	if !slices.Equal(freed, want) {
		t.Errorf("freed %#x; want %#x", freed, want)
	}
	if n := len(leaves(tb)); n != 509 {
		t.Errorf("%d leaves remain; want 509", n)
	}
	// Freeing the rest returns to the baseline.
	tb.UnmapRange(va, va+2*M, nil)
	if src.outstanding != 1 {
		t.Errorf("outstanding %d; want 1", src.outstanding)
	}
}

func TestOutOfFrames(t *testing.T) {
	tb, src := newTable(t)
	src.limit = 3 // PML4 + PDPT + PD: no room for a PT
	if err := tb.Map(0x1000, 0x1000, 0); err != ErrNoMem {
		t.Fatalf("Map with 3 frames = %v; want ErrNoMem", err)
	}
	if src.outstanding != 1 || !empty(table(tb.Root)) {
		t.Errorf("failed Map left %d tables; want 1 and an empty PML4", src.outstanding)
	}
	if err := tb.MapHuge(0, 0, 0); err != OK { // needs only PDPT + PD
		t.Fatalf("MapHuge = %v", err)
	}
	if _, err := tb.Unmap(0x1000); err != ErrNoMem {
		t.Errorf("Unmap needing a split = %v; want ErrNoMem", err)
	}
	if p, _, ok := tb.Lookup(0x1000); !ok || p != 0x1000 {
		t.Error("failed split changed the mapping")
	}
	if err := tb.UnmapRange(0, PageSize, nil); err != ErrNoMem {
		t.Errorf("UnmapRange needing a split = %v; want ErrNoMem", err)
	}
	if _, err := New(src); err {
		t.Error("New with no frames succeeded")
	}
	src.limit = 0
	if err := tb.UnmapRange(0, PageSize, nil); err != OK {
		t.Errorf("UnmapRange = %v", err)
	}
}

func TestWithBuddy(t *testing.T) {
	arena.Setup(physBase, arenaSize)
	var a buddy.Allocator
	lo, hi := uintptr(physBase), uintptr(physBase+arenaSize)
	a.Init(lo, hi, mm.PhysToVirt(lo))
	a.AddRange(mm.PageUp(lo+buddy.MetaSize(lo, hi)), hi)
	free := a.FreePages()
	tb, ok := New(&a)
	if !ok {
		t.Fatal("New failed")
	}
	for i := uintptr(0); i < 64; i++ {
		if err := tb.Map(i*0x4000_0000, i*PageSize, Writable); err != OK {
			t.Fatal(err)
		}
	}
	tb.UnmapRange(0, 1<<47, nil)
	if a.FreePages() != free-1 || a.BadFrees() != 0 {
		t.Errorf("free pages %d (bad %d); want %d", a.FreePages(), a.BadFrees(), free-1)
	}
}

// TestRandomized compares the table with a map of 4 KiB pages through random
// Map, MapHuge, Unmap, Protect, ProtectRange and UnmapRange calls.
func TestRandomized(t *testing.T) {
	tb, src := newTable(t)
	rng := rand.New(rand.NewSource(7))
	type ent struct {
		pa    uintptr
		flags PTE
	}
	model := map[uintptr]ent{} // 4 KiB page -> frame, flags (without Huge)
	// A window of 8 huge pages straddling a PDPT boundary, high in the upper half.
	base := upper + 0x7f_c000_0000 - 4*M
	const npages = 8 * 512
	flagSet := []PTE{Writable, Writable | NoExecute, NoExecute, 0, User | Writable}
	randPage := func() uintptr { return base + uintptr(rng.Intn(npages))*PageSize }
	for step := 0; step < 3000; step++ {
		f := flagSet[rng.Intn(len(flagSet))]
		switch r := rng.Intn(10); {
		case r < 3:
			va := randPage()
			_, exists := model[va]
			hugeTaken := false
			err := tb.Map(va, va-base+0x1000_0000, f)
			if err == ErrExists && !exists {
				// Allowed only if a huge page covers va.
				_, fl, _ := tb.Lookup(va)
				hugeTaken = fl&Huge != 0
			}
			if (err == OK) == exists || err != OK && !exists && !hugeTaken {
				t.Fatalf("step %d: Map(%#x) = %v, exists %v", step, va, err, exists)
			}
			if err == OK {
				model[va] = ent{va - base + 0x1000_0000, f | Present}
			}
		case r < 4:
			va := base + uintptr(rng.Intn(8))*M
			free := true
			for p := va; p < va+M; p += PageSize {
				if _, ok := model[p]; ok {
					free = false
				}
			}
			err := tb.MapHuge(va, va-base+0x4000_0000, f)
			if err == OK {
				if !free {
					t.Fatalf("step %d: MapHuge over mapped pages", step)
				}
				for p := va; p < va+M; p += PageSize {
					model[p] = ent{p - base + 0x4000_0000, f | Present}
				}
			} else if err != ErrExists {
				t.Fatalf("step %d: MapHuge = %v", step, err)
			}
		case r < 6:
			va := randPage()
			pa, err := tb.Unmap(va)
			e, exists := model[va]
			if exists != (err == OK) || exists && pa != e.pa {
				t.Fatalf("step %d: Unmap(%#x) = %#x, %v; model %+v %v", step, va, pa, err, e, exists)
			}
			delete(model, va)
		case r < 7:
			va := randPage()
			err := tb.Protect(va, f)
			e, exists := model[va]
			if exists != (err == OK) {
				t.Fatalf("step %d: Protect(%#x) = %v, exists %v", step, va, err, exists)
			}
			if exists {
				model[va] = ent{e.pa, f | Present}
			}
		case r < 8:
			s := randPage()
			e := min(s+uintptr(1+rng.Intn(1200))*PageSize, base+npages*PageSize)
			if err := tb.ProtectRange(s, e, f); err != OK {
				t.Fatalf("step %d: ProtectRange = %v", step, err)
			}
			for p := s; p < e; p += PageSize {
				if m, ok := model[p]; ok {
					model[p] = ent{m.pa, f | Present}
				}
			}
		default:
			s := randPage()
			e := min(s+uintptr(1+rng.Intn(1200))*PageSize, base+npages*PageSize)
			err := tb.UnmapRange(s, e, func(pa, size uintptr) {})
			if err != OK {
				t.Fatalf("step %d: UnmapRange = %v", step, err)
			}
			for p := s; p < e; p += PageSize {
				delete(model, p)
			}
		}
		// Compare via Walk, expanding huge leaves.
		got := map[uintptr]ent{}
		tb.Walk(base, base+npages*PageSize, func(va, pa uintptr, f PTE) {
			if f&Huge != 0 {
				for o := uintptr(0); o < M; o += PageSize {
					got[va+o] = ent{pa + o, f &^ Huge}
				}
				return
			}
			got[va] = ent{pa, f}
		})
		if len(got) != len(model) {
			t.Fatalf("step %d: %d pages mapped; model %d", step, len(got), len(model))
		}
		for va, e := range model {
			if got[va] != e {
				t.Fatalf("step %d: page %#x = %+v; model %+v", step, va, got[va], e)
			}
		}
	}
	tb.UnmapRange(base, base+npages*PageSize, nil)
	if src.outstanding != 1 || src.badFrees != 0 {
		t.Errorf("outstanding %d, bad %d; want 1, 0", src.outstanding, src.badFrees)
	}
}

func TestNoAllocs(t *testing.T) {
	tb, _ := newTable(t)
	tb.MapHuge(0x4000_0000, 0, Writable)
	var n int
	got := testing.AllocsPerRun(100, func() {
		tb.Map(0x1000, 0x2000, Writable|NoExecute)
		tb.Map(upper+0x5000, 0x3000, Writable)
		tb.Lookup(0x1234)
		tb.Lookup(0x4000_1234)
		tb.Protect(0x1000, NoExecute)
		tb.Walk(0, 1<<47, func(va, pa uintptr, f PTE) { n++ })
		tb.Unmap(0x1000)
		tb.UnmapRange(upper, upper+0x10000, func(pa, size uintptr) { n-- })
		tb.MapRange(0x8000_0000, 0, 2*M+PageSize, Writable)
		tb.ProtectRange(0x8000_0000, 0x8000_0000+2*M+PageSize, 0)
		tb.UnmapRange(0x8000_0000, 0x8000_0000+2*M+PageSize, nil)
		_ = ErrExists.Error()
	})
	if got != 0 {
		t.Errorf("AllocsPerRun = %v; want 0", got)
	}
}

func TestErrText(t *testing.T) {
	for e := OK; e <= ErrNotMapped+1; e++ {
		if e.Error() == "" {
			t.Errorf("Err(%d) has no text", e)
		}
	}
	if got := fmt.Sprint(ErrNoMem); got != "pagetable: out of table frames" {
		t.Errorf("ErrNoMem prints %q", got)
	}
}

func BenchmarkMapUnmap(b *testing.B) {
	tb, _ := newTable(b)
	b.ReportAllocs()
	for b.Loop() {
		tb.Map(0x1000, 0x2000, Writable)
		tb.Unmap(0x1000)
	}
}
