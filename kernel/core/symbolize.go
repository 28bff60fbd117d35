package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
)

// Symbolization from the Go pclntab, without the runtime (which may not be
// running, or may be what failed): binary-search the pcHeader's function
// table, return the name.

const pclnMagic = 0xFFFFFFF1 // Go 1.20+ (internal/abi.Go120PCLnTabMagic)

// findPCHeader returns the pcHeader, or 0 if it does not look like one.
func findPCHeader() uintptr {
	p := amd64.PCLNTab()
	w := *(*uint64)(kptr(p))
	// magic, pad1=0, pad2=0, minLC=1, ptrSize=8
	if uint32(w) != pclnMagic || w>>32 != 0x08010000 {
		return 0
	}
	return p
}

// funcName returns the name of the function containing pc, or "?".
func funcName(pc uintptr) string {
	h := findPCHeader()
	text := amd64.TextStart()
	if h == 0 || pc < text {
		return "?"
	}
	nfunc := int(*(*int64)(kptr(h + 8)))
	funcnametab := h + *(*uintptr)(kptr(h + 32))
	pclntab := h + *(*uintptr)(kptr(h + 64))
	off := uint32(pc - text)
	// functab: nfunc+1 pairs of {entryoff, funcoff} uint32.
	lo, hi := 0, nfunc
	for lo < hi {
		m := (lo + hi) / 2
		if *(*uint32)(kptr(pclntab + uintptr(m)*8)) <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return "?"
	}
	funcoff := *(*uint32)(kptr(pclntab + uintptr(lo-1)*8 + 4))
	nameOff := *(*int32)(kptr(pclntab + uintptr(funcoff) + 4))
	name := funcnametab + uintptr(nameOff)
	n := 0
	for n < 256 && *(*byte)(kptr(name + uintptr(n))) != 0 {
		n++
	}
	return unsafe.String((*byte)(kptr(name)), n)
}
