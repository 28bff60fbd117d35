// Package vma keeps a process's virtual memory areas: non-overlapping,
// page-aligned ranges [Start, End) with protection and flags, as Linux's
// mmap, munmap and mprotect see them.
//
// # Structure
//
// Areas live in an AVL tree keyed by Start. Every node is augmented with its
// subtree's lowest Start, highest End and largest free gap between two
// areas of the subtree (Linux's rb_subtree_gap), so [Tree.FindFree] finds a
// hole of a given size in O(log n) and [Tree.Find] and [Tree.Next] are
// ordinary O(log n) descents.
//
// Nodes come from a fixed pool of memory that the caller hands to
// [Tree.Init] ([NodeSize] bytes per node, usually from the frame allocator
// through the direct map). Nodes link by uint32 index (0 is nil), and free
// nodes sit on an index free list, so the tree holds no Go pointers and no
// operation after Init allocates: all of it is usable in trap context.
//
// Adjacent areas with the same Prot, Flags and Tag (and, for file mappings,
// contiguous offsets) are merged after Insert and Protect, because the Go
// runtime makes many adjacent mappings.
//
// # Concurrency
//
// None inside. Callers serialise access to a Tree.
package vma

import (
	"unsafe"

	"unigo.dev/unigo/kernel/mm"
)

// Prot is a memory protection, with Linux's PROT_* values.
type Prot uint8

// Protection bits (include/uapi/asm-generic/mman-common.h).
const (
	ProtNone  Prot = 0
	ProtRead  Prot = 1 // PROT_READ
	ProtWrite Prot = 2 // PROT_WRITE
	ProtExec  Prot = 4 // PROT_EXEC
)

// Flags describe what backs an area and how it behaves. They are the
// kernel's own bits, not Linux MAP_* values.
type Flags uint16

const (
	// Anonymous areas are backed by zero-filled memory, not a file; Off is
	// meaningless for them.
	Anonymous Flags = 1 << iota
	// Private areas are copy-on-write (MAP_PRIVATE).
	Private
	// Shared areas are shared with other mappings of the same object
	// (MAP_SHARED).
	Shared
	// Stack marks a thread stack (MAP_STACK); informational.
	Stack
	// GrowsDown areas may be extended downwards by a fault just below them
	// (MAP_GROWSDOWN).
	GrowsDown
	// NoReserve areas do not count against the commit limit
	// (MAP_NORESERVE); the Go runtime's PROT_NONE reservations.
	NoReserve
	// Kernel areas belong to the kernel (its image, the direct map, kernel
	// stacks); the syscall layer must refuse munmap and mprotect on them
	// (the tree itself enforces no flag).
	Kernel
	// Populate asks for the area to be backed eagerly (MAP_POPULATE).
	Populate
	// Locked areas must stay resident (MAP_LOCKED, mlock).
	Locked
)

// Area is one mapping [Start, End).
type Area struct {
	Start, End uintptr
	Prot       Prot
	Flags      Flags
	Tag        uint16  // free for the caller (e.g. which object backs the area)
	Off        uintptr // offset of Start in the backing file; unused for now
}

// Len returns End - Start.
func (a Area) Len() uintptr { return a.End - a.Start }

// Err is a result code. OK is success.
type Err uint8

const (
	OK           Err = iota
	ErrInvalid       // empty, unaligned or wrapping range, or a bad argument
	ErrOverlap       // the new area overlaps an existing one
	ErrNoMem         // the node pool is exhausted
	ErrNoMapping     // part of the range is not mapped (mprotect's ENOMEM)
)

var errText = [...]string{
	OK:           "ok",
	ErrInvalid:   "vma: invalid range",
	ErrOverlap:   "vma: range overlaps an existing area",
	ErrNoMem:     "vma: out of nodes",
	ErrNoMapping: "vma: range not fully mapped",
}

// Error returns a constant description of e; it does not allocate.
func (e Err) Error() string {
	if int(e) < len(errText) {
		return errText[e]
	}
	return "vma: unknown error"
}

// node is one tree node as stored in the pool.
type node struct {
	area        Area
	minStart    uintptr // lowest Start in the subtree
	maxEnd      uintptr // highest End in the subtree
	maxGap      uintptr // largest gap between consecutive areas of the subtree
	left, right uint32  // child indices; left doubles as the free-list link
	height      int32
}

// NodeSize is the pool memory one node takes.
const NodeSize = unsafe.Sizeof(node{})

// maxHeight bounds the AVL height for 2^32 nodes (1.44·log2 n + 2).
const maxHeight = 48

// Tree is a set of non-overlapping areas. The zero value is an empty tree
// with no pool; call [Tree.Init].
type Tree struct {
	pool  uintptr // virtual address of node 1
	cap   uint32
	root  uint32
	free  uint32 // head of the free-node list
	fresh uint32 // nodes above this index have never been used
	count int
	gen   uint64 // bumped by every change (Insert, Remove, Protect)
}

// Init makes t an empty tree whose nodes live in the capacity*NodeSize
// bytes at virtual address pool. The memory need not be zeroed; t owns it.
func (t *Tree) Init(pool uintptr, capacity int) {
	capacity = min(max(capacity, 0), 1<<32-1)
	*t = Tree{pool: pool, cap: uint32(capacity)}
}

// Count returns the number of areas.
func (t *Tree) Count() int { return t.count }

// Gen returns a number that changes whenever the areas may have changed:
// an [Area] found earlier is still current while Gen is unchanged.
func (t *Tree) Gen() uint64 { return t.gen }

// Capacity returns the number of nodes in the pool.
func (t *Tree) Capacity() int { return int(t.cap) }

func (t *Tree) n(i uint32) *node {
	return (*node)(mm.Ptr(t.pool + uintptr(i-1)*NodeSize))
}

func (t *Tree) alloc() (uint32, bool) {
	if t.free != 0 {
		i := t.free
		t.free = t.n(i).left
		return i, true
	}
	if t.fresh < t.cap {
		t.fresh++
		return t.fresh, true
	}
	return 0, false
}

func (t *Tree) release(i uint32) {
	t.n(i).left = t.free
	t.free = i
}

// canAlloc reports whether k nodes are available.
func (t *Tree) canAlloc(k int) bool {
	avail := int(t.cap - t.fresh)
	for i := t.free; i != 0 && avail < k; i = t.n(i).left {
		avail++
	}
	return avail >= k
}

func (t *Tree) height(i uint32) int32 {
	if i == 0 {
		return 0
	}
	return t.n(i).height
}

// update recomputes n's height and augmentation from its children.
func (t *Tree) update(i uint32) {
	n := t.n(i)
	n.minStart, n.maxEnd, n.maxGap, n.height = n.area.Start, n.area.End, 0, 1
	if n.left != 0 {
		l := t.n(n.left)
		n.minStart = l.minStart
		n.maxGap = max(l.maxGap, n.area.Start-l.maxEnd)
		n.height = l.height + 1
	}
	if n.right != 0 {
		r := t.n(n.right)
		n.maxEnd = r.maxEnd
		n.maxGap = max(n.maxGap, r.maxGap, r.minStart-n.area.End)
		n.height = max(n.height, r.height+1)
	}
}

func (t *Tree) rotateLeft(i uint32) uint32 {
	n := t.n(i)
	r := n.right
	n.right = t.n(r).left
	t.n(r).left = i
	t.update(i)
	t.update(r)
	return r
}

func (t *Tree) rotateRight(i uint32) uint32 {
	n := t.n(i)
	l := n.left
	n.left = t.n(l).right
	t.n(l).right = i
	t.update(i)
	t.update(l)
	return l
}

// balance updates i and restores the AVL property at it, returning the
// subtree's new root.
func (t *Tree) balance(i uint32) uint32 {
	t.update(i)
	n := t.n(i)
	switch bf := t.height(n.left) - t.height(n.right); {
	case bf > 1:
		l := t.n(n.left)
		if t.height(l.left) < t.height(l.right) {
			n.left = t.rotateLeft(n.left)
		}
		return t.rotateRight(i)
	case bf < -1:
		r := t.n(n.right)
		if t.height(r.right) < t.height(r.left) {
			n.right = t.rotateRight(n.right)
		}
		return t.rotateLeft(i)
	}
	return i
}

// path records a root-to-node descent so that changes can be rebalanced
// and re-augmented bottom-up without parent links.
type path struct {
	idx   [maxHeight]uint32
	right [maxHeight]bool // whether idx[k+1] is the right child of idx[k]
	depth int
}

func (p *path) push(i uint32, right bool) {
	p.idx[p.depth] = i
	p.right[p.depth] = right
	p.depth++
}

// fix rebalances every node on p bottom-up, relinking rotated subtrees.
func (t *Tree) fix(p *path) {
	for k := p.depth - 1; k >= 0; k-- {
		sub := t.balance(p.idx[k])
		switch {
		case k == 0:
			t.root = sub
		case p.right[k-1]:
			t.n(p.idx[k-1]).right = sub
		default:
			t.n(p.idx[k-1]).left = sub
		}
	}
}

// lookup descends to the node whose area starts at start, recording the path
// (including the node itself, last). It returns 0 if there is none.
func (t *Tree) lookup(start uintptr, p *path) uint32 {
	p.depth = 0
	for i := t.root; i != 0; {
		n := t.n(i)
		switch {
		case start < n.area.Start:
			p.push(i, false)
			i = n.left
		case start > n.area.Start:
			p.push(i, true)
			i = n.right
		default:
			p.push(i, false)
			return i
		}
	}
	return 0
}

// insertNode links the free node i (area already set) into the tree.
func (t *Tree) insertNode(i uint32) {
	n := t.n(i)
	n.left, n.right = 0, 0
	var p path
	for j := t.root; j != 0; {
		right := n.area.Start > t.n(j).area.Start
		p.push(j, right)
		if right {
			j = t.n(j).right
		} else {
			j = t.n(j).left
		}
	}
	t.update(i)
	switch {
	case p.depth == 0:
		t.root = i
	case p.right[p.depth-1]:
		t.n(p.idx[p.depth-1]).right = i
	default:
		t.n(p.idx[p.depth-1]).left = i
	}
	t.fix(&p)
	t.count++
}

// deleteAt removes the node whose area starts at start. It reports whether
// there was one.
func (t *Tree) deleteAt(start uintptr) bool {
	var p path
	i := t.lookup(start, &p)
	if i == 0 {
		return false
	}
	n := t.n(i)
	victim := i
	if n.left != 0 && n.right != 0 {
		// Move the successor's area here and unlink the successor instead.
		p.right[p.depth-1] = true
		s := n.right
		for t.n(s).left != 0 {
			p.push(s, false)
			s = t.n(s).left
		}
		p.push(s, false)
		n.area = t.n(s).area
		victim = s
	}
	v := t.n(victim)
	child := v.left
	if child == 0 {
		child = v.right
	}
	p.depth-- // drop the victim
	switch {
	case p.depth == 0:
		t.root = child
	case p.right[p.depth-1]:
		t.n(p.idx[p.depth-1]).right = child
	default:
		t.n(p.idx[p.depth-1]).left = child
	}
	t.fix(&p)
	t.release(victim)
	t.count--
	return true
}

// setBounds changes the bounds (and offset) of the area starting at start.
// The new bounds must keep the tree ordered and non-overlapping.
func (t *Tree) setBounds(start, newStart, newEnd, newOff uintptr) {
	var p path
	i := t.lookup(start, &p)
	if i == 0 {
		return
	}
	a := &t.n(i).area
	a.Start, a.End, a.Off = newStart, newEnd, newOff
	for k := p.depth - 1; k >= 0; k-- {
		t.update(p.idx[k])
	}
}

// Find returns the area containing addr.
func (t *Tree) Find(addr uintptr) (Area, bool) {
	for i := t.root; i != 0; {
		n := t.n(i)
		switch {
		case addr < n.area.Start:
			i = n.left
		case addr >= n.area.End:
			i = n.right
		default:
			return n.area, true
		}
	}
	return Area{}, false
}

// Next returns the lowest area with End > addr: the area containing addr or
// else the first one above it. Iterate with a, ok = t.Next(a.End).
func (t *Tree) Next(addr uintptr) (Area, bool) {
	var best uint32
	for i := t.root; i != 0; {
		n := t.n(i)
		if n.area.End > addr {
			best = i
			i = n.left
		} else {
			i = n.right
		}
	}
	if best == 0 {
		return Area{}, false
	}
	return t.n(best).area, true
}

// Overlaps reports whether any area intersects [start, end).
func (t *Tree) Overlaps(start, end uintptr) bool {
	a, ok := t.Next(start)
	return ok && a.Start < end && start < end
}

// validRange reports whether [start, end) is non-empty and page aligned.
func validRange(start, end uintptr) bool {
	return start < end && mm.PageAligned(start) && mm.PageAligned(end)
}

// mergeable reports whether b can be appended to a into one area.
func mergeable(a, b Area) bool {
	return a.End == b.Start && a.Prot == b.Prot && a.Flags == b.Flags && a.Tag == b.Tag &&
		(a.Flags&Anonymous != 0 || a.Off+a.Len() == b.Off)
}

// Insert adds area a, merging it with compatible neighbours. It fails with
// ErrInvalid for an empty or unaligned range, ErrOverlap if a intersects an
// existing area, and ErrNoMem if a needs a node and the pool is empty; on
// failure the tree is unchanged.
func (t *Tree) Insert(a Area) Err {
	t.gen++
	if !validRange(a.Start, a.End) {
		return ErrInvalid
	}
	if t.Overlaps(a.Start, a.End) {
		return ErrOverlap
	}
	pred, hasPred := Area{}, false
	if a.Start > 0 {
		pred, hasPred = t.Find(a.Start - 1)
	}
	succ, hasSucc := t.Find(a.End)
	switch {
	case hasPred && mergeable(pred, a):
		end := a.End
		if hasSucc && mergeable(Area{Start: pred.Start, End: a.End, Prot: a.Prot, Flags: a.Flags, Tag: a.Tag, Off: pred.Off}, succ) {
			t.deleteAt(succ.Start)
			end = succ.End
		}
		t.setBounds(pred.Start, pred.Start, end, pred.Off)
	case hasSucc && mergeable(a, succ):
		t.setBounds(succ.Start, a.Start, succ.End, a.Off)
	default:
		i, ok := t.alloc()
		if !ok {
			return ErrNoMem
		}
		t.n(i).area = a
		t.insertNode(i)
	}
	return OK
}

// split cuts the area containing addr in two at addr, if addr lies strictly
// inside one. It needs a free node when it splits.
func (t *Tree) split(addr uintptr) Err {
	a, ok := t.Find(addr)
	if !ok || a.Start == addr {
		return OK
	}
	i, ok := t.alloc()
	if !ok {
		return ErrNoMem
	}
	t.setBounds(a.Start, a.Start, addr, a.Off)
	hi := a
	hi.Start, hi.Off = addr, a.Off+(addr-a.Start)
	t.n(i).area = hi
	t.insertNode(i)
	return OK
}

// Remove unmaps [start, end): areas inside it are deleted and areas crossing
// its edges are trimmed, an area covering it on both sides split in two.
// Holes are skipped, as munmap does. ErrNoMem (tree unchanged) only when a
// split needs a node and none is free.
func (t *Tree) Remove(start, end uintptr) Err {
	t.gen++
	if !validRange(start, end) {
		return ErrInvalid
	}
	if a, ok := t.Find(start); ok && a.Start < start && a.End > end {
		if !t.canAlloc(1) {
			return ErrNoMem
		}
		t.split(end) // cannot fail now
	}
	for {
		a, ok := t.Next(start)
		if !ok || a.Start >= end {
			return OK
		}
		switch {
		case a.Start < start:
			t.setBounds(a.Start, a.Start, start, a.Off)
		case a.End > end:
			t.setBounds(a.Start, end, a.End, a.Off+(end-a.Start))
			return OK
		default:
			t.deleteAt(a.Start)
		}
	}
}

// Protect sets the protection of [start, end) to p, splitting areas that
// cross its edges and merging the result with compatible neighbours. The
// whole range must be mapped: otherwise it returns ErrNoMapping (Linux's
// mprotect ENOMEM) and changes nothing. ErrNoMem (tree unchanged) when
// splits need nodes and the pool has too few.
func (t *Tree) Protect(start, end uintptr, p Prot) Err {
	t.gen++
	if !validRange(start, end) {
		return ErrInvalid
	}
	first, ok := t.Find(start)
	if !ok {
		return ErrNoMapping
	}
	last := first
	for last.End < end {
		next, ok := t.Find(last.End)
		if !ok {
			return ErrNoMapping
		}
		last = next
	}
	need := 0
	if first.Start < start && first.Prot != p {
		need++
	}
	if last.End > end && last.Prot != p {
		need++
	}
	if !t.canAlloc(need) {
		return ErrNoMem
	}
	if first.Prot != p {
		t.split(start)
	}
	if last.Prot != p {
		t.split(end)
	}
	for addr := start; addr < end; {
		var q path
		a, _ := t.Find(addr)
		i := t.lookup(a.Start, &q)
		t.n(i).area.Prot = p // Prot is not part of the augmentation
		addr = a.End
	}
	t.mergeRange(start, end)
	return OK
}

// mergeRange merges compatible neighbours among the areas that touch
// [start, end], including the ones adjacent to it.
func (t *Tree) mergeRange(start, end uintptr) {
	from := start
	if from > 0 {
		from--
	}
	cur, ok := t.Next(from)
	for ok && cur.Start <= end {
		next, ok2 := t.Next(cur.End)
		if !ok2 {
			return
		}
		if mergeable(cur, next) {
			t.deleteAt(next.Start)
			t.setBounds(cur.Start, cur.Start, next.End, cur.Off)
			cur.End = next.End
			continue
		}
		cur, ok = next, true
	}
}

// fitUp returns the lowest address a, aligned to align, with
// [a, a+length) inside both [gs, ge) and [lo, hi).
func fitUp(gs, ge, length, align, lo, hi uintptr) (uintptr, bool) {
	s, e := max(gs, lo), min(ge, hi)
	a := (s + align - 1) &^ (align - 1)
	if a < s || a > e || e-a < length {
		return 0, false
	}
	return a, true
}

// fitDown returns the highest such address.
func fitDown(gs, ge, length, align, lo, hi uintptr) (uintptr, bool) {
	s, e := max(gs, lo), min(ge, hi)
	if e < s || e-s < length {
		return 0, false
	}
	a := (e - length) &^ (align - 1)
	if a < s {
		return 0, false
	}
	return a, true
}

// FindFree returns the lowest (or, with topDown, the highest) address a,
// a multiple of align, such that [a, a+length) lies within [lo, hi) and
// intersects no area. align 0 means the page size; otherwise it must be a
// power of two no smaller than a page. length must be a positive multiple
// of the page size. It takes O(log n) steps plus one for every gap that is
// large enough but rejected by alignment or bounds.
func (t *Tree) FindFree(length, align, lo, hi uintptr, topDown bool) (uintptr, bool) {
	if align == 0 {
		align = mm.PageSize
	}
	if length == 0 || !mm.PageAligned(length) || align&(align-1) != 0 || align < mm.PageSize || lo >= hi {
		return 0, false
	}
	if topDown {
		return t.findDown(length, align, lo, hi)
	}
	return t.findUp(length, align, lo, hi)
}

// findUp visits the gaps in ascending order, skipping subtrees that lie
// below lo or whose inner gaps are all too small (the gap in front of a
// skipped subtree is still tried).
func (t *Tree) findUp(length, align, lo, hi uintptr) (uintptr, bool) {
	var stack [maxHeight]uint32
	sp := 0
	prevEnd := lo // End of the last area visited; gaps start there
	i := t.root
	for {
		for i != 0 {
			n := t.n(i)
			if n.minStart >= hi {
				// Everything from here on starts at or above hi.
				return fitUp(prevEnd, n.minStart, length, align, lo, hi)
			}
			if n.maxEnd <= lo || n.maxGap < length {
				if a, ok := fitUp(prevEnd, n.minStart, length, align, lo, hi); ok {
					return a, true
				}
				prevEnd = max(prevEnd, n.maxEnd)
				i = 0
				break
			}
			stack[sp] = i
			sp++
			i = n.left
		}
		if sp == 0 {
			break
		}
		sp--
		n := t.n(stack[sp])
		if a, ok := fitUp(prevEnd, n.area.Start, length, align, lo, hi); ok {
			return a, true
		}
		prevEnd = max(prevEnd, n.area.End)
		if prevEnd >= hi {
			return 0, false
		}
		i = n.right
	}
	return fitUp(prevEnd, hi, length, align, lo, hi)
}

// findDown is findUp mirrored: gaps in descending order.
func (t *Tree) findDown(length, align, lo, hi uintptr) (uintptr, bool) {
	var stack [maxHeight]uint32
	sp := 0
	nextStart := hi // Start of the last area visited; gaps end there
	i := t.root
	for {
		for i != 0 {
			n := t.n(i)
			if n.maxEnd <= lo {
				return fitDown(n.maxEnd, nextStart, length, align, lo, hi)
			}
			if n.minStart >= hi || n.maxGap < length {
				if a, ok := fitDown(n.maxEnd, nextStart, length, align, lo, hi); ok {
					return a, true
				}
				nextStart = min(nextStart, n.minStart)
				i = 0
				break
			}
			stack[sp] = i
			sp++
			i = n.right
		}
		if sp == 0 {
			break
		}
		sp--
		n := t.n(stack[sp])
		if a, ok := fitDown(n.area.End, nextStart, length, align, lo, hi); ok {
			return a, true
		}
		nextStart = min(nextStart, n.area.Start)
		if nextStart <= lo {
			return 0, false
		}
		i = n.left
	}
	return fitDown(lo, nextStart, length, align, lo, hi)
}
