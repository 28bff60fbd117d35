package core

import (
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/mm/pagetable"
	"unigo.dev/unigo/kernel/mm/vma"
)

// memUse is where guest RAM went, in KiB: what the out-of-memory message
// and the memory log (unigo.memlog) print. Walking the page tables is
// slow-ish, so it is computed only on those occasions.
type memUse struct {
	total, free   uint64
	program       uint64 // frames in the program's anonymous mappings: Go heap, stacks, demand-zero BSS
	kernelObjects uint64 // kmem: the kernel's small objects
	sockets       uint64 // socket byte rings
	threads       uint64 // kernel stacks
	other         uint64 // page tables, the VMA pool, drivers' queues and buffers, pipes
}

var walkedPages uint64

// countPage is a [pagetable.Table.Walk] callback (a top-level function, so
// that passing it allocates nothing on the fault path).
func countPage(va, pa uintptr, flags pagetable.PTE) {
	if flags&pagetable.Huge != 0 {
		walkedPages += 512
	} else {
		walkedPages++
	}
}

func memUsage() memUse {
	walkedPages = 0
	for a, ok := vmas.Next(0); ok; a, ok = vmas.Next(a.End) {
		if a.Flags&vma.Anonymous != 0 && a.Flags&vma.Kernel == 0 {
			kpt.Walk(a.Start, a.End, countPage)
		}
	}
	u := memUse{
		total:         uint64(frames.TotalPages() * 4),
		free:          uint64(frames.FreePages() * 4),
		program:       walkedPages * 4,
		kernelObjects: uint64(kmem.InUse() >> 10),
		threads:       uint64(nthreads) * kstackPages * 4,
	}
	u.sockets = socketRingKiB()
	used := u.total - u.free
	if known := u.program + u.kernelObjects + u.sockets + u.threads; known < used {
		u.other = used - known
	}
	return u
}

// log appends the breakdown to a log line.
func (u *memUse) log(l *klog.Msg) *klog.Msg {
	return l.S("program ").U(u.program).S(" KiB, socket rings ").U(u.sockets).S(" KiB, kernel stacks ").U(u.threads).
		S(" KiB, kernel objects ").U(u.kernelObjects).S(" KiB, other kernel ").U(u.other).S(" KiB, free ").U(u.free).S(" KiB")
}
