package core

import (
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
)

// Signals, as Linux delivers them to x86-64 programs: an rt_sigframe
// (pretcode, ucontext, siginfo, then the vector state) on the sigaltstack or
// the current stack; rt_sigreturn restores the ucontext. Layouts follow
// arch/x86/include/uapi/asm/sigcontext.h and the Go runtime's
// defs_linux_amd64.go.

const (
	sigHUP   = 1
	sigINT   = 2
	sigQUIT  = 3
	sigILL   = 4
	sigTRAP  = 5
	sigABRT  = 6
	sigBUS   = 7
	sigFPE   = 8
	sigKILL  = 9
	sigSEGV  = 11
	sigPIPE  = 13
	sigALRM  = 14
	sigTERM  = 15
	sigCHLD  = 17
	sigCONT  = 18
	sigSTOP  = 19
	sigURG   = 23
	sigWINCH = 28
	nsig     = 64

	saSigInfo   = 0x4
	saOnStack   = 0x08000000
	saRestart   = 0x10000000
	saNoDefer   = 0x40000000
	saResetHand = 0x80000000
	saRestorer  = 0x04000000

	ssOnStack = 1
	ssDisable = 2

	segvMapErr = 1
	segvAccErr = 2
	siKernel   = 0x80
	siUser     = 0
	siTkill    = -6
	fpeIntDiv  = 1
	illIllOpn  = 2

	sigDFL = 0
	sigIGN = 1
)

type sigaction struct {
	handler  uintptr
	flags    uintptr
	restorer uintptr
	mask     uint64
}

var sigactions [nsig + 1]sigaction

func sigbit(sig int32) uint64 { return 1 << uint(sig-1) }

const unblockable = 1<<(sigKILL-1) | 1<<(sigSTOP-1)

// raiseFault queues a synchronous signal for the current thread; it is
// delivered before the program resumes.
func raiseFault(tf *amd64.TrapFrame, sig, code int32, addr uintptr) {
	t := cur()
	if t.sigMask&sigbit(sig) != 0 || sigactions[sig].handler == sigDFL || sigactions[sig].handler == sigIGN {
		// A blocked or unhandled fault kills the program, as on Linux.
		klog.Error("signal").S("fatal signal ").I(int64(sig)).S(" at ").X(uint64(tf.RIP)).S(" addr ").X(uint64(addr)).End()
		dumpFrame(tf)
		exitProgram(128 + int(sig))
	}
	t.fault = sigFault{signo: sig, code: code, addr: addr}
	t.sigPending |= sigbit(sig)
}

// sendSignal makes sig pending for thread t and interrupts its wait.
func sendSignal(t *Thread, sig int32) {
	if sig == 0 {
		return
	}
	if sigactions[sig].handler == sigIGN || (sigactions[sig].handler == sigDFL && defaultIgnored(sig)) {
		return
	}
	t.sigPending |= sigbit(sig)
	if t.sigMask&sigbit(sig) == 0 && t.state == stateBlocked {
		wakeup(t, wakeSignal)
	}
}

func defaultIgnored(sig int32) bool {
	return sig == sigCHLD || sig == sigURG || sig == sigWINCH || sig == sigCONT
}

// deliverSignals runs on every return to the program: it sets up a frame
// for the lowest pending unblocked signal.
func deliverSignals(tf *amd64.TrapFrame) {
	t := cur()
	pending := t.sigPending &^ t.sigMask
	if pending == 0 {
		return
	}
	var sig int32 = 1
	for pending&1 == 0 {
		pending >>= 1
		sig++
	}
	t.sigPending &^= sigbit(sig)
	act := sigactions[sig]
	switch act.handler {
	case sigIGN:
		return
	case sigDFL:
		if defaultIgnored(sig) {
			return
		}
		klog.Info("signal").S("terminated by signal ").I(int64(sig)).End()
		exitProgram(128 + int(sig))
	}
	setupFrame(tf, t, sig, &act)
}

// rt_sigframe layout.
const (
	ucOff       = 8
	ucStack     = 16
	ucMcontext  = 40
	ucSigmask   = 296
	ucSize      = 304
	infoOff     = ucOff + ucSize // 312
	sigframeLen = infoOff + 128  // 440

	// offsets inside sigcontext (from uc_mcontext)
	scR8      = 0
	scRDI     = 64
	scRSI     = 72
	scRBP     = 80
	scRBX     = 88
	scRDX     = 96
	scRAX     = 104
	scRCX     = 112
	scRSP     = 120
	scRIP     = 128
	scEFLAGS  = 136
	scCSGSFS  = 144
	scErr     = 152
	scTrapno  = 160
	scOldmask = 168
	scCR2     = 176
	scFpstate = 184
)

func put64(addr uintptr, v uint64) { *(*uint64)(kptr(addr)) = v }
func get64(addr uintptr) uint64    { return *(*uint64)(kptr(addr)) }
func put32(addr uintptr, v uint32) { *(*uint32)(kptr(addr)) = v }

func onAltStack(t *Thread, sp uintptr) bool {
	return t.altSize != 0 && sp > t.altSP && sp <= t.altSP+t.altSize
}

func setupFrame(tf *amd64.TrapFrame, t *Thread, sig int32, act *sigaction) {
	sp := tf.RSP - 128 // skip the red zone
	if act.flags&saOnStack != 0 && t.altSize != 0 && t.altFlags&ssDisable == 0 && !onAltStack(t, tf.RSP) {
		sp = t.altSP + t.altSize
	}
	fpsize := amd64.VectorStateSize()
	fp := (sp - fpsize) &^ 63
	frame := ((fp - sigframeLen) &^ 15) - 8
	if !userRange(frame, sp-frame, true) {
		klog.Error("signal").S("cannot write a signal frame at ").X(uint64(frame)).End()
		exitProgram(128 + int(sigSEGV))
	}
	amd64.CopyVectorState(fp, tf.XSave)

	for a := frame; a < frame+sigframeLen; a += 8 {
		put64(a, 0)
	}
	put64(frame, uint64(act.restorer))
	uc := frame + ucOff
	put64(uc+ucStack, uint64(t.altSP))
	flags := uint32(0)
	if t.altFlags&ssDisable != 0 || t.altSize == 0 {
		flags = ssDisable
	} else if onAltStack(t, tf.RSP) {
		flags = ssOnStack
	}
	put32(uc+ucStack+8, flags)
	put64(uc+ucStack+16, uint64(t.altSize))
	mc := uc + ucMcontext
	regs := [...]uintptr{tf.R8, tf.R9, tf.R10, tf.R11, tf.R12, tf.R13, tf.R14, tf.R15,
		tf.RDI, tf.RSI, tf.RBP, tf.RBX, tf.RDX, tf.RAX, tf.RCX, tf.RSP, tf.RIP, tf.RFLAGS}
	for i, r := range regs {
		put64(mc+uintptr(i)*8, uint64(r))
	}
	put64(mc+scCSGSFS, uint64(amd64.KernelCS))
	if sig == t.fault.signo {
		put64(mc+scTrapno, uint64(tf.Vector))
		put64(mc+scErr, uint64(tf.ErrCode))
		put64(mc+scCR2, uint64(t.fault.addr))
	}
	put64(mc+scOldmask, t.sigMask)
	put64(mc+scFpstate, uint64(fp))
	put64(uc+ucSigmask, t.sigMask)

	info := frame + infoOff
	put32(info, uint32(sig))
	if sig == t.fault.signo && t.fault.signo != 0 {
		put32(info+8, uint32(t.fault.code))
		put64(info+16, uint64(t.fault.addr))
		t.fault = sigFault{}
	} else {
		put32(info+8, uint32(siTkill&0xFFFFFFFF))
		put32(info+16, 1) // si_pid
	}

	tf.RSP = frame
	tf.RIP = act.handler
	tf.RDI = uintptr(sig)
	tf.RSI = info
	tf.RDX = uc
	tf.RAX = 0
	tf.RFLAGS &^= 0x400 | 0x100 // DF, TF

	if act.flags&saNoDefer == 0 {
		t.sigMask |= sigbit(sig)
	}
	t.sigMask |= act.mask &^ unblockable
	if act.flags&saResetHand != 0 {
		sigactions[sig] = sigaction{}
	}
}

// sysRtSigreturn implements Linux syscall rt_sigreturn(2): restore the
// context saved by setupFrame. The program's handler returned into the
// restorer, which popped pretcode, so RSP points at the ucontext.
func sysRtSigreturn(tf *amd64.TrapFrame) {
	t := cur()
	uc := tf.RSP
	if !userRange(uc, ucSize, false) {
		exitProgram(128 + int(sigSEGV))
	}
	mc := uc + ucMcontext
	r := func(i int) uintptr { return uintptr(get64(mc + uintptr(i)*8)) }
	tf.R8, tf.R9, tf.R10, tf.R11 = r(0), r(1), r(2), r(3)
	tf.R12, tf.R13, tf.R14, tf.R15 = r(4), r(5), r(6), r(7)
	tf.RDI, tf.RSI, tf.RBP, tf.RBX = r(8), r(9), r(10), r(11)
	tf.RDX, tf.RAX, tf.RCX, tf.RSP = r(12), r(13), r(14), r(15)
	tf.RIP = r(16)
	// Keep only the arithmetic flags, DF and TF from the saved value;
	// interrupts stay enabled.
	tf.RFLAGS = r(17)&0x0DD5 | 0x202
	if fp := uintptr(get64(mc + scFpstate)); fp != 0 && userRange(fp, amd64.VectorStateSize(), false) {
		amd64.CopyVectorState(tf.XSave, fp)
		amd64.SanitizeVectorState(tf.XSave)
	}
	t.sigMask = get64(uc+ucSigmask) &^ unblockable
}
