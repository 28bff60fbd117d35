package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
)

const pid = 1 // the program is init in its VM

// sysClone implements Linux syscall clone(2) for threads: clone(flags,
// stack, parent_tid, child_tid, tls).
func sysClone(a sysArgs) uintptr {
	flags, stack, ptid, ctid, tls := a[0], a[1], a[2], a[3], a[4]
	const need = linux.CLONE_VM | linux.CLONE_THREAD | linux.CLONE_SIGHAND
	if flags&need != need {
		klog.Warn("sched").S("clone without CLONE_VM|CLONE_THREAD (a new process) is not supported").End()
		return errno(linux.ENOSYS)
	}
	parent := cur()
	t, ok := newThread()
	if !ok {
		return errno(linux.EAGAIN)
	}
	ptf := parent.frame()
	tf := amd64.InitThread(&t.ctx, directMapBase+t.kstack, t.top, ptf.XSave)
	xsave := tf.XSave
	*tf = *ptf
	tf.XSave = xsave
	tf.RAX = 0
	if stack != 0 {
		tf.RSP = stack
	}
	if flags&linux.CLONE_SETTLS != 0 {
		tf.FS = tls
	}
	t.sigMask = parent.sigMask
	if flags&linux.CLONE_CHILD_CLEARTID != 0 {
		t.clearChildTID = ctid
	}
	if flags&linux.CLONE_PARENT_SETTID != 0 && userRange(ptid, 4, true) {
		*(*int32)(kptr(ptid)) = t.tid
	}
	if flags&linux.CLONE_CHILD_SETTID != 0 && userRange(ctid, 4, true) {
		*(*int32)(kptr(ctid)) = t.tid
	}
	t.name = parent.name
	enqueue(t)
	return uintptr(t.tid)
}

// sysExit implements Linux syscall exit(2): the calling thread ends.
func sysExit(a sysArgs) uintptr {
	t := cur()
	if t.clearChildTID != 0 && userRange(t.clearChildTID, 4, true) {
		*(*int32)(kptr(t.clearChildTID)) = 0
		futexWake(t.clearChildTID, 1, ^uint32(0))
	}
	if nthreads <= 1 {
		exitProgram(int(int32(a[0])) & 0xFF)
	}
	t.state = stateDead
	reapPending = t.index()
	schedule()
	fatal("sched: a dead thread was resumed")
	return 0
}

// sysExitGroup implements Linux syscall exit_group(2): the program ends and
// the VM powers off with its status.
func sysExitGroup(a sysArgs) uintptr {
	exitProgram(int(int32(a[0])) & 0xFF)
	return 0
}

// sysGettid implements Linux syscall gettid(2).
func sysGettid(a sysArgs) uintptr { return uintptr(cur().tid) }

// sysGetpid implements Linux syscall getpid(2).
func sysGetpid(a sysArgs) uintptr { return pid }

// sysGetppid implements Linux syscall getppid(2).
func sysGetppid(a sysArgs) uintptr { return 0 }

// sysSetTidAddress implements Linux syscall set_tid_address(2).
func sysSetTidAddress(a sysArgs) uintptr {
	cur().clearChildTID = a[0]
	return uintptr(cur().tid)
}

// sysSetRobustList implements Linux syscall set_robust_list(2) (accepted).
func sysSetRobustList(a sysArgs) uintptr { return 0 }

// sysRseq implements Linux syscall rseq(2): not supported.
func sysRseq(a sysArgs) uintptr { return errno(linux.ENOSYS) }

// sysSchedYield implements Linux syscall sched_yield(2).
func sysSchedYield(a sysArgs) uintptr {
	yield()
	return 0
}

// ncpu is the number of CPUs the program is told about.
var ncpu = 1

// sysSchedGetaffinity implements Linux syscall sched_getaffinity(2).
func sysSchedGetaffinity(a sysArgs) uintptr {
	size, mask := a[1], a[2]
	if size < 8 || size&7 != 0 {
		return errno(linux.EINVAL)
	}
	b, ok := userBytes(mask, 8, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	var m uint64 = 1<<uint(ncpu) - 1
	for i := range b {
		b[i] = byte(m >> (8 * i))
	}
	return 8
}

// sysSchedSetaffinity implements Linux syscall sched_setaffinity(2).
func sysSchedSetaffinity(a sysArgs) uintptr { return 0 }

// Resource limits reported to the program.
func rlimitFor(res uintptr) (cur, max uint64, ok bool) {
	const inf = ^uint64(0)
	switch res {
	case linux.RLIMIT_STACK:
		return stackSize, inf, true
	case linux.RLIMIT_NOFILE:
		return maxFDs, maxFDs, true
	case linux.RLIMIT_NPROC:
		return maxThreads, maxThreads, true
	case linux.RLIMIT_CPU, linux.RLIMIT_FSIZE, linux.RLIMIT_DATA, linux.RLIMIT_CORE,
		linux.RLIMIT_RSS, linux.RLIMIT_MEMLOCK, linux.RLIMIT_AS, linux.RLIMIT_LOCKS,
		linux.RLIMIT_SIGPENDING, linux.RLIMIT_MSGQUEUE, linux.RLIMIT_NICE,
		linux.RLIMIT_RTPRIO, linux.RLIMIT_RTTIME:
		return inf, inf, true
	}
	return 0, 0, false
}

// sysPrlimit64 implements Linux syscall prlimit64(2).
func sysPrlimit64(a sysArgs) uintptr {
	p, res, old := a[0], a[1], a[3]
	if p != 0 && p != pid {
		return errno(linux.ESRCH)
	}
	c, m, ok := rlimitFor(res)
	if !ok {
		return errno(linux.EINVAL)
	}
	if old != 0 {
		if !userRange(old, 16, true) {
			return errno(linux.EFAULT)
		}
		put64(old, c)
		put64(old+8, m)
	}
	return 0
}

// sysGetrlimit implements Linux syscall getrlimit(2).
func sysGetrlimit(a sysArgs) uintptr {
	return sysPrlimit64(sysArgs{0, a[0], 0, a[1]})
}

// Futexes: waiters hash by address into buckets of thread indices.

const futexBuckets = 64

var futexHead [futexBuckets]int32

func futexBucket(addr uintptr) *int32 { return &futexHead[(addr>>2)%futexBuckets] }

func futexInit() {
	for i := range futexHead {
		futexHead[i] = -1
	}
}

func futexWait(addr uintptr, val uint32, deadline int64, bits uint32) uintptr {
	if addr&3 != 0 || !userRange(addr, 4, false) {
		return errno(linux.EFAULT)
	}
	if *(*uint32)(kptr(addr)) != val {
		return errno(linux.EAGAIN)
	}
	t := cur()
	if t.sigPending&^t.sigMask != 0 {
		return errno(linux.EINTR)
	}
	t.futexAddr = addr
	t.futexBits = bits
	b := futexBucket(addr)
	t.futexNext = *b
	*b = t.index()
	r := block(deadline)
	futexUnlink(t)
	switch r {
	case wakeTimeout:
		return errno(linux.ETIMEDOUT)
	case wakeSignal:
		return errno(linux.EINTR)
	}
	return 0
}

func futexUnlink(t *Thread) {
	if t.futexAddr == 0 {
		return
	}
	p := futexBucket(t.futexAddr)
	i := t.index()
	for *p >= 0 {
		if *p == i {
			*p = t.futexNext
			break
		}
		p = &threads[*p].futexNext
	}
	t.futexAddr = 0
	t.futexNext = -1
}

func futexWake(addr uintptr, n int, bits uint32) int {
	woken := 0
	p := futexBucket(addr)
	for *p >= 0 && woken < n {
		t := &threads[*p]
		if t.futexAddr == addr && t.futexBits&bits != 0 {
			*p = t.futexNext
			t.futexAddr = 0
			t.futexNext = -1
			wakeup(t, wakeNormal)
			woken++
			continue
		}
		p = &t.futexNext
	}
	return woken
}

// timespecDeadline converts a relative (or absolute) struct timespec into a
// monotonic deadline; 0 means no timeout.
func timespecDeadline(ts uintptr, absolute bool, realtime bool) (int64, bool) {
	if ts == 0 {
		return 0, true
	}
	if !userRange(ts, 16, false) {
		return 0, false
	}
	sec := int64(get64(ts))
	nsec := int64(get64(ts + 8))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, false
	}
	d := sec*1e9 + nsec
	if sec > 1<<33 { // avoid overflow: far future
		d = 1 << 62
	}
	if absolute {
		if realtime {
			d -= bootEpoch
		}
		if d <= 0 {
			d = 1
		}
		return d, true
	}
	return nanotime() + d + 1, true
}

// sysFutex implements Linux syscall futex(2).
func sysFutex(a sysArgs) uintptr {
	addr, op, val, ts, val3 := a[0], a[1], uint32(a[2]), a[3], uint32(a[5])
	cmd := op &^ (linux.FUTEX_PRIVATE_FLAG | linux.FUTEX_CLOCK_REALTIME)
	realtime := op&linux.FUTEX_CLOCK_REALTIME != 0
	switch cmd {
	case linux.FUTEX_WAIT:
		d, ok := timespecDeadline(ts, false, false)
		if !ok {
			return errno(linux.EINVAL)
		}
		return futexWait(addr, val, d, ^uint32(0))
	case linux.FUTEX_WAIT_BITSET:
		if val3 == 0 {
			return errno(linux.EINVAL)
		}
		d, ok := timespecDeadline(ts, true, realtime)
		if !ok {
			return errno(linux.EINVAL)
		}
		return futexWait(addr, val, d, val3)
	case linux.FUTEX_WAKE:
		return uintptr(futexWake(addr, int(val), ^uint32(0)))
	case linux.FUTEX_WAKE_BITSET:
		if val3 == 0 {
			return errno(linux.EINVAL)
		}
		return uintptr(futexWake(addr, int(val), val3))
	}
	return errno(linux.ENOSYS)
}

// sleepUntil blocks until the monotonic deadline or a signal.
func sleepUntil(deadline int64) bool {
	t := cur()
	if t.sigPending&^t.sigMask != 0 {
		return false
	}
	for nanotime() < deadline {
		if block(deadline) == wakeSignal {
			return false
		}
	}
	return true
}

// sysNanosleep implements Linux syscall nanosleep(2).
func sysNanosleep(a sysArgs) uintptr {
	d, ok := timespecDeadline(a[0], false, false)
	if !ok || d == 0 {
		return errno(linux.EINVAL)
	}
	if !sleepUntil(d) {
		if rem := a[1]; rem != 0 && userRange(rem, 16, true) {
			left := d - nanotime()
			if left < 0 {
				left = 0
			}
			put64(rem, uint64(left/1e9))
			put64(rem+8, uint64(left%1e9))
		}
		return errno(linux.EINTR)
	}
	return 0
}

// sysClockNanosleep implements Linux syscall clock_nanosleep(2).
func sysClockNanosleep(a sysArgs) uintptr {
	clock, flags, req := a[0], a[1], a[2]
	abs := flags&linux.TIMER_ABSTIME != 0
	d, ok := timespecDeadline(req, abs, clock == linux.CLOCK_REALTIME)
	if !ok || d == 0 {
		return errno(linux.EINVAL)
	}
	if !sleepUntil(d) {
		return errno(linux.EINTR)
	}
	return 0
}

func putTimespec(addr uintptr, ns int64) bool {
	if !userRange(addr, 16, true) {
		return false
	}
	put64(addr, uint64(ns/1e9))
	put64(addr+8, uint64(ns%1e9))
	return true
}

// sysClockGettime implements Linux syscall clock_gettime(2).
func sysClockGettime(a sysArgs) uintptr {
	var ns int64
	switch a[0] {
	case linux.CLOCK_REALTIME, linux.CLOCK_REALTIME_COARSE, linux.CLOCK_TAI:
		ns = walltime()
	case linux.CLOCK_MONOTONIC, linux.CLOCK_MONOTONIC_RAW, linux.CLOCK_MONOTONIC_COARSE, linux.CLOCK_BOOTTIME:
		ns = nanotime()
	case linux.CLOCK_PROCESS_CPUTIME_ID, linux.CLOCK_THREAD_CPUTIME_ID:
		ns = nanotime()
	default:
		return errno(linux.EINVAL)
	}
	if !putTimespec(a[1], ns) {
		return errno(linux.EFAULT)
	}
	return 0
}

// sysClockGetres implements Linux syscall clock_getres(2).
func sysClockGetres(a sysArgs) uintptr {
	if a[1] != 0 && !putTimespec(a[1], 1) {
		return errno(linux.EFAULT)
	}
	return 0
}

// sysGettimeofday implements Linux syscall gettimeofday(2).
func sysGettimeofday(a sysArgs) uintptr {
	if tv := a[0]; tv != 0 {
		if !userRange(tv, 16, true) {
			return errno(linux.EFAULT)
		}
		ns := walltime()
		put64(tv, uint64(ns/1e9))
		put64(tv+8, uint64(ns%1e9/1000))
	}
	return 0
}

// sysTime implements Linux syscall time(2).
func sysTime(a sysArgs) uintptr {
	s := walltime() / 1e9
	if a[0] != 0 {
		if !userRange(a[0], 8, true) {
			return errno(linux.EFAULT)
		}
		put64(a[0], uint64(s))
	}
	return uintptr(s)
}

func unsafeSlice(addr, n uintptr) []byte { return unsafe.Slice((*byte)(kptr(addr)), n) }
