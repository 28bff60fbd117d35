// Package buddy is the physical frame allocator: a binary buddy system over
// one physical range, handing out naturally aligned blocks of 2^order pages.
//
// # Layout
//
// An [Allocator] covers the physical range [lo, hi) given to [Allocator.Init].
// Its per-page metadata is one byte per page in memory the caller provides
// (see [MetaSize]):
//
//	bit 7  free head:  first page of a free block; bits 0-3 hold its order
//	bit 6  alloc head: first page of an allocated block; bits 0-3 hold its order
//	bit 5  managed:    the page was given to the allocator by AddRange
//	0      interior page of a block, or a hole that was never added
//
// The free lists are intrusive doubly-linked lists kept in the first 16 bytes
// of each free block, reached through the direct map (mm.PhysToVirt); the
// links are physical addresses, and [none] ends a list. The Allocator itself
// holds only the list heads and counters, so it can live anywhere.
//
// Blocks are aligned to their size in physical address space (not relative to
// lo), and the buddy of the block at pa of order k is pa ^ (PageSize << k).
//
// # Errors
//
// Freeing a block that is not currently allocated with exactly that order
// (double free, wrong order, interior or never-added page) is refused: Free
// returns false, counts the event in [Allocator.BadFrees] and changes nothing.
//
// # Concurrency
//
// None inside. Callers serialise (in the kernel: interrupts are off in kernel
// code and one CPU runs it at a time, or a caller-held lock).
//
// All operations after Init are allocation-free and usable in trap context.
package buddy

import "unigo.dev/unigo/kernel/mm"

// MaxOrder is the largest block order: blocks of 2^10 pages (4 MiB). Orders
// run from 0 to MaxOrder inclusive. 4 MiB is the largest contiguous run the
// kernel needs (two 2 MiB huge pages) and keeps the order in four bits.
const MaxOrder = 10

// Metadata byte bits; see the package comment.
const (
	metaFree    = 1 << 7
	metaAlloc   = 1 << 6
	metaManaged = 1 << 5
	metaOrder   = 0x0f
)

// none ends a free list (physical address 0 is a legal frame).
const none = ^uintptr(0)

// link is the intrusive free-list node stored at the start of a free block.
type link struct {
	next, prev uintptr // physical addresses of neighbouring free blocks, or none
}

// Allocator is a buddy allocator over one physical range. The zero value is
// unusable; call [Allocator.Init]. It contains no Go pointers.
type Allocator struct {
	lo, hi    uintptr               // managed physical range, page aligned
	meta      uintptr               // virtual address of the metadata bytes
	head      [MaxOrder + 1]uintptr // free-list heads, physical, or none
	nfree     [MaxOrder + 1]uintptr // blocks on each free list
	freePages uintptr
	total     uintptr
	badFrees  uint64
}

// MetaSize returns the bytes of metadata [Allocator.Init] needs for [lo, hi).
func MetaSize(lo, hi uintptr) uintptr {
	lo, hi = mm.PageDown(lo), mm.PageUp(hi)
	if hi <= lo {
		return 0
	}
	return (hi - lo) >> mm.PageShift
}

// Init prepares a for the physical range [lo, hi), rounded outwards to pages.
// meta is the virtual address of MetaSize(lo, hi) bytes of zeroed memory that
// a owns from now on. No page is free until [Allocator.AddRange].
func (a *Allocator) Init(lo, hi uintptr, meta uintptr) {
	*a = Allocator{lo: mm.PageDown(lo), hi: mm.PageUp(hi), meta: meta}
	if a.hi < a.lo {
		a.hi = a.lo
	}
	for i := range a.head {
		a.head[i] = none
	}
}

// metaPtr returns the metadata byte of the page at pa, which must be in range.
func (a *Allocator) metaPtr(pa uintptr) *uint8 {
	return (*uint8)(mm.Ptr(a.meta + (pa-a.lo)>>mm.PageShift))
}

func (a *Allocator) inRange(pa uintptr) bool { return pa >= a.lo && pa < a.hi }

func linkAt(pa uintptr) *link { return (*link)(mm.Ptr(mm.PhysToVirt(pa))) }

// push puts the free block at pa on list order and marks it a free head.
func (a *Allocator) push(pa uintptr, order int) {
	l := linkAt(pa)
	l.prev = none
	l.next = a.head[order]
	if l.next != none {
		linkAt(l.next).prev = pa
	}
	a.head[order] = pa
	a.nfree[order]++
	m := a.metaPtr(pa)
	*m = *m&metaManaged | metaFree | uint8(order)
}

// unlink takes the free block at pa off list order and clears its head bits.
func (a *Allocator) unlink(pa uintptr, order int) {
	l := linkAt(pa)
	if l.prev != none {
		linkAt(l.prev).next = l.next
	} else {
		a.head[order] = l.next
	}
	if l.next != none {
		linkAt(l.next).prev = l.prev
	}
	a.nfree[order]--
	m := a.metaPtr(pa)
	*m &= metaManaged
}

// release frees the block at pa of order, merging it with free buddies.
func (a *Allocator) release(pa uintptr, order int) {
	a.freePages += 1 << uint(order)
	for order < MaxOrder {
		buddy := pa ^ (mm.PageSize << uint(order))
		if !a.inRange(buddy) || *a.metaPtr(buddy) != metaManaged|metaFree|uint8(order) {
			break
		}
		a.unlink(buddy, order)
		if buddy < pa {
			m := a.metaPtr(pa)
			*m &= metaManaged
			pa = buddy
		}
		order++
	}
	a.push(pa, order)
}

// AddRange gives the pages of [start, end) to the allocator as free memory,
// merging them with free neighbours. The range is clipped to the allocator's
// range and shrunk inwards to whole pages. Pages already added are skipped,
// so overlapping calls are harmless. It returns the number of pages added.
func (a *Allocator) AddRange(start, end uintptr) uintptr {
	start, end = mm.PageUp(start), mm.PageDown(end)
	start, end = max(start, a.lo), min(end, a.hi)
	var added uintptr
	for pa := start; pa < end; {
		if *a.metaPtr(pa)&metaManaged != 0 {
			pa += mm.PageSize
			continue
		}
		run := pa
		for ; pa < end && *a.metaPtr(pa)&metaManaged == 0; pa += mm.PageSize {
			*a.metaPtr(pa) = metaManaged
		}
		added += a.addRun(run, pa)
	}
	return added
}

// addRun frees the freshly managed pages [s, e) as maximal aligned blocks.
func (a *Allocator) addRun(s, e uintptr) uintptr {
	n := (e - s) >> mm.PageShift
	for s < e {
		k := 0
		for k < MaxOrder && s&(mm.PageSize<<uint(k+1)-1) == 0 && s+mm.PageSize<<uint(k+1) <= e {
			k++
		}
		a.total += 1 << uint(k)
		a.release(s, k)
		s += mm.PageSize << uint(k)
	}
	return n
}

// Alloc returns the physical address of 2^order free contiguous pages,
// aligned to their size. ok is false if order is out of range or no block is
// large enough. The memory is not cleared; see [Allocator.AllocZeroed].
func (a *Allocator) Alloc(order int) (pa uintptr, ok bool) {
	if order < 0 || order > MaxOrder {
		return 0, false
	}
	j := order
	for j <= MaxOrder && a.head[j] == none {
		j++
	}
	if j > MaxOrder {
		return 0, false
	}
	pa = a.head[j]
	a.unlink(pa, j)
	for j > order {
		j--
		a.push(pa+mm.PageSize<<uint(j), j)
	}
	m := a.metaPtr(pa)
	*m = metaManaged | metaAlloc | uint8(order)
	a.freePages -= 1 << uint(order)
	return pa, true
}

// AllocZeroed is [Allocator.Alloc] followed by clearing the block through
// the direct map.
func (a *Allocator) AllocZeroed(order int) (pa uintptr, ok bool) {
	pa, ok = a.Alloc(order)
	if ok {
		mm.Zero(mm.PhysToVirt(pa), mm.PageSize<<uint(order))
	}
	return pa, ok
}

// Free returns the block at pa, allocated by Alloc(order), merging it with
// its free buddies. It returns false, changing nothing, if pa is not the
// start of a block currently allocated with this order (a double free, a
// wrong order, a page that was never added).
func (a *Allocator) Free(pa uintptr, order int) bool {
	if order < 0 || order > MaxOrder || !a.inRange(pa) || pa&(mm.PageSize<<uint(order)-1) != 0 ||
		*a.metaPtr(pa) != metaManaged|metaAlloc|uint8(order) {
		a.badFrees++
		return false
	}
	*a.metaPtr(pa) = metaManaged
	a.release(pa, order)
	return true
}

// AllocTable returns one zeroed page. With [Allocator.FreeTable] it makes
// *Allocator a pagetable.FrameSource.
func (a *Allocator) AllocTable() (pa uintptr, ok bool) { return a.AllocZeroed(0) }

// FreeTable frees one page obtained from [Allocator.AllocTable]. A bad free
// is counted in [Allocator.BadFrees].
func (a *Allocator) FreeTable(pa uintptr) { a.Free(pa, 0) }

// FreePages returns the number of free pages.
func (a *Allocator) FreePages() uintptr { return a.freePages }

// TotalPages returns the number of pages given to the allocator by AddRange.
func (a *Allocator) TotalPages() uintptr { return a.total }

// FreeBlocks returns the number of free blocks of the given order.
func (a *Allocator) FreeBlocks(order int) uintptr {
	if order < 0 || order > MaxOrder {
		return 0
	}
	return a.nfree[order]
}

// BadFrees returns how many Free calls were refused.
func (a *Allocator) BadFrees() uint64 { return a.badFrees }

// Range returns the physical range the allocator covers.
func (a *Allocator) Range() (lo, hi uintptr) { return a.lo, a.hi }

// metaByte returns the metadata of the page at pa (for Check).
func (a *Allocator) metaByte(pa uintptr) uint8 { return *a.metaPtr(pa) }
