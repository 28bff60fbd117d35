package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/klog"
)

// sysRtSigaction implements Linux syscall rt_sigaction(2).
func sysRtSigaction(a sysArgs) uintptr {
	sig, act, old, size := int32(a[0]), a[1], a[2], a[3]
	if sig < 1 || sig > nsig || size != 8 {
		return errno(linux.EINVAL)
	}
	if old != 0 {
		if !userRange(old, 32, true) {
			return errno(linux.EFAULT)
		}
		o := sigactions[sig]
		put64(old, uint64(o.handler))
		put64(old+8, uint64(o.flags))
		put64(old+16, uint64(o.restorer))
		put64(old+24, o.mask)
	}
	if act != 0 {
		if sig == sigKILL || sig == sigSTOP {
			return errno(linux.EINVAL)
		}
		if !userRange(act, 32, false) {
			return errno(linux.EFAULT)
		}
		sigactions[sig] = sigaction{
			handler:  uintptr(get64(act)),
			flags:    uintptr(get64(act + 8)),
			restorer: uintptr(get64(act + 16)),
			mask:     get64(act+24) &^ unblockable,
		}
	}
	return 0
}

// sysRtSigprocmask implements Linux syscall rt_sigprocmask(2).
func sysRtSigprocmask(a sysArgs) uintptr {
	how, set, old, size := a[0], a[1], a[2], a[3]
	if size != 8 {
		return errno(linux.EINVAL)
	}
	t := cur()
	if old != 0 {
		if !userRange(old, 8, true) {
			return errno(linux.EFAULT)
		}
		put64(old, t.sigMask)
	}
	if set != 0 {
		if !userRange(set, 8, false) {
			return errno(linux.EFAULT)
		}
		m := get64(set)
		switch how {
		case linux.SIG_BLOCK:
			t.sigMask |= m
		case linux.SIG_UNBLOCK:
			t.sigMask &^= m
		case linux.SIG_SETMASK:
			t.sigMask = m
		default:
			return errno(linux.EINVAL)
		}
		t.sigMask &^= unblockable
	}
	return 0
}

// sysSigaltstack implements Linux syscall sigaltstack(2).
func sysSigaltstack(a sysArgs) uintptr {
	ss, old := a[0], a[1]
	t := cur()
	onStack := onAltStack(t, t.frame().RSP)
	if old != 0 {
		if !userRange(old, 24, true) {
			return errno(linux.EFAULT)
		}
		put64(old, uint64(t.altSP))
		flags := uint32(t.altFlags)
		if t.altSize == 0 {
			flags = ssDisable
		}
		if onStack {
			flags |= ssOnStack
		}
		put64(old+8, uint64(flags))
		put64(old+16, uint64(t.altSize))
	}
	if ss != 0 {
		if !userRange(ss, 24, false) {
			return errno(linux.EFAULT)
		}
		if onStack {
			return errno(linux.EPERM)
		}
		sp, flags, size := uintptr(get64(ss)), int32(get64(ss+8)), uintptr(get64(ss+16))
		if flags&ssDisable != 0 {
			t.altSP, t.altSize, t.altFlags = 0, 0, ssDisable
			return 0
		}
		if flags&^ssOnStack != 0 && flags != 0 {
			return errno(linux.EINVAL)
		}
		if size < linux.MINSIGSTKSZ {
			return errno(linux.ENOMEM)
		}
		t.altSP, t.altSize, t.altFlags = sp, size, 0
	}
	return 0
}

func threadByTID(tid int32) *Thread {
	for i := 1; i < maxThreads; i++ {
		t := &threads[i]
		if t.tid == tid && t.state != stateFree && t.state != stateDead {
			return t
		}
	}
	return nil
}

// sysTgkill implements Linux syscall tgkill(2).
func sysTgkill(a sysArgs) uintptr {
	if int32(a[0]) != pid {
		return errno(linux.ESRCH)
	}
	return sysTkill(sysArgs{a[1], a[2]})
}

// sysTkill implements Linux syscall tkill(2).
func sysTkill(a sysArgs) uintptr {
	tid, sig := int32(a[0]), int32(a[1])
	if sig < 0 || sig > nsig {
		return errno(linux.EINVAL)
	}
	t := threadByTID(tid)
	if t == nil {
		return errno(linux.ESRCH)
	}
	sendSignal(t, sig)
	return 0
}

// sysKill implements Linux syscall kill(2) for the program itself.
func sysKill(a sysArgs) uintptr {
	p, sig := int32(a[0]), int32(a[1])
	if sig < 0 || sig > nsig {
		return errno(linux.EINVAL)
	}
	if p != pid && p != 0 && p != -1 {
		return errno(linux.ESRCH)
	}
	if sig == 0 {
		return 0
	}
	killProcess(sig)
	return 0
}

// killProcess sends a process-directed signal: to the current program
// thread if it does not block sig, else to the first program thread that
// does not; if all block it, it stays pending on one of them.
func killProcess(sig int32) {
	var target *Thread
	if t := cur(); !t.kernel && t.sigMask&sigbit(sig) == 0 {
		target = t
	}
	for i := 1; i < maxThreads && target == nil; i++ {
		o := &threads[i]
		if o.state != stateFree && o.state != stateDead && !o.kernel && o.sigMask&sigbit(sig) == 0 {
			target = o
		}
	}
	for i := 1; i < maxThreads && target == nil; i++ {
		o := &threads[i]
		if o.state != stateFree && o.state != stateDead && !o.kernel {
			target = o
		}
	}
	if target != nil {
		klog.Debug("signal").S("signal ").I(int64(sig)).S(" to thread ").I(int64(target.tid)).S(" state ").U(uint64(target.state)).End()
		sendSignal(target, sig)
	}
}
