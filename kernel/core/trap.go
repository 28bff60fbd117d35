package core

import (
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/pagetable"
	"unigo.dev/unigo/kernel/mm/vma"
)

// handleTrap is amd64.TrapHandler: every interrupt and exception comes here
// on the current thread's kernel stack, interrupts disabled (system calls
// go to handleSyscall).
func handleTrap(tf *amd64.TrapFrame) {
	fromProgram := !tf.FromKernel()
	switch v := tf.Vector; {
	case v == vectorTimer:
		lapicEOIWrite()
		timerInterrupt(tf)
	case v == vectorSpurious:
	case v == amd64.VectorPageFault:
		pageFault(tf, fromProgram)
	case v < 32:
		exception(tf, fromProgram)
	case v >= vectorIRQBase && v < vectorIRQBase+24:
		deviceInterrupt(int(v - vectorIRQBase))
	case v >= vectorBlkMSI && v < vectorBlkMSI+maxDisks:
		blkInterrupt(int(v - vectorBlkMSI))
		lapicEOIWrite()
	case v >= vectorVirtioMSI && v < vectorVirtioMSI+maxVirtioDevs:
		virtioIntr(int(v - vectorVirtioMSI))
		lapicEOIWrite()
	case v == vectorNetMSI:
		netInterrupt()
		lapicEOIWrite()
	default:
		lapicEOIWrite()
	}
	if fromProgram {
		deliverSignals(tf)
	}
}

// Page-fault error code bits (SDM vol. 3 §4.7).
const (
	pfPresent = 1 << 0
	pfWrite   = 1 << 1
	pfFetch   = 1 << 4
)

// pageFault resolves demand-zero faults inside the program's mappings and
// turns the others into SIGSEGV (program) or a kernel panic (kernel).
func pageFault(tf *amd64.TrapFrame, fromProgram bool) {
	addr := amd64.ReadCR2()
	code, ok := resolveFault(addr, tf.ErrCode)
	if ok {
		return
	}
	if !fromProgram {
		fatalTrap(tf, "page fault in the kernel", addr)
	}
	raiseFault(tf, sigSEGV, code, addr)
}

// resolveFault maps a zeroed page for a fault at addr if a mapping allows
// the access. It returns the si_code to report otherwise.
func resolveFault(addr, errCode uintptr) (int32, bool) {
	a, ok := vmas.Find(addr)
	if !ok || a.Flags&vma.Kernel != 0 {
		return segvMapErr, false
	}
	switch {
	case errCode&pfFetch != 0 && a.Prot&vma.ProtExec == 0,
		errCode&pfWrite != 0 && a.Prot&vma.ProtWrite == 0,
		a.Prot == vma.ProtNone:
		return segvAccErr, false
	}
	page := mm.PageDown(addr)
	if _, _, present := kpt.Lookup(page); present {
		// Another mapping of the same page already happened (e.g. a racing
		// fault handled first) or the PTE is stale: refresh it.
		kpt.Protect(page, pteFlags(a.Prot))
		amd64.Invlpg(page)
		return 0, true
	}
	pa, ok := frames.AllocZeroed(0)
	if !ok {
		oom("page fault", addr)
	}
	if err := kpt.Map(page, pa, pteFlags(a.Prot)); err != pagetable.OK {
		frames.Free(pa, 0)
		return segvMapErr, false
	}
	return 0, true
}

// pteFlags turns a mapping's protection into page-table flags (W^X: never
// writable and executable; the mmap path refuses such mappings).
func pteFlags(p vma.Prot) pagetable.PTE {
	f := pagetable.Present
	if p&vma.ProtWrite != 0 {
		f |= pagetable.Writable
	}
	if p&vma.ProtExec == 0 && amd64.Features.NX {
		f |= pagetable.NoExecute
	}
	return f
}

var exceptionSignal = [32]int32{
	amd64.VectorDivide:     sigFPE,
	amd64.VectorDebug:      sigTRAP,
	amd64.VectorBreakpoint: sigTRAP,
	amd64.VectorOverflow:   sigSEGV,
	amd64.VectorBound:      sigSEGV,
	amd64.VectorInvalidOp:  sigILL,
	amd64.VectorNoDevice:   sigFPE,
	amd64.VectorGP:         sigSEGV,
	amd64.VectorStack:      sigBUS,
	amd64.VectorNoSegment:  sigBUS,
	amd64.VectorAlignment:  sigBUS,
	amd64.VectorX87:        sigFPE,
	amd64.VectorSIMD:       sigFPE,
}

var exceptionName = [32]string{
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
}

func exception(tf *amd64.TrapFrame, fromProgram bool) {
	v := tf.Vector
	sig := exceptionSignal[v]
	if !fromProgram || sig == 0 {
		name := exceptionName[v]
		if name == "" {
			name = "exception"
		}
		fatalTrap(tf, name, 0)
	}
	code := int32(siKernel)
	switch sig {
	case sigFPE:
		code = fpeIntDiv
	case sigILL:
		code = illIllOpn
	}
	raiseFault(tf, sig, code, tf.RIP)
}

// fatalTrap prints the machine state and a symbolized stack, then stops the
// machine with a non-zero status.
func fatalTrap(tf *amd64.TrapFrame, what string, addr uintptr) {
	klog.Error("panic").S(what).S(" at rip ").X(uint64(tf.RIP)).S(" addr ").X(uint64(addr)).
		S(" err ").X(uint64(tf.ErrCode)).S(" thread ").I(int64(cur().tid)).End()
	dumpFrame(tf)
	shutdown(exitKernelPanic)
}

func dumpFrame(tf *amd64.TrapFrame) {
	reg := func(name string, v uintptr) *klog.Msg { return klog.Error("regs").S(name).X(uint64(v)) }
	reg("rax ", tf.RAX).S(" rbx ").X(uint64(tf.RBX)).S(" rcx ").X(uint64(tf.RCX)).S(" rdx ").X(uint64(tf.RDX)).End()
	reg("rsi ", tf.RSI).S(" rdi ").X(uint64(tf.RDI)).S(" rbp ").X(uint64(tf.RBP)).S(" rsp ").X(uint64(tf.RSP)).End()
	reg("r8  ", tf.R8).S(" r9  ").X(uint64(tf.R9)).S(" r10 ").X(uint64(tf.R10)).S(" r11 ").X(uint64(tf.R11)).End()
	reg("r12 ", tf.R12).S(" r13 ").X(uint64(tf.R13)).S(" r14 ").X(uint64(tf.R14)).S(" r15 ").X(uint64(tf.R15)).End()
	reg("rip ", tf.RIP).S(" rflags ").X(uint64(tf.RFLAGS)).S(" cr2 ").X(uint64(amd64.ReadCR2())).S(" cr3 ").X(uint64(amd64.ReadCR3())).End()
	printStack(tf.RIP, tf.RBP)
}

// printStack walks the frame-pointer chain (the Go toolchain keeps frame
// pointers on amd64) and prints each return address with its function name.
func printStack(pc, fp uintptr) {
	for i := 0; i < 32; i++ {
		klog.Error("stack").X(uint64(pc)).S(" ").S(funcName(pc)).End()
		if fp == 0 || fp&7 != 0 || !readable(fp, 16) {
			return
		}
		pc = *(*uintptr)(kptr(fp + 8))
		fp = *(*uintptr)(kptr(fp))
		if pc == 0 {
			return
		}
	}
}

// readable reports whether [addr, addr+n) is mapped, without faulting.
func readable(addr, n uintptr) bool {
	for p := mm.PageDown(addr); p < addr+n; p += mm.PageSize {
		if _, _, ok := kpt.Lookup(p); !ok {
			return false
		}
	}
	return true
}
