package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/vma"
)

// userRange reports whether [addr, addr+n) lies in program mappings that
// allow the access. Syscalls check user pointers with it before touching
// them, so a bad pointer gives EFAULT instead of a kernel fault; pages that
// are not yet present are filled in by the page-fault handler.
func userRange(addr, n uintptr, write bool) bool {
	if n == 0 {
		return true
	}
	end := addr + n
	if end < addr || addr < userMin || end > userTop {
		return false
	}
	h := &userHint
	if addr >= h.start && end <= h.end && h.gen == vmas.Gen() && (!write || h.writable) {
		return true // within the area the last check found
	}
	for a := addr; a < end; {
		area, ok := vmas.Find(a)
		if !ok || area.Flags&vma.Kernel != 0 || area.Prot&vma.ProtRead == 0 {
			return false
		}
		if write && area.Prot&vma.ProtWrite == 0 {
			return false
		}
		*h = userAreaHint{start: area.Start, end: area.End, gen: vmas.Gen(), writable: area.Prot&vma.ProtWrite != 0}
		a = area.End
	}
	return true
}

// userHint is the last program area userRange found readable (a system
// call's buffers are mostly in one or two areas: the heap, a stack); it
// is current while vmas.Gen is unchanged. Scalars only (trap path).
var userHint userAreaHint

type userAreaHint struct {
	start, end uintptr
	gen        uint64
	writable   bool
}

// userBytes returns the program memory [addr, addr+n) as a slice after
// checking it; nil, false on a bad pointer.
func userBytes(addr, n uintptr, write bool) ([]byte, bool) {
	// userRange's hint test, repeated here to save a call on the path of
	// every read and write.
	h := &userHint
	if end := addr + n; n != 0 && addr >= h.start && end <= h.end && end >= addr && h.gen == vmas.Gen() && (!write || h.writable) {
		return unsafe.Slice((*byte)(kptr(addr)), n), true
	}
	if !userRange(addr, n, write) {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return unsafeSlice(addr, n), true
}

func protFromLinux(p uintptr) vma.Prot { return vma.Prot(p & 7) }

// unmapPages frees the frames backing [start, end) and drops their PTEs.
func unmapPages(start, end uintptr) {
	kpt.UnmapRange(start, end, func(pa, size uintptr) {
		freePages(pa, size/mm.PageSize)
	})
	flushRange(start, end)
}

func flushRange(start, end uintptr) {
	if end-start > 64*mm.PageSize {
		amd64.WriteCR3(amd64.ReadCR3())
		return
	}
	for a := start; a < end; a += mm.PageSize {
		amd64.Invlpg(a)
	}
}

// sysMmap implements Linux syscall mmap(2) for anonymous memory.
func sysMmap(a sysArgs) uintptr {
	addr, length, prot, flags, fd := a[0], a[1], a[2], a[3], int(int32(a[4]))
	if length == 0 || addr&mm.PageMask != 0 {
		return errno(linux.EINVAL)
	}
	length = mm.PageUp(length)
	if length == 0 || length > userTop {
		return errno(linux.ENOMEM)
	}
	if flags&linux.MAP_ANONYMOUS == 0 || fd != -1 && flags&linux.MAP_ANONYMOUS == 0 {
		return errno(linux.ENODEV)
	}
	if flags&(linux.MAP_SHARED|linux.MAP_PRIVATE) == 0 {
		return errno(linux.EINVAL)
	}
	if prot&linux.PROT_WRITE != 0 && prot&linux.PROT_EXEC != 0 {
		klog.Warn("mm").S("refusing a writable and executable mapping (W^X)").End()
		return errno(linux.EACCES)
	}
	area := vma.Area{Prot: protFromLinux(prot), Flags: vma.Anonymous}
	if flags&linux.MAP_SHARED != 0 {
		area.Flags |= vma.Shared
	} else {
		area.Flags |= vma.Private
	}
	if flags&linux.MAP_STACK != 0 {
		area.Flags |= vma.Stack
	}
	if flags&linux.MAP_NORESERVE != 0 || prot == 0 {
		area.Flags |= vma.NoReserve
	}

	fixed := flags&(linux.MAP_FIXED|linux.MAP_FIXED_NOREPLACE) != 0
	switch {
	case fixed:
		if addr < userMin || addr+length > userTop || addr+length < addr {
			return errno(linux.ENOMEM)
		}
		if flags&linux.MAP_FIXED_NOREPLACE != 0 && vmas.Overlaps(addr, addr+length) {
			return errno(linux.EEXIST)
		}
		if !unmapUser(addr, addr+length) {
			return errno(linux.EINVAL)
		}
	case addr != 0 && addr >= userMin && addr+length <= userTop && addr+length > addr && !vmas.Overlaps(addr, addr+length):
		// The hint is free: honour it.
	default:
		found, ok := vmas.FindFree(length, mm.PageSize, userMin, mmapTop, true)
		if !ok {
			return errno(linux.ENOMEM)
		}
		addr = found
	}
	area.Start, area.End = addr, addr+length
	if err := vmas.Insert(area); err != vma.OK {
		return errno(linux.ENOMEM)
	}
	if flags&linux.MAP_POPULATE != 0 {
		for p := addr; p < addr+length; p += mm.PageSize {
			resolveFault(p, pfWrite&uintptr(prot&linux.PROT_WRITE))
		}
	}
	return addr
}

// unmapUser removes program mappings in [start, end); it refuses to touch
// kernel areas.
func unmapUser(start, end uintptr) bool {
	for a := start; a < end; {
		area, ok := vmas.Next(a)
		if !ok || area.Start >= end {
			break
		}
		if area.Flags&(vma.Kernel|vma.Locked) != 0 {
			return false
		}
		a = area.End
	}
	vmas.Remove(start, end)
	unmapPages(start, end)
	return true
}

// sysMunmap implements Linux syscall munmap(2).
func sysMunmap(a sysArgs) uintptr {
	addr, length := a[0], mm.PageUp(a[1])
	if addr&mm.PageMask != 0 || length == 0 || addr+length < addr || addr+length > userTop {
		return errno(linux.EINVAL)
	}
	if !unmapUser(addr, addr+length) {
		return errno(linux.EINVAL)
	}
	return 0
}

// sysMprotect implements Linux syscall mprotect(2).
func sysMprotect(a sysArgs) uintptr {
	addr, length, prot := a[0], mm.PageUp(a[1]), a[2]
	if addr&mm.PageMask != 0 || addr+length < addr {
		return errno(linux.EINVAL)
	}
	if prot&linux.PROT_WRITE != 0 && prot&linux.PROT_EXEC != 0 {
		return errno(linux.EACCES)
	}
	if length == 0 {
		return 0
	}
	for p := addr; p < addr+length; {
		area, ok := vmas.Find(p)
		if !ok {
			return errno(linux.ENOMEM)
		}
		if area.Flags&(vma.Kernel|vma.Locked) != 0 {
			return errno(linux.EACCES)
		}
		p = area.End
	}
	if err := vmas.Protect(addr, addr+length, protFromLinux(prot)); err != vma.OK {
		return errno(linux.ENOMEM)
	}
	if prot == 0 {
		// TODO(mm): PROT_NONE over pages already backed keeps their PTEs
		// present (the page-table package cannot yet mark a page
		// non-present and keep its frame), so such pages stay accessible.
		// The Go runtime never does this; it maps PROT_NONE with mmap.
		return 0
	}
	kpt.ProtectRange(addr, addr+length, pteFlags(protFromLinux(prot)))
	flushRange(addr, addr+length)
	return 0
}

// sysMadvise implements Linux syscall madvise(2).
func sysMadvise(a sysArgs) uintptr {
	addr, length, advice := a[0], mm.PageUp(a[1]), a[2]
	if addr&mm.PageMask != 0 {
		return errno(linux.EINVAL)
	}
	switch advice {
	case linux.MADV_DONTNEED, linux.MADV_FREE:
		// The Go runtime relies on DONTNEED really zeroing the range.
		for p := addr; p < addr+length; {
			area, ok := vmas.Next(p)
			if !ok || area.Start >= addr+length {
				break
			}
			if area.Flags&(vma.Kernel|vma.Locked) != 0 {
				return errno(linux.EINVAL)
			}
			p = area.End
		}
		unmapPages(addr, addr+length)
	}
	return 0
}

// sysBrk implements Linux syscall brk(2): there is no heap break; Go does
// not use one.
func sysBrk(a sysArgs) uintptr { return 0 }

// sysMincore implements Linux syscall mincore(2).
func sysMincore(a sysArgs) uintptr {
	addr, length, vec := a[0], mm.PageUp(a[1]), a[2]
	if addr&mm.PageMask != 0 {
		return errno(linux.EINVAL)
	}
	n := length / mm.PageSize
	out, ok := userBytes(vec, n, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	for i := uintptr(0); i < n; i++ {
		p := addr + i*mm.PageSize
		if _, ok := vmas.Find(p); !ok {
			return errno(linux.ENOMEM)
		}
		_, _, present := kpt.Lookup(p)
		out[i] = 0
		if present {
			out[i] = 1
		}
	}
	return 0
}
