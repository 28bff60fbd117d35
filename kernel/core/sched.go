package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/vfs"
)

// Threads and the scheduler.
//
// One CPU for now. All scheduler state is touched only in the kernel, with
// interrupts disabled, so it needs no locks. Threads link by index; index 0
// is the idle thread, which runs only when nothing else can.

const (
	maxThreads     = 512
	kstackPages    = 8 // 32 KiB kernel stack per thread
	timeSlice      = 10_000_000
	threadNameSize = 16
)

// maxThreads is a power of two: handleSyscall masks the thread index.
const _ uint = -(maxThreads & (maxThreads - 1))

type threadState uint8

const (
	stateFree threadState = iota
	stateRunnable
	stateRunning
	stateBlocked
	stateDead
)

// wait results
const (
	wakeNormal  = 0
	wakeTimeout = 1
	wakeSignal  = 2
)

// A thread's file-system state (sys_fs.go): two path buffers, the inode
// references and scratch buffers a syscall holds until it returns.
const (
	pathPages = 2 * vfs.PathMax / 4096
	maxHeld   = 6 // inode references one syscall holds through hold
)

// Thread is a kernel thread: one program thread (a Go runtime M) or the idle
// loop.
type Thread struct {
	tid    int32
	state  threadState
	kernel bool // runs only kernel code (idle)
	ctx    amd64.KContext
	kstack uintptr // physical address of the kernel stack
	top    uintptr // direct-map address of its top

	next int32 // run queue or futex bucket link

	// Blocking.
	wakeAt     int64 // monotonic deadline, 0 = none
	timerNext  int32
	onTimer    bool
	waitResult uint8
	futexAddr  uintptr
	futexNext  int32
	futexBits  uint32

	sliceEnd int64

	// Signals.
	sigMask    uint64
	sigPending uint64
	fault      sigFault // details of a pending synchronous signal
	altSP      uintptr
	altSize    uintptr
	altFlags   int32

	clearChildTID uintptr
	name          [threadNameSize]byte
	paths         uintptr          // direct-map address of the path buffers (sys_fs.go), 0 until used
	held          [maxHeld]vfs.Ino // inode references dropped when the syscall returns
	nheld         int
	scratch       [2][2]uintptr // kmem buffers (address, size) freed when the syscall returns
	nscratch      int
}

// sigFault records what a synchronous signal (SIGSEGV, SIGBUS, SIGFPE,
// SIGILL) reports in its siginfo.
type sigFault struct {
	signo int32
	code  int32
	addr  uintptr
}

var (
	threads   [maxThreads]Thread
	current   int32 // index of the running thread
	runqHead  int32 = -1
	runqTail  int32 = -1
	timerHead int32 = -1
	nextTID   int32 = 1
	nthreads  int32

	// schedRunning is set once the first program thread runs; before
	// that (boot), waits poll devices instead of sleeping.
	schedRunning bool
)

func cur() *Thread { return &threads[current] }

func (t *Thread) frame() *amd64.TrapFrame { return amd64.UserFrame(t.top) }

func (t *Thread) index() int32 {
	return int32((uintptr(unsafe.Pointer(t)) - uintptr(unsafe.Pointer(&threads[0]))) / unsafe.Sizeof(threads[0]))
}

// newThread allocates a thread slot and a kernel stack.
func newThread() (*Thread, bool) {
	for i := 1; i < maxThreads; i++ {
		t := &threads[i]
		if t.state != stateFree {
			continue
		}
		pa, ok := allocPages(kstackPages)
		if !ok {
			return nil, false
		}
		*t = Thread{}
		t.kstack = pa
		t.top = directMapBase + pa + kstackPages*4096
		t.tid = nextTID
		nextTID++
		t.next = -1
		t.timerNext = -1
		t.futexNext = -1
		t.state = stateBlocked
		nthreads++
		return t, true
	}
	return nil, false
}

// freeThread releases a dead thread's resources. It must not be the
// current thread (its stack is in use).
func freeThread(t *Thread) {
	freePages(t.kstack, kstackPages)
	if t.paths != 0 {
		freePages(t.paths-directMapBase, pathPages)
	}
	t.state = stateFree
	nthreads--
}

func enqueue(t *Thread) {
	t.state = stateRunnable
	t.next = -1
	i := t.index()
	if runqTail < 0 {
		runqHead = i
	} else {
		threads[runqTail].next = i
	}
	runqTail = i
	// The running program thread must now give up the CPU at the end of
	// its slice; the one-shot timer may be off or set for a later sleeper
	// (a thread spinning in user mode, reading the clock through the vDSO,
	// would otherwise never be preempted, nor get its SIGURG).
	if c := cur(); c != t && !c.kernel && (timerArmedAt == 0 || timerArmedAt > c.sliceEnd) {
		timerArm(c.sliceEnd)
	}
}

func dequeue() int32 {
	i := runqHead
	if i < 0 {
		return -1
	}
	runqHead = threads[i].next
	if runqHead < 0 {
		runqTail = -1
	}
	threads[i].next = -1
	return i
}

// deadThreads holds one thread whose stack can be freed once we are off it.
var reapPending int32 = -1

// schedule switches to the next runnable thread, or to the idle thread.
// The caller has already put the current thread where it belongs (run
// queue, a wait list, or dead).
func schedule() {
	prev := current
	next := dequeue()
	if next < 0 {
		next = 0
	}
	if next == prev {
		threads[prev].state = stateRunning
		return
	}
	t := &threads[next]
	t.state = stateRunning
	t.sliceEnd = nanotime() + timeSlice
	current = next
	armTimer()
	amd64.Switch(&threads[prev].ctx, &t.ctx)
	// Back on prev's stack.
	if reapPending >= 0 && reapPending != current {
		freeThread(&threads[reapPending])
		reapPending = -1
	}
}

// yield puts the current thread at the back of the run queue.
func yield() {
	t := cur()
	if t.kernel {
		schedule()
		return
	}
	enqueue(t)
	schedule()
}

// block puts the current thread to sleep until wakeup, or until the
// monotonic deadline (0 = none), and returns why it woke.
func block(deadline int64) uint8 {
	t := cur()
	t.state = stateBlocked
	t.waitResult = wakeNormal
	if deadline != 0 {
		timerAdd(t, deadline)
	}
	schedule()
	return t.waitResult
}

// wakeup makes a blocked thread runnable with the given wait result.
func wakeup(t *Thread, result uint8) {
	if t.state != stateBlocked {
		return
	}
	if t.onTimer {
		timerRemove(t)
	}
	t.waitResult = result
	enqueue(t)
}

func timerAdd(t *Thread, deadline int64) {
	t.wakeAt = deadline
	t.onTimer = true
	i := t.index()
	p := &timerHead
	for *p >= 0 && threads[*p].wakeAt <= deadline {
		p = &threads[*p].timerNext
	}
	t.timerNext = *p
	*p = i
	armTimer()
}

func timerRemove(t *Thread) {
	i := t.index()
	p := &timerHead
	for *p >= 0 {
		if *p == i {
			*p = t.timerNext
			break
		}
		p = &threads[*p].timerNext
	}
	t.onTimer = false
	t.timerNext = -1
}

// expireTimers wakes the threads whose deadline has passed.
func expireTimers(now int64) {
	for timerHead >= 0 && threads[timerHead].wakeAt <= now {
		t := &threads[timerHead]
		timerHead = t.timerNext
		t.onTimer = false
		t.timerNext = -1
		if t.state == stateBlocked {
			t.waitResult = wakeTimeout
			enqueue(t)
		}
	}
}

// armTimer programs the one-shot timer for the next event: the earliest
// sleeper or the kernel TCP's next deadline, or the end of the current
// time slice when others wait to run.
func armTimer() {
	var next int64
	if timerHead >= 0 {
		next = threads[timerHead].wakeAt
	}
	if d := ktDeadline(); d != 0 && (next == 0 || d < next) {
		next = d
	}
	if runqHead >= 0 && !cur().kernel {
		if s := cur().sliceEnd; next == 0 || s < next {
			next = s
		}
	}
	timerArm(next)
}

// timerInterrupt runs on every local APIC timer interrupt.
func timerInterrupt(tf *amd64.TrapFrame) {
	timerArmedAt = 0 // it fired: off until armed again
	now := nanotime()
	expireTimers(now)
	ktTimer(now)
	t := cur()
	if runqHead >= 0 && (t.kernel || now >= t.sliceEnd) {
		yield()
	}
	armTimer()
}

// idleLoop runs when no thread is runnable: halt until an interrupt.
func idleLoop() {
	for {
		if runqHead >= 0 {
			schedule()
			continue
		}
		netIdle()
		if runqHead >= 0 {
			continue
		}
		amd64.Hlt()
	}
}

// startIdle creates thread 0, the idle loop, and makes the boot context its
// first switch-away point.
func initThreads() {
	idle := &threads[0]
	pa, ok := allocPages(kstackPages)
	if !ok {
		fatal("sched: no memory for the idle stack")
	}
	idle.kstack = pa
	idle.top = directMapBase + pa + kstackPages*4096
	idle.kernel = true
	idle.tid = 0
	idle.next = -1
	idle.timerNext = -1
	idle.futexNext = -1
	idle.state = stateRunning
	amd64.InitKernelThread(&idle.ctx, directMapBase+pa, idle.top, idleLoop)
	copy(idle.name[:], "idle")
}
