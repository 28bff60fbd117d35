// Package kmem is the kernel's small-object allocator: power-of-two size
// classes from 16 bytes to 2 KiB carved out of 4 KiB pages, larger requests
// served by whole pages. Objects are kernel virtual addresses (direct map)
// held as uintptr, so that kernel data structures built from them contain no
// Go pointers (ADR 0001): nothing here allocates from the Go heap, and every
// operation is usable in trap context.
//
// Freed objects go back to their class's free list; pages are never returned
// to the page allocator (a fixed, bounded waste).
//
// # Concurrency
//
// None inside: callers serialise (the kernel runs with interrupts off).
package kmem

import "unigo.dev/unigo/kernel/mm"

const (
	minShift = 4  // 16 bytes
	maxShift = 11 // 2 KiB
	classes  = maxShift - minShift + 1
)

// Pages is the page allocator kmem draws from: Alloc returns the physical
// address of 2^order zeroed contiguous pages.
type Pages interface {
	AllocZeroed(order int) (pa uintptr, ok bool)
	Free(pa uintptr, order int) bool
}

var (
	pages Pages
	free  [classes]uintptr // free-list heads (virtual addresses), 0 = empty

	// Stats.
	inUse    [classes]uintptr
	bigPages uintptr
)

// Init sets the page allocator. Call it once at boot, before the Go runtime
// starts (it stores an interface, a pointer-typed value).
func Init(p Pages) {
	pages = p
	free = [classes]uintptr{}
}

func class(n uintptr) int {
	c := 0
	for uintptr(1)<<(minShift+c) < n {
		c++
	}
	return c
}

func order(n uintptr) int {
	o := 0
	for uintptr(mm.PageSize)<<o < n {
		o++
	}
	return o
}

// Alloc returns n zeroed bytes at a kernel virtual address, or ok=false when
// memory is exhausted. n must be > 0.
func Alloc(n uintptr) (va uintptr, ok bool) {
	if n > 1<<maxShift {
		pa, ok := pages.AllocZeroed(order(n))
		if !ok {
			return 0, false
		}
		bigPages += 1 << order(n)
		return mm.PhysToVirt(pa), true
	}
	c := class(n)
	if free[c] == 0 {
		pa, ok := pages.AllocZeroed(0)
		if !ok {
			return 0, false
		}
		size := uintptr(1) << (minShift + c)
		base := mm.PhysToVirt(pa)
		for off := uintptr(mm.PageSize) - size; ; off -= size {
			*(*uintptr)(mm.Ptr(base + off)) = free[c]
			free[c] = base + off
			if off == 0 {
				break
			}
		}
	}
	va = free[c]
	free[c] = *(*uintptr)(mm.Ptr(va))
	*(*uintptr)(mm.Ptr(va)) = 0
	inUse[c]++
	return va, true
}

// Free returns an object of n bytes (the size given to Alloc).
func Free(va, n uintptr) {
	if va == 0 {
		return
	}
	if n > 1<<maxShift {
		pages.Free(mm.VirtToPhys(va), order(n))
		bigPages -= 1 << order(n)
		return
	}
	c := class(n)
	mm.Zero(va, uintptr(1)<<(minShift+c))
	*(*uintptr)(mm.Ptr(va)) = free[c]
	free[c] = va
	inUse[c]--
}

// Size returns the number of bytes Alloc(n) really reserves.
func Size(n uintptr) uintptr {
	if n > 1<<maxShift {
		return uintptr(mm.PageSize) << order(n)
	}
	return uintptr(1) << (minShift + class(n))
}

// InUse returns the bytes held by live objects.
func InUse() uintptr {
	var b uintptr
	for c, n := range inUse {
		b += n << (minShift + c)
	}
	return b + bigPages*mm.PageSize
}
