package amd64

import "unsafe"

// SP returns the saved kernel stack pointer.
func (c *KContext) SP() uintptr { return c.sp }

// Bounds returns the kernel stack bounds.
func (c *KContext) Bounds() (lo, top uintptr) { return c.stackLo, c.stackTop }

// UserFrame returns the trap frame at the top of a kernel stack: the state
// of the program thread that owns the stack, saved when it entered the kernel.
func UserFrame(top uintptr) *TrapFrame {
	return (*TrapFrame)(ptr(top - TrapFrameSize))
}

// InitThread prepares the kernel stack [lo, top) of a new program thread so
// that swtch to c returns to the program through trapret with the frame
// returned (which the caller fills) and the vector state copied from xsave.
func InitThread(c *KContext, lo, top uintptr, xsave uintptr) *TrapFrame {
	tf := UserFrame(top)
	*tf = TrapFrame{}
	area := (uintptr(unsafe.Pointer(tf)) - cpu0.xsaveSize) &^ 63
	copyBytes(area, xsave, cpu0.xsaveSize)
	tf.XSave = area
	sp := area - 24
	*(*uintptr)(ptr(sp + 16)) = uintptr(unsafe.Pointer(tf)) // popped by trapret
	*(*uintptr)(ptr(sp + 8)) = trapretPC()                  // swtch's RET
	*(*uintptr)(ptr(sp)) = 0                                // swtch's POPQ BP
	c.sp = sp
	c.stackLo = lo
	c.stackTop = top
	return tf
}

// InitKernelThread prepares [lo, top) so that swtch to c calls fn on that
// stack. fn must never return.
func InitKernelThread(c *KContext, lo, top uintptr, fn func()) {
	sp := (top - 64) &^ 15
	*(*uintptr)(ptr(sp + 16)) = *(*uintptr)(unsafe.Pointer(&fn)) // the funcval
	*(*uintptr)(ptr(sp + 8)) = kthreadStartPC()
	*(*uintptr)(ptr(sp)) = 0
	c.sp = sp
	c.stackLo = lo
	c.stackTop = top
}

// Switch saves the current kernel context in from and resumes to.
func Switch(from, to *KContext) {
	swtch(&from.sp, to)
}

// InitialVectorState writes a clean vector state (x87 and SSE defaults, all
// registers zero) at p, in the format trapret restores.
func InitialVectorState(p uintptr) {
	for i := uintptr(0); i < cpu0.xsaveSize; i++ {
		*(*byte)(ptr(p + i)) = 0
	}
	*(*uint16)(ptr(p)) = 0x037F      // FCW
	*(*uint32)(ptr(p + 24)) = 0x1F80 // MXCSR
	*(*uint32)(ptr(p + 28)) = 0xFFFF // MXCSR_MASK (ignored by restore)
}

func copyBytes(dst, src, n uintptr) {
	for i := uintptr(0); i < n; i += 8 {
		*(*uint64)(ptr(dst + i)) = *(*uint64)(ptr(src + i))
	}
}

// CopyVectorState copies a saved vector state.
func CopyVectorState(dst, src uintptr) { copyBytes(dst, src, cpu0.xsaveSize) }

// SanitizeVectorState makes the vector state at p, which came from the
// program (a signal frame), one that XRSTOR/FXRSTOR accept: MXCSR without
// reserved bits, an XSAVE header with only enabled components and zero
// reserved bytes. syscallEntry relies on the header staying valid.
func SanitizeVectorState(p uintptr) {
	*(*uint32)(ptr(p + 24)) &= 0xFFFF // MXCSR
	if cpu0.useXSave == 0 {
		return
	}
	*(*uint64)(ptr(p + 512)) &= Features.XCR0 // XSTATE_BV
	for off := uintptr(520); off < 576; off += 8 {
		*(*uint64)(ptr(p + off)) = 0 // XCOMP_BV and reserved
	}
}

// RT0 returns the address of the Go runtime's Linux entry point,
// _rt0_amd64_linux, where the main thread starts.
func RT0() uintptr { return rt0PC() }

// ptr turns a kernel address held as an integer into a pointer. It goes
// through memory so that vet's unsafeptr check stays quiet: these addresses
// are never Go heap objects.
func ptr(va uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&va)) }
