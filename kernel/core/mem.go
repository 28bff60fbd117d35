package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
	"unigo.dev/unigo/kernel/mm/pagetable"
	"unigo.dev/unigo/kernel/mm/vma"
)

// Address-space layout. The program and the kernel share one address space
// (ADR 0001); the kernel's own data outside the image lives in the direct map
// in the upper half.
const (
	directMapBase = 0xffff800000000000

	imageBase   = 0x400000       // where the Go linker puts the ELF headers and text
	userMin     = 0x10000        // mmap_min_addr
	userTop     = 0x7ffffffff000 // first address above the program's range
	mmapTop     = 0x7f0000000000 // top of the top-down mmap area
	stackTop    = 0x7ffffffde000 // initial stack of the main thread
	stackSize   = 8 << 20        // its reservation (demand paged)
	stackCommit = 64 << 10       // committed eagerly below stackTop
	lapicPhys   = 0xFEE00000
	ioapicPhys  = 0xFEC00000
	gedPhys     = 0xFEA00000 // QEMU microvm's ACPI generic event device
	vmaNodes    = 2048

	// imageFlags mark the mappings of the loaded image.
	imageFlags = vma.Private | vma.Locked
)

var (
	frames   buddy.Allocator
	kpt      pagetable.Table
	vmas     vma.Tree
	imageEnd uintptr // end of the loaded image (page aligned)

	// Boot-time bump allocator for page tables and allocator metadata, used
	// before the buddy allocator exists; identity mapped while active.
	bump struct {
		active     bool
		start, cur uintptr
		end        uintptr
	}
)

// frameSrc feeds page-table frames to package pagetable: from the bump
// region during boot, from the buddy allocator afterwards.
type frameSrc struct{}

func (frameSrc) AllocTable() (uintptr, bool) {
	if bump.active {
		return bumpAlloc(mm.PageSize)
	}
	return frames.AllocZeroed(0)
}

func (frameSrc) FreeTable(pa uintptr) {
	if !bump.active {
		frames.Free(pa, 0)
	}
}

func bumpAlloc(size uintptr) (uintptr, bool) {
	size = mm.PageUp(size)
	if bump.cur+size > bump.end {
		return 0, false
	}
	pa := bump.cur
	bump.cur += size
	mm.Zero(mm.PhysToVirt(pa), size)
	return pa, true
}

// elfSegment is one PT_LOAD program header of the running image.
type elfSegment struct {
	vaddr, memsz uintptr
	flags        uint32 // PF_X=1, PF_W=2, PF_R=4
}

// imageSegments reads the program headers of the running image, which the
// Go linker places in the first loaded page at imageBase.
func imageSegments(out *[8]elfSegment) int {
	phoff := *(*uint64)(mm.Ptr(imageBase + 0x20))
	phentsize := uintptr(*(*uint16)(mm.Ptr(imageBase + 0x36)))
	phnum := int(*(*uint16)(mm.Ptr(imageBase + 0x38)))
	n := 0
	for i := 0; i < phnum && n < len(out); i++ {
		ph := imageBase + uintptr(phoff) + uintptr(i)*phentsize
		if *(*uint32)(mm.Ptr(ph)) != 1 { // PT_LOAD
			continue
		}
		out[n] = elfSegment{
			vaddr: uintptr(*(*uint64)(mm.Ptr(ph + 16))),
			memsz: uintptr(*(*uint64)(mm.Ptr(ph + 40))),
			flags: *(*uint32)(mm.Ptr(ph + 4)),
		}
		n++
	}
	return n
}

// initMemory builds the kernel's page tables (W^X image mapping, direct map
// of RAM, device pages), switches to them, and hands free RAM to the buddy
// allocator. Runs on the boot stack with the early identity mapping.
func initMemory() {
	var segs [8]elfSegment
	nseg := imageSegments(&segs)
	for i := 0; i < nseg; i++ {
		if e := mm.PageUp(segs[i].vaddr + segs[i].memsz); e > imageEnd {
			imageEnd = e
		}
	}

	// RAM bounds and the bump region right after the image.
	var lo, hi uintptr = ^uintptr(0), 0
	for i := 0; i < boot.NMem; i++ {
		r := &boot.Mem[i]
		if r.Kind != ramKind {
			continue
		}
		if r.Start < lo {
			lo = r.Start
		}
		if r.End > hi {
			hi = r.End
		}
	}
	lo = mm.PageUp(lo)
	hi = mm.PageDown(hi)
	metaSize := mm.PageUp(buddy.MetaSize(lo, hi))
	bump.start = imageEnd
	bump.cur = imageEnd
	bump.end = imageEnd + metaSize + (hi>>30+64)*mm.PageSize
	bump.active = true
	if !ramCovers(bump.start, bump.end) {
		fatal("mm: no RAM after the kernel image for boot page tables")
	}
	metaPA, _ := bumpAlloc(metaSize)

	pt, ok := pagetable.New(frameSrc{})
	if !ok {
		fatal("mm: out of boot frames")
	}
	kpt = pt

	// The image: text read-execute, rodata read-only, data read-write, NX.
	for i := 0; i < nseg; i++ {
		s := segs[i]
		flags := pagetable.Present | pagetable.Global
		if s.flags&2 != 0 {
			flags |= pagetable.Writable
		}
		if s.flags&1 == 0 && amd64.Features.NX {
			flags |= pagetable.NoExecute
		}
		start := mm.PageDown(s.vaddr)
		end := mm.PageUp(s.vaddr + s.memsz)
		if err := kpt.MapRange(start, start, end-start, flags); err != pagetable.OK {
			fatal("mm: mapping the image failed")
		}
	}

	// Direct map of RAM and firmware tables: read-write, never executable.
	dflags := pagetable.Present | pagetable.Writable | pagetable.Global
	if amd64.Features.NX {
		dflags |= pagetable.NoExecute
	}
	for i := 0; i < boot.NMem; i++ {
		r := &boot.Mem[i]
		if r.Kind != ramKind && r.Kind != acpiKind && r.Kind != nvsKind {
			continue
		}
		s := r.Start &^ (2<<20 - 1)
		e := (r.End + 2<<20 - 1) &^ (2<<20 - 1)
		for a := s; a < e; a += 2 << 20 {
			if _, _, mapped := kpt.Lookup(directMapBase + a); mapped {
				continue
			}
			if err := kpt.MapHuge(directMapBase+a, a, dflags); err != pagetable.OK {
				fatal("mm: building the direct map failed")
			}
		}
	}
	// Local APIC, I/O APIC and GED registers, uncached.
	for _, pa := range [...]uintptr{lapicPhys, ioapicPhys, gedPhys, virtioMMIOBase, virtioMMIOBase + 4096} {
		if err := kpt.Map(directMapBase+pa, pa, dflags|pagetable.CacheDisable|pagetable.WriteThrough); err != pagetable.OK && err != pagetable.ErrExists {
			fatal("mm: mapping APIC registers failed")
		}
	}

	amd64.WriteCR3(kpt.Root)
	mm.DirectMap = directMapBase
	bump.active = false

	// The buddy allocator gets all RAM except low memory, the image, the
	// boot region and boot modules.
	frames.Init(lo, hi, mm.PhysToVirt(metaPA))
	free := boot // a copy: punch holes for what is in use
	free.Reserve(0, 1<<20)
	free.Reserve(imageBase, imageEnd)
	free.Reserve(bump.start, bump.cur)
	for i := 0; i < boot.NMods; i++ {
		free.Reserve(mm.PageDown(boot.Mods[i].Start), mm.PageUp(boot.Mods[i].End))
	}
	free.UsableRAM(func(start, end uintptr) { frames.AddRange(start, end) })

	// The program's address space.
	poolPages := mm.PageUp(vmaNodes*vma.NodeSize) / mm.PageSize
	poolPA, ok := allocPages(poolPages)
	if !ok {
		fatal("mm: no memory for the VMA pool")
	}
	vmas.Init(mm.PhysToVirt(poolPA), vmaNodes)
	// The image is the program's and the kernel's at once: its segments are
	// ordinary mappings for pointer checks, locked against munmap and
	// mprotect.
	for i := 0; i < nseg; i++ {
		s := segs[i]
		prot := vma.ProtRead
		if s.flags&2 != 0 {
			prot |= vma.ProtWrite
		}
		if s.flags&1 != 0 {
			prot |= vma.ProtExec
		}
		vmas.Insert(vma.Area{Start: mm.PageDown(s.vaddr), End: mm.PageUp(s.vaddr + s.memsz), Prot: prot, Flags: imageFlags})
	}

	klog.Info("mm").S("RAM ").U(uint64(frames.TotalPages() * 4)).S(" KiB, free ").
		U(uint64(frames.FreePages() * 4)).S(" KiB, image ").X(uint64(imageBase)).S("-").X(uint64(imageEnd)).End()
}

func ramCovers(start, end uintptr) bool {
	for i := 0; i < boot.NMem; i++ {
		r := &boot.Mem[i]
		if r.Kind == ramKind && r.Start <= start && end <= r.End {
			return true
		}
	}
	return false
}

// allocPages allocates n contiguous zeroed pages (rounded up to a power of
// two) and returns the physical address.
func allocPages(n uintptr) (uintptr, bool) {
	order := 0
	for uintptr(1)<<order < n {
		order++
	}
	return frames.AllocZeroed(order)
}

func freePages(pa, n uintptr) {
	order := 0
	for uintptr(1)<<order < n {
		order++
	}
	frames.Free(pa, order)
}

// kptr converts a direct-map address into a typed pointer target.
func kptr(va uintptr) unsafe.Pointer { return mm.Ptr(va) }

// bssEnd returns the address of the linker's runtime.end: the end of the
// program's BSS, whatever the image's program headers say.
func bssEnd() uintptr

// pfRootfs marks the image's rootfs segment (an OS-specific p_flags bit,
// fs.go unpacks it).
const pfRootfs = 0x00100000

// mapDemandZeroBSS maps the part of the program's BSS that the image does
// not load as anonymous demand-zero memory: the host tool shortens the
// writable segment's p_memsz to leave the large zero-initialised objects at
// the end of .noptrbss out of guest RAM (internal/pvh/bss.go, ADR 0011), and
// their pages get frames when first touched, like an mmap'd region. It runs
// after the root file system archive, which the image builder places right
// after the loaded segments (in the same virtual range), has been unpacked
// and unmapped, and before the Go runtime starts. The physical range the BSS
// would have taken is ordinary free RAM for the buddy allocator.
func mapDemandZeroBSS() {
	end := mm.PageUp(bssEnd())
	var segs [8]elfSegment
	nseg := imageSegments(&segs)
	loaded := uintptr(0)
	for i := 0; i < nseg; i++ {
		s := segs[i]
		if s.flags&pfRootfs == 0 && s.flags&2 != 0 && s.vaddr < end {
			loaded = max(loaded, mm.PageUp(s.vaddr+s.memsz))
		}
	}
	if loaded == 0 || loaded >= end {
		return // the whole BSS is loaded
	}
	if err := vmas.Insert(vma.Area{Start: loaded, End: end, Prot: vma.ProtRead | vma.ProtWrite,
		Flags: vma.Anonymous | imageFlags}); err != vma.OK {
		fatal("mm: the demand-zero BSS overlaps another mapping")
	}
	for a := loaded; a < end; a += mm.PageSize {
		if _, _, present := kpt.Lookup(a); present {
			fatal("mm: a page of the demand-zero BSS is still mapped")
		}
	}
	klog.Info("mm").S("demand-zero BSS ").X(uint64(loaded)).S("-").X(uint64(end)).S(" (").
		U(uint64((end - loaded) >> 10)).S(" KiB not loaded)").End()
}
