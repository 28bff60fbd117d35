// Package arena gives hosted tests fake physical memory: a page-aligned Go
// byte slice behind mm.DirectMap, so that physical addresses [base, base+size)
// are real, writable memory in the test process.
package arena

import (
	"unsafe"

	"unigo.dev/unigo/kernel/mm"
)

// mem keeps the arena alive for the life of the test binary: the kernel
// packages hold only uintptrs into it.
var mem []byte

// Setup allocates a zeroed arena of size bytes (a multiple of mm.PageSize)
// and points mm.DirectMap at it so that physical address base is its first
// byte. Calling Setup again replaces the arena.
func Setup(base, size uintptr) {
	buf := make([]byte, size+mm.PageSize)
	off := mm.PageUp(uintptr(unsafe.Pointer(&buf[0]))) - uintptr(unsafe.Pointer(&buf[0]))
	mem = buf[off : off+size]
	mm.DirectMap = uintptr(unsafe.Pointer(&mem[0])) - base
}

// Bytes returns the arena bytes backing physical [pa, pa+n).
func Bytes(pa, n uintptr) []byte {
	return unsafe.Slice((*byte)(mm.Ptr(mm.PhysToVirt(pa))), n)
}
