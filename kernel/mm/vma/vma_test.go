package vma

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"unsafe"
)

const P = 0x1000 // one page

// pools keeps test pools alive: the tree holds only their address.
var pools [][]uint64

func newTree(t testing.TB, capacity int) *Tree {
	t.Helper()
	mem := make([]uint64, (uintptr(capacity)*NodeSize+7)/8+1)
	for i := range mem {
		mem[i] = 0xdeadbeefdeadbeef // Init must not rely on zeroed memory
	}
	pools = append(pools, mem)
	tr := new(Tree)
	tr.Init(uintptr(unsafe.Pointer(&mem[0])), capacity)
	return tr
}

func areas(t *Tree) []Area {
	var out []Area
	for a, ok := t.Next(0); ok; a, ok = t.Next(a.End) {
		out = append(out, a)
	}
	return out
}

func mustCheck(t *testing.T, tr *Tree) {
	t.Helper()
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
}

func anon(start, end uintptr, p Prot) Area {
	return Area{Start: start, End: end, Prot: p, Flags: Anonymous | Private}
}

const rw = ProtRead | ProtWrite

type op struct {
	kind       byte // 'i'nsert, 'r'emove, 'p'rotect
	a          Area // for insert
	start, end uintptr
	prot       Prot
	want       Err
}

func ins(a Area, want Err) op         { return op{kind: 'i', a: a, want: want} }
func unmap(s, e uintptr, want Err) op { return op{kind: 'r', start: s, end: e, want: want} }
func prot(s, e uintptr, p Prot, want Err) op {
	return op{kind: 'p', start: s, end: e, prot: p, want: want}
}
func (o op) apply(tr *Tree) Err {
	switch o.kind {
	case 'i':
		return tr.Insert(o.a)
	case 'r':
		return tr.Remove(o.start, o.end)
	default:
		return tr.Protect(o.start, o.end, o.prot)
	}
}

func (o op) String() string {
	switch o.kind {
	case 'i':
		return fmt.Sprintf("Insert([%#x,%#x) prot %d flags %#x tag %d off %#x)", o.a.Start, o.a.End, o.a.Prot, o.a.Flags, o.a.Tag, o.a.Off)
	case 'r':
		return fmt.Sprintf("Remove(%#x, %#x)", o.start, o.end)
	default:
		return fmt.Sprintf("Protect(%#x, %#x, %d)", o.start, o.end, o.prot)
	}
}

// TestScenarios replays Linux mmap/munmap/mprotect sequences.
func TestScenarios(t *testing.T) {
	file := func(s, e, off uintptr, tag uint16) Area {
		return Area{Start: s, End: e, Prot: ProtRead, Flags: Private, Tag: tag, Off: off}
	}
	tests := []struct {
		name string
		ops  []op
		want []Area
	}{
		{"adjacent anonymous maps merge", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			ins(anon(0x20*P, 0x30*P, rw), OK),
			ins(anon(0x8*P, 0x10*P, rw), OK),
		}, []Area{anon(0x8*P, 0x30*P, rw)}},
		{"bridging map merges three", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			ins(anon(0x30*P, 0x40*P, rw), OK),
			ins(anon(0x20*P, 0x30*P, rw), OK),
		}, []Area{anon(0x10*P, 0x40*P, rw)}},
		{"different prot does not merge", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			ins(anon(0x20*P, 0x30*P, ProtRead), OK),
		}, []Area{anon(0x10*P, 0x20*P, rw), anon(0x20*P, 0x30*P, ProtRead)}},
		{"different tag does not merge", []op{
			ins(Area{Start: 0x10 * P, End: 0x20 * P, Prot: rw, Flags: Anonymous, Tag: 1}, OK),
			ins(Area{Start: 0x20 * P, End: 0x30 * P, Prot: rw, Flags: Anonymous, Tag: 2}, OK),
		}, []Area{
			{Start: 0x10 * P, End: 0x20 * P, Prot: rw, Flags: Anonymous, Tag: 1},
			{Start: 0x20 * P, End: 0x30 * P, Prot: rw, Flags: Anonymous, Tag: 2},
		}},
		{"file maps merge only with contiguous offsets", []op{
			ins(file(0x10*P, 0x20*P, 0, 7), OK),
			ins(file(0x20*P, 0x30*P, 0x10*P, 7), OK), // contiguous: merges
			ins(file(0x30*P, 0x40*P, 0x99*P, 7), OK), // not contiguous
		}, []Area{file(0x10*P, 0x30*P, 0, 7), file(0x30*P, 0x40*P, 0x99*P, 7)}},
		{"overlap refused", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			ins(anon(0x1f*P, 0x21*P, rw), ErrOverlap),
			ins(anon(0x08*P, 0x11*P, rw), ErrOverlap),
			ins(anon(0x00*P, 0x40*P, rw), ErrOverlap),
			ins(anon(0x12*P, 0x13*P, rw), ErrOverlap),
		}, []Area{anon(0x10*P, 0x20*P, rw)}},
		{"invalid ranges", []op{
			ins(anon(0x10*P, 0x10*P, rw), ErrInvalid),
			ins(anon(0x10*P+1, 0x20*P, rw), ErrInvalid),
			ins(anon(0x20*P, 0x10*P, rw), ErrInvalid),
			unmap(0x10*P, 0x10*P+5, ErrInvalid),
			prot(0x10*P, 0x10*P, rw, ErrInvalid),
		}, nil},
		{"munmap middle splits", []op{
			ins(anon(0x10*P, 0x40*P, rw), OK),
			unmap(0x20*P, 0x30*P, OK),
		}, []Area{anon(0x10*P, 0x20*P, rw), {Start: 0x30 * P, End: 0x40 * P, Prot: rw, Flags: Anonymous | Private, Off: 0x20 * P}}},
		{"munmap head and tail", []op{
			ins(file(0x10*P, 0x40*P, 0x100*P, 1), OK),
			unmap(0x8*P, 0x18*P, OK),
			unmap(0x38*P, 0x50*P, OK),
		}, []Area{file(0x18*P, 0x38*P, 0x108*P, 1)}},
		{"munmap across areas and holes", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			ins(anon(0x30*P, 0x40*P, ProtRead), OK),
			ins(anon(0x40*P, 0x50*P, rw), OK),
			ins(anon(0x60*P, 0x70*P, rw), OK),
			unmap(0x18*P, 0x68*P, OK),
		}, []Area{anon(0x10*P, 0x18*P, rw), {Start: 0x68 * P, End: 0x70 * P, Prot: rw, Flags: Anonymous | Private, Off: 0x8 * P}}},
		{"munmap of a hole is a no-op", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			unmap(0x30*P, 0x40*P, OK),
			unmap(0x0, 0x10*P, OK),
		}, []Area{anon(0x10*P, 0x20*P, rw)}},
		{"mprotect middle splits in three", []op{
			ins(anon(0x10*P, 0x40*P, ProtNone), OK),
			prot(0x20*P, 0x30*P, rw, OK),
		}, []Area{
			anon(0x10*P, 0x20*P, ProtNone),
			{Start: 0x20 * P, End: 0x30 * P, Prot: rw, Flags: Anonymous | Private, Off: 0x10 * P},
			{Start: 0x30 * P, End: 0x40 * P, Prot: ProtNone, Flags: Anonymous | Private, Off: 0x20 * P},
		}},
		{"mprotect back merges", []op{
			ins(anon(0x10*P, 0x40*P, ProtNone), OK),
			prot(0x20*P, 0x30*P, rw, OK),
			prot(0x20*P, 0x30*P, ProtNone, OK),
		}, []Area{anon(0x10*P, 0x40*P, ProtNone)}},
		{"mprotect runtime-style heap growth", []op{
			// The Go runtime reserves PROT_NONE and commits from the bottom.
			ins(anon(0x100*P, 0x200*P, ProtNone), OK),
			prot(0x100*P, 0x110*P, rw, OK),
			prot(0x110*P, 0x120*P, rw, OK),
			prot(0x120*P, 0x130*P, rw, OK),
		}, []Area{anon(0x100*P, 0x130*P, rw), {Start: 0x130 * P, End: 0x200 * P, Prot: ProtNone, Flags: Anonymous | Private, Off: 0x30 * P}}},
		{"mprotect partial overlap at both ends", []op{
			ins(anon(0x10*P, 0x20*P, ProtRead), OK),
			ins(anon(0x20*P, 0x30*P, rw), OK),
			prot(0x18*P, 0x28*P, ProtExec, OK),
		}, []Area{
			anon(0x10*P, 0x18*P, ProtRead),
			// Anonymous pieces merge whatever their offsets.
			{Start: 0x18 * P, End: 0x28 * P, Prot: ProtExec, Flags: Anonymous | Private, Off: 0x8 * P},
			{Start: 0x28 * P, End: 0x30 * P, Prot: rw, Flags: Anonymous | Private, Off: 0x8 * P},
		}},
		{"mprotect with a hole fails and changes nothing", []op{
			ins(anon(0x10*P, 0x20*P, ProtRead), OK),
			ins(anon(0x28*P, 0x30*P, ProtRead), OK),
			prot(0x18*P, 0x2c*P, rw, ErrNoMapping),
			prot(0x08*P, 0x12*P, rw, ErrNoMapping),
			prot(0x2c*P, 0x38*P, rw, ErrNoMapping),
		}, []Area{anon(0x10*P, 0x20*P, ProtRead), anon(0x28*P, 0x30*P, ProtRead)}},
		{"mprotect joins neighbours on both sides", []op{
			ins(anon(0x10*P, 0x20*P, rw), OK),
			ins(anon(0x20*P, 0x30*P, ProtRead), OK),
			ins(anon(0x30*P, 0x40*P, rw), OK),
			prot(0x20*P, 0x30*P, rw, OK),
		}, []Area{anon(0x10*P, 0x40*P, rw)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTree(t, 16)
			for _, o := range tc.ops {
				if got := o.apply(tr); got != o.want {
					t.Fatalf("%v = %v; want %v", o, got, o.want)
				}
				mustCheck(t, tr)
			}
			if got := areas(tr); !slices.Equal(got, tc.want) {
				t.Errorf("areas = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFindNextOverlaps(t *testing.T) {
	tr := newTree(t, 8)
	tr.Insert(anon(0x10*P, 0x20*P, rw))
	tr.Insert(anon(0x30*P, 0x40*P, ProtRead))
	for _, tc := range []struct {
		addr      uintptr
		find      bool
		nextStart uintptr // 0: none
	}{
		{0, false, 0x10 * P},
		{0x10*P - 1, false, 0x10 * P},
		{0x10 * P, true, 0x10 * P},
		{0x20*P - 1, true, 0x10 * P},
		{0x20 * P, false, 0x30 * P},
		{0x3f * P, true, 0x30 * P},
		{0x40 * P, false, 0},
	} {
		_, ok := tr.Find(tc.addr)
		if ok != tc.find {
			t.Errorf("Find(%#x) ok = %v; want %v", tc.addr, ok, tc.find)
		}
		a, ok := tr.Next(tc.addr)
		if ok != (tc.nextStart != 0) || ok && a.Start != tc.nextStart {
			t.Errorf("Next(%#x) = %#x, %v; want %#x", tc.addr, a.Start, ok, tc.nextStart)
		}
	}
	for _, tc := range []struct {
		s, e uintptr
		want bool
	}{
		{0, 0x10 * P, false},
		{0, 0x10*P + 1, true},
		{0x20 * P, 0x30 * P, false},
		{0x1f * P, 0x30 * P, true},
		{0x3f * P, 0x50 * P, true},
		{0x40 * P, 0x50 * P, false},
		{0x15 * P, 0x15 * P, false}, // empty
	} {
		if got := tr.Overlaps(tc.s, tc.e); got != tc.want {
			t.Errorf("Overlaps(%#x, %#x) = %v; want %v", tc.s, tc.e, got, tc.want)
		}
	}
}

func TestFindFree(t *testing.T) {
	tr := newTree(t, 8)
	const M = 0x200000 // 2 MiB
	tr.Insert(anon(0x10*P, 0x20*P, rw))
	tr.Insert(anon(0x22*P, 0x30*P, rw))
	tr.Insert(anon(M+0x1000, 2*M, rw))
	tests := []struct {
		length, align, lo, hi uintptr
		top                   bool
		want                  uintptr
		ok                    bool
	}{
		{P, 0, 0, 1 << 47, false, 0, true},
		{P, 0, 0x10 * P, 1 << 47, false, 0x20 * P, true},
		{3 * P, 0, 0x10 * P, 1 << 47, false, 0x30 * P, true},
		{2 * P, 0, 0x10 * P, 1 << 47, false, 0x20 * P, true},
		{P, 0, 0, 1 << 47, true, 1<<47 - P, true},
		{P, 0, 0, 2 * M, true, M, true},               // just below the third area
		{2 * P, 0, 0, 0x30 * P, true, 0x20 * P, true}, // the highest 2-page gap below 0x30 pages
		{M, M, 0, 1 << 47, false, 2 * M, true},
		{M, M, 0, 3 * M, true, 2 * M, true},
		{M, M, 0, 2 * M, false, 0, false}, // [0,M) holds areas; [M,2M) too
		{P, 0, 0x10 * P, 0x20 * P, false, 0, false},
		{P, 0, 0x10 * P, 0x20 * P, true, 0, false},
		{P, 0, 0x1f * P, 0x21 * P, true, 0x20 * P, true},
		{0, 0, 0, 1 << 47, false, 0, false},                          // zero length
		{P, 3 * P, 0, 1 << 47, false, 0, false},                      // alignment not a power of two
		{P + 1, 0, 0, 1 << 47, false, 0, false},                      // unaligned length
		{P, 0, ^uintptr(0) &^ (P - 1), ^uintptr(0), false, 0, false}, // no room for a page
	}
	for _, tc := range tests {
		got, ok := tr.FindFree(tc.length, tc.align, tc.lo, tc.hi, tc.top)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FindFree(%#x, %#x, %#x, %#x, %v) = %#x, %v; want %#x, %v",
				tc.length, tc.align, tc.lo, tc.hi, tc.top, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPoolExhaustion(t *testing.T) {
	tr := newTree(t, 3)
	steps := []op{
		ins(anon(0x10*P, 0x20*P, rw), OK),
		ins(anon(0x30*P, 0x40*P, rw), OK),
		ins(anon(0x50*P, 0x60*P, rw), OK),
		ins(anon(0x70*P, 0x80*P, rw), ErrNoMem),
		ins(anon(0x20*P, 0x28*P, rw), OK),        // merges: needs no node
		ins(anon(0x2c*P, 0x30*P, rw), OK),        // merges downwards
		unmap(0x12*P, 0x14*P, ErrNoMem),          // split needs a node
		prot(0x12*P, 0x14*P, ProtRead, ErrNoMem), // two splits
		prot(0x10*P, 0x14*P, rw, OK),             // no change needed
		prot(0x50*P, 0x60*P, ProtRead, OK),       // whole area: no split
		unmap(0x50*P, 0x60*P, OK),                // frees a node
		prot(0x12*P, 0x14*P, ProtRead, ErrNoMem), // still needs two
		prot(0x10*P, 0x14*P, ProtRead, OK),       // one split
		ins(anon(0x70*P, 0x80*P, rw), ErrNoMem),
		unmap(0x10*P, 0x14*P, OK),
		ins(anon(0x70*P, 0x80*P, rw), OK),
	}
	for _, o := range steps {
		before := areas(tr)
		got := o.apply(tr)
		if got != o.want {
			t.Fatalf("%v = %v; want %v", o, got, o.want)
		}
		mustCheck(t, tr)
		if got != OK && !slices.Equal(before, areas(tr)) {
			t.Fatalf("%v failed but changed the tree:\n%+v\n%+v", o, before, areas(tr))
		}
	}
	want := []Area{
		{Start: 0x14 * P, End: 0x28 * P, Prot: rw, Flags: Anonymous | Private, Off: 0x4 * P},
		anon(0x2c*P, 0x40*P, rw),
		anon(0x70*P, 0x80*P, rw),
	}
	if got := areas(tr); !slices.Equal(got, want) {
		t.Errorf("areas = %+v\nwant %+v", got, want)
	}
}

// model is a page-granular reference: one entry per page of a window.
type page struct {
	mapped bool
	prot   Prot
	flags  Flags
	tag    uint16
	off    uintptr
}

type model struct {
	base  uintptr
	pages []page
}

func (m *model) idx(addr uintptr) int { return int((addr - m.base) / P) }

// areas derives the maximal merged areas the tree must hold.
func (m *model) areas() []Area {
	var out []Area
	for i, p := range m.pages {
		if !p.mapped {
			continue
		}
		addr := m.base + uintptr(i)*P
		a := Area{Start: addr, End: addr + P, Prot: p.prot, Flags: p.flags, Tag: p.tag, Off: p.off}
		if n := len(out); n > 0 && mergeable(out[n-1], a) {
			out[n-1].End += P
			continue
		}
		out = append(out, a)
	}
	return out
}

// sameAreas compares ignoring Off of anonymous areas (meaningless there).
func sameAreas(got, want []Area) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Flags&Anonymous != 0 {
			g.Off, w.Off = 0, 0
		}
		if g != w {
			return false
		}
	}
	return true
}

func (m *model) free(s, e uintptr) bool {
	for a := s; a < e; a += P {
		if a >= m.base && m.idx(a) < len(m.pages) && m.pages[m.idx(a)].mapped {
			return false
		}
	}
	return true
}

func (m *model) findFree(length, align, lo, hi uintptr, top bool) (uintptr, bool) {
	if top {
		for a := (hi - length) &^ (align - 1); a >= lo && a+length <= hi; a -= align {
			if m.free(a, a+length) {
				return a, true
			}
			if a < align {
				break
			}
		}
		return 0, false
	}
	for a := (lo + align - 1) &^ (align - 1); a+length <= hi; a += align {
		if m.free(a, a+length) {
			return a, true
		}
	}
	return 0, false
}

// TestRandomized drives the tree with random operations and compares it with
// the page model after every step, running Check each time.
func TestRandomized(t *testing.T) {
	for _, tc := range []struct {
		seed     int64
		capacity int
	}{{1, 1024}, {2, 1024}, {3, 1024}, {4, 12}, {5, 6}} {
		t.Run(fmt.Sprintf("seed%d_cap%d", tc.seed, tc.capacity), func(t *testing.T) {
			const npages = 192
			m := &model{base: 0x40000000, pages: make([]page, npages)}
			tr := newTree(t, tc.capacity)
			rng := rand.New(rand.NewSource(tc.seed))
			randRange := func() (uintptr, uintptr) {
				s := rng.Intn(npages)
				n := 1 + rng.Intn(min(npages-s, 1+rng.Intn(24)))
				return m.base + uintptr(s)*P, m.base + uintptr(s+n)*P
			}
			steps := 6000
			if testing.Short() {
				steps = 1000
			}
			for step := 0; step < steps; step++ {
				before := areas(tr)
				var o op
				switch r := rng.Intn(10); {
				case r < 4:
					s, e := randRange()
					a := Area{Start: s, End: e, Prot: Prot(rng.Intn(3)), Flags: Anonymous | Private}
					if rng.Intn(4) == 0 { // file-backed, sometimes contiguous
						a.Flags = Private
						a.Off = uintptr(rng.Intn(4)) * 8 * P
						a.Tag = uint16(rng.Intn(2))
					}
					o = ins(a, OK)
					if !m.free(s, e) {
						o.want = ErrOverlap
					}
				case r < 7:
					s, e := randRange()
					o = unmap(s, e, OK)
				case r < 9:
					s, e := randRange()
					o = prot(s, e, Prot(rng.Intn(3)), OK)
					for a := s; a < e; a += P {
						if !m.pages[m.idx(a)].mapped {
							o.want = ErrNoMapping
						}
					}
				default:
					length := uintptr(1+rng.Intn(8)) * P
					align := uintptr(P) << rng.Intn(4)
					lo := m.base - 4*P + uintptr(rng.Intn(npages))*P
					hi := lo + uintptr(rng.Intn(npages))*P
					top := rng.Intn(2) == 0
					got, ok := tr.FindFree(length, align, lo, hi, top)
					want, wok := m.findFree(length, align, lo, hi, top)
					if got != want || ok != wok {
						t.Fatalf("step %d: FindFree(%#x, %#x, %#x, %#x, %v) = %#x, %v; want %#x, %v\nareas %+v",
							step, length, align, lo, hi, top, got, ok, want, wok, before)
					}
					continue
				}
				got := o.apply(tr)
				if got == ErrNoMem && o.want == OK && tr.Count()+2 >= tc.capacity {
					// Legitimate shortage: the tree must be unchanged.
					if !slices.Equal(before, areas(tr)) {
						t.Fatalf("step %d: %v = ErrNoMem but changed the tree", step, o)
					}
					mustCheck(t, tr)
					continue
				}
				if got != o.want {
					t.Fatalf("step %d: %v = %v; want %v (count %d)\nareas %+v", step, o, got, o.want, tr.Count(), before)
				}
				if got == OK {
					switch o.kind {
					case 'i':
						for a := o.a.Start; a < o.a.End; a += P {
							m.pages[m.idx(a)] = page{true, o.a.Prot, o.a.Flags, o.a.Tag, o.a.Off + a - o.a.Start}
						}
					case 'r':
						for a := o.start; a < o.end; a += P {
							m.pages[m.idx(a)] = page{}
						}
					case 'p':
						for a := o.start; a < o.end; a += P {
							m.pages[m.idx(a)].prot = o.prot
						}
					}
				}
				if err := tr.Check(); err != nil {
					t.Fatalf("step %d: after %v: %v", step, o, err)
				}
				if want := m.areas(); !sameAreas(areas(tr), want) {
					t.Fatalf("step %d: after %v:\n got %+v\nwant %+v", step, o, areas(tr), want)
				}
				for i := 0; i < 4; i++ {
					addr := m.base - 2*P + uintptr(rng.Intn(npages+4))*P + uintptr(rng.Intn(P))
					_, ok := tr.Find(addr)
					wantOK := addr >= m.base && m.idx(addr) < npages && m.pages[m.idx(addr)].mapped
					if ok != wantOK {
						t.Fatalf("step %d: Find(%#x) = %v; want %v", step, addr, ok, wantOK)
					}
				}
			}
		})
	}
}

// TestLarge fills the tree with many separated areas and checks the height
// bound and that FindFree still finds the only large gap.
func TestLarge(t *testing.T) {
	const n = 20000
	tr := newTree(t, n)
	rng := rand.New(rand.NewSource(9))
	for _, i := range rng.Perm(n) {
		a := anon(uintptr(2*i)*P, uintptr(2*i+1)*P, rw)
		if i == n/2 {
			continue // leave a 3-page hole in the middle
		}
		if err := tr.Insert(a); err != OK {
			t.Fatalf("Insert %d: %v", i, err)
		}
	}
	mustCheck(t, tr)
	if h := tr.n(tr.root).height; h > 21 { // 1.44 log2(20000) ≈ 20.6
		t.Errorf("height %d for %d nodes", h, tr.Count())
	}
	got, ok := tr.FindFree(3*P, 0, 0, uintptr(2*n)*P, false)
	if want := uintptr(n-1) * P; !ok || got != want {
		t.Errorf("FindFree(3 pages) = %#x, %v; want %#x", got, ok, want)
	}
	got, ok = tr.FindFree(2*P, 0, 0, uintptr(2*n-1)*P, true)
	if want := uintptr(n-1) * P; !ok || got != want+P {
		t.Errorf("FindFree(2 pages, top down) = %#x, %v; want %#x", got, ok, want+P)
	}
	// Remove everything in one sweep.
	if err := tr.Remove(0, uintptr(2*n)*P); err != OK || tr.Count() != 0 {
		t.Fatalf("Remove all = %v, count %d", err, tr.Count())
	}
	mustCheck(t, tr)
}

func TestNoAllocs(t *testing.T) {
	tr := newTree(t, 64)
	for i := uintptr(0); i < 20; i++ {
		tr.Insert(anon(0x100*P+i*0x10*P, 0x100*P+i*0x10*P+4*P, rw))
	}
	got := testing.AllocsPerRun(100, func() {
		tr.Insert(anon(0x10*P, 0x40*P, ProtNone))
		tr.Protect(0x20*P, 0x28*P, rw)
		tr.Find(0x21 * P)
		tr.Next(0x30 * P)
		tr.Overlaps(0, 0x1000*P)
		tr.FindFree(4*P, 0x10*P, 0, 1<<47, false)
		tr.FindFree(4*P, 0, 0, 1<<47, true)
		tr.Remove(0x18*P, 0x30*P)
		tr.Remove(0x10*P, 0x40*P)
		_ = tr.Insert(anon(0x100*P, 0x101*P, rw)).Error()
	})
	if got != 0 {
		t.Errorf("AllocsPerRun = %v; want 0", got)
	}
	mustCheck(t, tr)
}

func BenchmarkFindFree(b *testing.B) {
	tr := newTree(b, 4096)
	for i := uintptr(0); i < 4000; i++ {
		tr.Insert(anon(i*2*P, i*2*P+P, rw))
	}
	b.ReportAllocs()
	for b.Loop() {
		tr.FindFree(2*P, 0, 0, 1<<47, false)
	}
}

func TestCheckDetectsCorruption(t *testing.T) {
	tr := newTree(t, 8)
	tr.Insert(anon(0x10*P, 0x20*P, rw))
	tr.Insert(anon(0x30*P, 0x40*P, ProtRead))
	tr.Insert(anon(0x50*P, 0x60*P, rw))
	mustCheck(t, tr)
	n := tr.n(tr.root)
	for _, corrupt := range []struct {
		name string
		f    func(*node)
	}{
		{"gap", func(n *node) { n.maxGap++ }},
		{"height", func(n *node) { n.height++ }},
		{"order", func(n *node) { n.area.Start, n.area.End = 0x70*P, 0x80*P }},
		{"unmerged", func(n *node) { n.area.Prot = rw; n.area.Start, n.area.End = 0x20*P, 0x50*P }},
	} {
		saved := *n
		corrupt.f(n)
		if err := tr.Check(); err == nil {
			t.Errorf("Check missed corrupted %s", corrupt.name)
		}
		*n = saved
	}
	mustCheck(t, tr)
	if ErrNoMem.Error() != "vma: out of nodes" || Err(200).Error() == "" {
		t.Error("Err.Error texts")
	}
}

// TestGen: every change moves Gen, lookups do not.
func TestGen(t *testing.T) {
	tr := newTree(t, 16)
	steps := []struct {
		name   string
		op     func()
		change bool
	}{
		{"Insert", func() { tr.Insert(Area{Start: 0x1000, End: 0x5000, Prot: ProtRead | ProtWrite}) }, true},
		{"Find", func() { tr.Find(0x2000) }, false},
		{"Next", func() { tr.Next(0x0) }, false},
		{"Protect", func() { tr.Protect(0x2000, 0x3000, ProtRead) }, true},
		{"Overlaps", func() { tr.Overlaps(0x1000, 0x2000) }, false},
		{"Remove", func() { tr.Remove(0x1000, 0x2000) }, true},
		{"failed Insert", func() { tr.Insert(Area{Start: 0x3000, End: 0x4000}) }, true},
	}
	for _, s := range steps {
		before := tr.Gen()
		s.op()
		if changed := tr.Gen() != before; changed != s.change {
			t.Errorf("%s: Gen changed = %v; want %v", s.name, changed, s.change)
		}
	}
}
