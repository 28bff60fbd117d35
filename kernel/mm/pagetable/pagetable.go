// Package pagetable builds and edits x86-64 4-level page tables (Intel SDM
// vol. 3A §4.5, "4-Level Paging and 5-Level Paging"): a PML4 table, page
// directory pointer tables, page directories and page tables, 512 eight-byte
// entries each, translating 48-bit canonical linear addresses.
//
// Table frames come from an injected [FrameSource] and are reached through
// the direct map (mm.PhysToVirt), so the package runs unchanged under go test
// on the host with a fake source over a Go arena.
//
// # Entries
//
// Leaves are 4 KiB page-table entries or 2 MiB page-directory entries with
// PS set ([Huge]); 1 GiB leaves are read (Lookup, Walk) and split but never
// created. Intermediate entries always get Present|Writable, plus User once
// any leaf below them is a User leaf, and never NoExecute: the leaf's flags
// alone decide the access rights (SDM §4.6, rights combine across levels).
//
// # TLB
//
// The package never invalidates the TLB; callers do (SDM §4.10.4):
//   - Map, MapHuge and MapRange only fill non-present entries, which the
//     processor does not cache (§4.10.2.3): no invalidation needed.
//   - Unmap, Protect, ProtectRange and UnmapRange change or clear present
//     entries: INVLPG every affected page, or reload CR3 for large ranges
//     (a full flush is needed for Global pages). INVLPG also drops the
//     paging-structure caches, which covers tables freed by UnmapRange.
//   - Splitting a 2 MiB page into 4 KiB pages (Unmap, Protect, ProtectRange,
//     UnmapRange on part of a huge page) changes the page size of live
//     translations: INVLPG one address in the old 2 MiB page (§4.10.2.3).
//
// # Concurrency
//
// None inside. Callers serialise edits to one Table. All operations are
// allocation-free and usable in trap context; the FrameSource interface is
// stored once by [New].
package pagetable

import "unigo.dev/unigo/kernel/mm"

// PTE is a paging-structure entry (SDM vol. 3A §4.5, tables 4-15 to 4-20).
type PTE uint64

// Entry bits.
const (
	Present      PTE = 1 << 0  // P: the entry maps something
	Writable     PTE = 1 << 1  // R/W: writes allowed
	User         PTE = 1 << 2  // U/S: user-mode accesses allowed
	WriteThrough PTE = 1 << 3  // PWT
	CacheDisable PTE = 1 << 4  // PCD
	Accessed     PTE = 1 << 5  // A: set by the processor
	Dirty        PTE = 1 << 6  // D: set by the processor on write (leaves)
	Huge         PTE = 1 << 7  // PS: this PDPTE/PDE is a 1 GiB/2 MiB leaf
	Global       PTE = 1 << 8  // G: survives CR3 reloads when CR4.PGE=1
	NoExecute    PTE = 1 << 63 // XD: instruction fetches fault (EFER.NXE=1)

	// AddrMask selects the physical address bits 12..51 of an entry.
	AddrMask PTE = 0x000f_ffff_ffff_f000
	// FlagMask selects everything that is not address.
	FlagMask = ^AddrMask
)

// Page sizes.
const (
	PageSize     = mm.PageSize
	HugePageSize = 1 << 21 // 2 MiB, a PDE leaf
	entries      = 512
)

// addr returns the physical address in e for a leaf or table at level
// (0 = PT, 1 = PD, 2 = PDPT, 3 = PML4); for huge leaves the PAT bit (12) is
// excluded by rounding down to the page size.
func (e PTE) addr(level int) uintptr {
	return uintptr(e&AddrMask) &^ (levelSize(level) - 1)
}

func levelShift(level int) uint       { return uint(mm.PageShift + 9*level) }
func levelSize(level int) uintptr     { return 1 << levelShift(level) }
func index(va uintptr, level int) int { return int(va>>levelShift(level)) & (entries - 1) }

// leaf reports whether e, a present entry at level, maps a page.
func (e PTE) leaf(level int) bool { return level == 0 || e&Huge != 0 }

// ProtFlags returns leaf flags for Linux PROT_* bits (1 read, 2 write,
// 4 exec): Present, Writable for PROT_WRITE, NoExecute unless PROT_EXEC.
// PROT_NONE gives 0: such pages are left unmapped.
func ProtFlags(prot uint8) PTE {
	if prot&7 == 0 {
		return 0
	}
	f := Present
	if prot&2 != 0 {
		f |= Writable
	}
	if prot&4 == 0 {
		f |= NoExecute
	}
	return f
}

// FrameSource supplies page-table frames: AllocTable returns the physical
// address of a zeroed 4 KiB frame, FreeTable takes one back.
// *buddy.Allocator implements it.
type FrameSource interface {
	AllocTable() (pa uintptr, ok bool)
	FreeTable(pa uintptr)
}

// Err is a result code. OK is success.
type Err uint8

const (
	OK              Err = iota
	ErrInvalid          // unaligned address or size, empty or wrapping range
	ErrNonCanonical     // bits 63..47 of an address are not all equal
	ErrExists           // something is already mapped there
	ErrNoMem            // the FrameSource is out of frames
	ErrNotMapped        // nothing is mapped there
)

var errText = [...]string{
	OK:              "ok",
	ErrInvalid:      "pagetable: unaligned or empty range",
	ErrNonCanonical: "pagetable: non-canonical address",
	ErrExists:       "pagetable: already mapped",
	ErrNoMem:        "pagetable: out of table frames",
	ErrNotMapped:    "pagetable: not mapped",
}

// Error returns a constant description of e; it does not allocate.
func (e Err) Error() string {
	if int(e) < len(errText) {
		return errText[e]
	}
	return "pagetable: unknown error"
}

// Table is one address space: the physical address of its PML4 and where its
// table frames come from. Create it with [New]. Because it holds an
// interface (a Go pointer), store a Table only in Go memory set up before
// the runtime starts (a global initialised at boot) or on the stack, never
// in kernel memory after the runtime is running (ADR 0001, rule 5); what
// kernel structures keep per address space is Root.
type Table struct {
	Root uintptr // physical address of the PML4 (what goes into CR3)
	src  FrameSource
}

// New allocates an empty PML4 from src. ok is false if src has no frame.
func New(src FrameSource) (Table, bool) {
	root, ok := src.AllocTable()
	if !ok {
		return Table{}, false
	}
	return Table{Root: root, src: src}, true
}

// Canonical reports whether va is a canonical 48-bit address: bits 63..47
// all equal (SDM vol. 3A §4.5).
func Canonical(va uintptr) bool { return uintptr(int64(va<<16)>>16) == va }

// canonEntry returns the sign-extended linear address of PML4 slot i.
func canonEntry(i int) uintptr { return uintptr(int64(uint64(i)<<(64-9)) >> 16) }

func table(pa uintptr) *[entries]PTE { return (*[entries]PTE)(mm.Ptr(mm.PhysToVirt(pa))) }

func empty(tbl *[entries]PTE) bool {
	for _, e := range tbl {
		if e&Present != 0 {
			return false
		}
	}
	return true
}

// descend returns the entry for va at level stop, creating missing tables on
// the way (intermediate entries Present|Writable, plus User if user). A huge
// leaf above stop gives ErrExists. If a table cannot be allocated, the tables
// this call created are freed again and ErrNoMem returned.
func (t *Table) descend(va uintptr, stop int, user bool) (*PTE, Err) {
	var created [3]uintptr
	var firstNew *PTE
	n := 0
	tbl := table(t.Root)
	for level := 3; level > stop; level-- {
		e := &tbl[index(va, level)]
		if *e&Present == 0 {
			pa, ok := t.src.AllocTable()
			if !ok {
				if firstNew != nil {
					*firstNew = 0
				}
				for i := 0; i < n; i++ {
					t.src.FreeTable(created[i])
				}
				return nil, ErrNoMem
			}
			if firstNew == nil {
				firstNew = e
			}
			created[n] = pa
			n++
			*e = PTE(pa) | Present | Writable
		} else if e.leaf(level) {
			return nil, ErrExists
		}
		if user {
			*e |= User
		}
		tbl = table(e.addr(0))
	}
	return &tbl[index(va, stop)], OK
}

// Map maps the 4 KiB page at va to the frame at pa with flags (Present is
// implied; Huge is ignored). It fails with ErrInvalid for unaligned
// addresses, ErrNonCanonical, ErrExists if va is mapped, ErrNoMem.
func (t *Table) Map(va, pa uintptr, flags PTE) Err {
	if !Canonical(va) {
		return ErrNonCanonical
	}
	if va&(PageSize-1) != 0 || pa&(PageSize-1) != 0 || PTE(pa)&^AddrMask != 0 {
		return ErrInvalid
	}
	e, err := t.descend(va, 0, flags&User != 0)
	if err != OK {
		return err
	}
	if *e&Present != 0 {
		return ErrExists
	}
	*e = PTE(pa) | flags&FlagMask&^Huge | Present
	return OK
}

// MapHuge maps the 2 MiB page at va to the 2 MiB frame at pa. Both must be
// 2 MiB aligned. ErrExists if the page directory entry is in use, even by
// a table that maps nothing.
func (t *Table) MapHuge(va, pa uintptr, flags PTE) Err {
	if !Canonical(va) {
		return ErrNonCanonical
	}
	if va&(HugePageSize-1) != 0 || pa&(HugePageSize-1) != 0 || PTE(pa)&^AddrMask != 0 {
		return ErrInvalid
	}
	e, err := t.descend(va, 1, flags&User != 0)
	if err != OK {
		return err
	}
	if *e&Present != 0 {
		return ErrExists
	}
	*e = PTE(pa) | flags&FlagMask | Present | Huge
	return OK
}

// MapRange maps [va, va+size) to [pa, pa+size), using 2 MiB pages where va
// and pa are both 2 MiB aligned, a whole 2 MiB remains, and the page
// directory entry is free; 4 KiB pages elsewhere. On failure it unmaps what
// it mapped and returns the error (ErrExists if any page was mapped).
func (t *Table) MapRange(va, pa, size uintptr, flags PTE) Err {
	if size == 0 || (va|pa|size)&(PageSize-1) != 0 || va+size-1 < va {
		return ErrInvalid
	}
	if last := va + size - 1; !Canonical(va) || !Canonical(last) || va>>63 != last>>63 {
		return ErrNonCanonical // an end is non-canonical or the range spans the hole
	}
	done := uintptr(0)
	for done < size {
		v, p := va+done, pa+done
		if (v|p)&(HugePageSize-1) == 0 && size-done >= HugePageSize {
			err := t.MapHuge(v, p, flags)
			if err == OK {
				done += HugePageSize
				continue
			}
			if err != ErrExists {
				t.unmapQuiet(va, v)
				return err
			}
			// A table or leaf already there: go page by page.
		}
		if err := t.Map(v, p, flags); err != OK {
			t.unmapQuiet(va, v)
			return err
		}
		done += PageSize
	}
	return OK
}

// unmapQuiet removes the mappings of [start, end) made by a failed MapRange.
// They were all created whole inside the range, so no split is needed.
func (t *Table) unmapQuiet(start, end uintptr) {
	if end > start {
		t.UnmapRange(start, end, nil)
	}
}

// entry returns the present leaf mapping va and its level, or nil.
func (t *Table) entry(va uintptr) (*PTE, int) {
	if !Canonical(va) {
		return nil, 0
	}
	tbl := table(t.Root)
	for level := 3; ; level-- {
		e := &tbl[index(va, level)]
		if *e&Present == 0 {
			return nil, 0
		}
		if e.leaf(level) {
			return e, level
		}
		tbl = table(e.addr(0))
	}
}

// Lookup translates va: the physical address (with va's offset in the page)
// and the leaf's flags (Huge set for 2 MiB and 1 GiB pages).
func (t *Table) Lookup(va uintptr) (pa uintptr, flags PTE, ok bool) {
	e, level := t.entry(va)
	if e == nil {
		return 0, 0, false
	}
	return e.addr(level) + va&(levelSize(level)-1), *e & FlagMask, true
}

// split replaces the huge leaf *e at level with a table of 512 leaves one
// level down mapping the same memory with the same flags.
func (t *Table) split(e *PTE, level int) Err {
	pa, ok := t.src.AllocTable()
	if !ok {
		return ErrNoMem
	}
	old := *e
	base, step := old.addr(level), levelSize(level-1)
	flags := old & FlagMask
	if level-1 == 0 {
		flags &^= Huge // bit 7 is PAT in a PTE; we never set PAT
	}
	child := table(pa)
	for i := range child {
		child[i] = PTE(base+uintptr(i)*step) | flags
	}
	*e = PTE(pa) | Present | Writable | old&User
	return OK
}

// leaf4K returns the 4 KiB leaf entry for va, splitting huge pages above it.
func (t *Table) leaf4K(va uintptr) (*PTE, Err) {
	if !Canonical(va) {
		return nil, ErrNonCanonical
	}
	if va&(PageSize-1) != 0 {
		return nil, ErrInvalid
	}
	tbl := table(t.Root)
	for level := 3; level > 0; level-- {
		e := &tbl[index(va, level)]
		if *e&Present == 0 {
			return nil, ErrNotMapped
		}
		if e.leaf(level) {
			if err := t.split(e, level); err != OK {
				return nil, err
			}
		}
		tbl = table(e.addr(0))
	}
	e := &tbl[index(va, 0)]
	if *e&Present == 0 {
		return nil, ErrNotMapped
	}
	return e, OK
}

// Unmap removes the 4 KiB mapping at va and returns its frame. If va lies in
// a huge page, the page is first split so that the other pages stay mapped
// (which needs a table frame: ErrNoMem). Empty tables are kept; UnmapRange
// frees them.
func (t *Table) Unmap(va uintptr) (pa uintptr, err Err) {
	e, err := t.leaf4K(va)
	if err != OK {
		return 0, err
	}
	pa = e.addr(0)
	*e = 0
	return pa, OK
}

// Protect replaces the flags of the 4 KiB mapping at va, keeping its frame
// (Present is implied). A huge page around va is split first.
func (t *Table) Protect(va uintptr, flags PTE) Err {
	e, err := t.leaf4K(va)
	if err != OK {
		return err
	}
	*e = PTE(e.addr(0)) | flags&FlagMask&^Huge | Present
	return OK
}

// Range operations share one recursive visitor.
const (
	opWalk = iota
	opUnmap
	opProtect
)

type rangeOp struct {
	kind  int
	flags PTE
	free  func(pa, size uintptr)
	walk  func(va, pa uintptr, flags PTE)
}

// rangeArgs checks [start, end) for the range operations and returns its
// inclusive last address. end 0 stands for 1<<64, the top of the address
// space. The range may span the non-canonical hole (only canonical slots
// exist), so Walk(0, 0, fn) visits everything.
func rangeArgs(start, end uintptr) (last uintptr, err Err) {
	if end != 0 && start >= end || (start|end)&(PageSize-1) != 0 {
		return 0, ErrInvalid
	}
	last = end - 1 // end 0 means the top: last = 1<<64 - 1
	if !Canonical(start) || !Canonical(last) {
		return 0, ErrNonCanonical
	}
	return last, OK
}

// UnmapRange removes every mapping in [start, end) (end 0: up to the top of
// the address space), passing each leaf frame
// to freeFrame (if not nil) with its size (4 KiB, 2 MiB or 1 GiB), and frees
// page tables left empty (never the PML4). Huge pages that straddle an end
// of the range are split first, which can fail with ErrNoMem, leaving the
// part of the range before the failure unmapped. Holes are skipped.
func (t *Table) UnmapRange(start, end uintptr, freeFrame func(pa, size uintptr)) Err {
	last, err := rangeArgs(start, end)
	if err != OK {
		return err
	}
	op := rangeOp{kind: opUnmap, free: freeFrame}
	return t.visit(t.Root, 3, 0, start, last, &op)
}

// ProtectRange replaces the flags (Present implied) of every mapping in
// [start, end) (end 0: to the top), keeping frames and page sizes; huge pages that straddle an
// end of the range are split. Holes are skipped (demand paging fills them).
func (t *Table) ProtectRange(start, end uintptr, flags PTE) Err {
	last, err := rangeArgs(start, end)
	if err != OK {
		return err
	}
	op := rangeOp{kind: opProtect, flags: flags & FlagMask &^ Huge}
	return t.visit(t.Root, 3, 0, start, last, &op)
}

// Walk calls fn for every leaf overlapping [start, end) (end 0: to the top)
// in address order,
// with the leaf's virtual and physical base and its flags (Huge set for
// large pages, whose base may lie below start).
func (t *Table) Walk(start, end uintptr, fn func(va, pa uintptr, flags PTE)) {
	last, err := rangeArgs(start, end)
	if err != OK {
		return
	}
	op := rangeOp{kind: opWalk, walk: fn}
	t.visit(t.Root, 3, 0, start, last, &op)
}

// visit applies op to the entries of the table at tpa (at level, its slot 0
// mapping base) that overlap [start, last].
func (t *Table) visit(tpa uintptr, level int, base, start, last uintptr, op *rangeOp) Err {
	tbl := table(tpa)
	shift := levelShift(level)
	size := levelSize(level)
	var i0, i1 int
	if level == 3 {
		i0, i1 = index(start, 3), index(last, 3) // monotonic over canonical addresses
	} else {
		if start > base {
			i0 = int((start - base) >> shift)
		}
		i1 = entries - 1
		if d := (last - base) >> shift; d < entries {
			i1 = int(d)
		}
	}
	for i := i0; i <= i1; i++ {
		e := &tbl[i]
		if *e&Present == 0 {
			continue
		}
		va := base + uintptr(i)<<shift
		if level == 3 {
			va = canonEntry(i)
		}
		whole := start <= va && va+size-1 <= last
		if e.leaf(level) {
			switch {
			case op.kind == opWalk:
				op.walk(va, e.addr(level), *e&FlagMask)
				continue
			case whole && op.kind == opUnmap:
				if op.free != nil {
					op.free(e.addr(level), size)
				}
				*e = 0
				continue
			case whole && op.kind == opProtect:
				keep := Huge
				if level == 0 {
					keep = 0
				}
				*e = PTE(e.addr(level)) | op.flags | Present | *e&keep
				continue
			}
			if err := t.split(e, level); err != OK {
				return err
			}
		}
		child := e.addr(0)
		if err := t.visit(child, level-1, va, start, last, op); err != OK {
			return err
		}
		if op.kind == opUnmap && empty(table(child)) {
			*e = 0
			t.src.FreeTable(child)
		}
	}
	return OK
}
