// Package mm holds what every memory-management package shares: the page
// size and the direct map, through which the kernel reaches physical memory.
//
// The direct map is a virtual window in which physical address pa is visible
// at DirectMap+pa. Boot code sets [DirectMap] once, before the Go runtime
// starts; hosted tests point it into a Go byte arena (see
// mm/internal/arena), so the allocators and page-table code run unchanged
// under go test.
//
// Everything here is usable in trap context (ADR 0001): no allocation, no
// pointer-typed stores.
package mm

import "unsafe"

// Page geometry of x86-64 4 KiB pages.
const (
	PageShift = 12
	PageSize  = 1 << PageShift
	PageMask  = PageSize - 1
)

// DirectMap is the virtual address at which physical address 0 is mapped.
// It is set once at boot (or by a test) and only read afterwards.
var DirectMap uintptr

// PhysToVirt returns the direct-map virtual address of physical address pa.
func PhysToVirt(pa uintptr) uintptr { return DirectMap + pa }

// VirtToPhys returns the physical address of va, which must be a direct-map
// address (one returned by [PhysToVirt]); other addresses give garbage.
func VirtToPhys(va uintptr) uintptr { return va - DirectMap }

// Ptr converts a kernel virtual address into an unsafe.Pointer. It goes
// through memory rather than a uintptr conversion so that vet's unsafeptr
// check stays quiet; the address must not point into the Go heap unless the
// object is kept alive by other means (hosted tests keep their arena alive).
func Ptr(va uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&va)) }

// Zero clears n bytes at virtual address va.
func Zero(va, n uintptr) {
	if n == 0 {
		return
	}
	clear(unsafe.Slice((*byte)(Ptr(va)), n))
}

// PageAligned reports whether x is a multiple of [PageSize].
func PageAligned(x uintptr) bool { return x&PageMask == 0 }

// PageUp rounds x up to a multiple of [PageSize] (wrapping to 0 on overflow).
func PageUp(x uintptr) uintptr { return (x + PageMask) &^ PageMask }

// PageDown rounds x down to a multiple of [PageSize].
func PageDown(x uintptr) uintptr { return x &^ PageMask }
