package bootinfo

import "unsafe"

// Phys reads physical memory through a window: physical address pa lives at
// virtual address pa+Off, and only physical addresses in [Lo, Hi) may be
// read. At PVH entry, with low memory identity-mapped, the kernel uses
// Phys{Off: 0, Lo: 0, Hi: <end of the identity map>}; later, the direct map.
// Hosted tests point it at a byte slice that stands for memory at some fake
// physical base.
//
// The parse functions check every address against the window before reading
// (a bad pointer from the VMM yields [ErrBadAddress], not a fault). The
// Uint* methods themselves do not check: callers use [Phys.Contains] first.
// Loads may be unaligned (the e820 table packs 20-byte entries), which x86
// permits.
type Phys struct {
	Off uintptr
	Lo  uintptr
	Hi  uintptr
}

// Contains reports whether the n bytes at pa all lie in the window.
func (m Phys) Contains(pa, n uintptr) bool {
	return pa >= m.Lo && pa <= m.Hi && n <= m.Hi-pa
}

// ptr turns a physical address into a pointer through the window.
//
// It launders the integer through memory rather than writing
// unsafe.Pointer(pa+m.Off): that conversion is what vet's unsafeptr check
// rejects, and here the address really is an integer (physical memory, or a
// test arena the caller keeps alive), never a Go heap object the collector
// must track.
func (m Phys) ptr(pa uintptr) unsafe.Pointer {
	va := pa + m.Off
	return *(*unsafe.Pointer)(unsafe.Pointer(&va))
}

// Uint8 returns the byte at pa.
func (m Phys) Uint8(pa uintptr) uint8 { return *(*uint8)(m.ptr(pa)) }

// Uint16 returns the little-endian 16-bit value at pa.
func (m Phys) Uint16(pa uintptr) uint16 { return *(*uint16)(m.ptr(pa)) }

// Uint32 returns the little-endian 32-bit value at pa.
func (m Phys) Uint32(pa uintptr) uint32 { return *(*uint32)(m.ptr(pa)) }

// Uint64 returns the little-endian 64-bit value at pa.
func (m Phys) Uint64(pa uintptr) uint64 { return *(*uint64)(m.ptr(pa)) }

// CString returns the length of the NUL-terminated string at physical
// address pa, not counting the NUL, reading at most max bytes. ok is false
// when no NUL lies within max bytes or within the window; n then counts the
// bytes that were examined.
func CString(mem Phys, pa, max uintptr) (n uintptr, ok bool) {
	for n < max {
		if !mem.Contains(pa+n, 1) || pa+n < pa {
			return n, false
		}
		if mem.Uint8(pa+n) == 0 {
			return n, true
		}
		n++
	}
	return n, false
}
