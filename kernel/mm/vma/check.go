package vma

import "fmt"

// Check verifies the tree's invariants: ordering and non-overlap, alignment,
// AVL balance and heights, the augmentation, that no two adjacent areas are
// left unmerged, and that every pool node is either in the tree or free.
//
// Check is for tests and debugging only: it allocates and uses fmt, so it
// must never be called in trap context.
func (t *Tree) Check() error {
	c := checker{t: t}
	if _, err := c.walk(t.root, 0); err != nil {
		return err
	}
	if c.nodes != t.count {
		return fmt.Errorf("vma: %d nodes in tree, count %d", c.nodes, t.count)
	}
	free := 0
	for i := t.free; i != 0; i = t.n(i).left {
		if i > t.fresh {
			return fmt.Errorf("vma: free node %d beyond fresh mark %d", i, t.fresh)
		}
		free++
		if free > int(t.cap) {
			return fmt.Errorf("vma: free list cycles")
		}
	}
	if c.nodes+free != int(t.fresh) {
		return fmt.Errorf("vma: %d in tree + %d free != %d used nodes (leak)", c.nodes, free, t.fresh)
	}
	return nil
}

type checker struct {
	t     *Tree
	nodes int
	prev  Area
	any   bool
}

// walk checks the subtree at i in order and returns its height.
func (c *checker) walk(i uint32, depth int) (int32, error) {
	if i == 0 {
		return 0, nil
	}
	if depth > maxHeight {
		return 0, fmt.Errorf("vma: tree deeper than %d", maxHeight)
	}
	if i > c.t.fresh {
		return 0, fmt.Errorf("vma: node index %d beyond fresh mark %d", i, c.t.fresh)
	}
	n := c.t.n(i)
	hl, err := c.walk(n.left, depth+1)
	if err != nil {
		return 0, err
	}
	a := n.area
	if !validRange(a.Start, a.End) {
		return 0, fmt.Errorf("vma: bad area [%#x, %#x)", a.Start, a.End)
	}
	if c.any {
		if c.prev.End > a.Start {
			return 0, fmt.Errorf("vma: [%#x, %#x) overlaps or precedes [%#x, %#x)", a.Start, a.End, c.prev.Start, c.prev.End)
		}
		if mergeable(c.prev, a) {
			return 0, fmt.Errorf("vma: [%#x, %#x) and [%#x, %#x) left unmerged", c.prev.Start, c.prev.End, a.Start, a.End)
		}
	}
	c.prev, c.any = a, true
	c.nodes++
	hr, err := c.walk(n.right, depth+1)
	if err != nil {
		return 0, err
	}
	if d := hl - hr; d < -1 || d > 1 {
		return 0, fmt.Errorf("vma: node [%#x, %#x) unbalanced: heights %d, %d", a.Start, a.End, hl, hr)
	}
	h := max(hl, hr) + 1
	if n.height != h {
		return 0, fmt.Errorf("vma: node [%#x, %#x) height %d; want %d", a.Start, a.End, n.height, h)
	}
	want := *n
	c.t.update(i) // recompute from children (already verified)
	if got := *n; got != want {
		*n = want
		return 0, fmt.Errorf("vma: node [%#x, %#x) augmentation min %#x max %#x gap %#x; want %#x %#x %#x",
			a.Start, a.End, want.minStart, want.maxEnd, want.maxGap, got.minStart, got.maxEnd, got.maxGap)
	}
	return h, nil
}
