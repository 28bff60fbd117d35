package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// File descriptors and the objects the kernel serves without a file system:
// the console, pipes, eventfds and epoll instances. Objects live in fixed
// pools and link by index (trap-context rules, ADR 0001).

const (
	maxFDs      = 1024
	maxFiles    = 1024
	maxPipes    = 1024
	maxEventfds = 256
	maxEpolls   = 16
	maxEpItems  = 1024
	pipeSize    = 64 << 10
)

type fileKind uint8

const (
	kindFree fileKind = iota
	kindConsole
	kindPipeRead
	kindPipeWrite
	kindEventfd
	kindEpoll
	kindVFS    // a file, directory or symlink of the file system (ino)
	kindDev    // a character device node (ino holds the node; its rdev says which)
	kindSocket // an Internet socket (obj indexes socks, socket.go)
)

// file is an open file description.
type file struct {
	kind  fileKind
	refs  int32
	obj   int32 // index into the kind's pool
	flags uint32
	// epHead lists the epoll registrations of this file (epoll.go):
	// index+1 into epitems, 0 = none.
	epHead int32

	// kindVFS, kindDev
	ino    vfs.Ino
	off    int64
	dirPos int64   // getdents64 cookie
	buf    uintptr // generated content (procfs), kmem
	bufLen uintptr

	rdwrFIFO bool // a FIFO opened O_RDWR: a read end that also writes
}

type fdEntry struct {
	file    int32 // index+1 into files; 0 = closed
	cloexec bool
}

type pipe struct {
	used       bool
	buf        uintptr // direct-map address of pipeSize bytes
	rpos, wpos uint64
	readers    int32
	writers    int32
	rfile      int32
	wfile      int32
	fifo       vfs.Ino // the named pipe (FIFO) this pipe serves, if any
}

type eventfd struct {
	used      bool
	count     uint64
	semaphore bool
	file      int32
}

var (
	fds      [maxFDs]fdEntry
	files    [maxFiles]file
	pipes    [maxPipes]pipe
	eventfds [maxEventfds]eventfd
	epolls   [maxEpolls]epoll
	epitems  [maxEpItems]epitem
)

// Wait keys for kernel wait queues (kept apart from program addresses by
// living in the upper half).
const (
	waitKeyPoll = directMapBase - 4096*1 // any readiness change: epoll waiters
	waitKeyPipe = directMapBase - 4096*2 // pipe data or space
	waitKeyEvfd = directMapBase - 4096*3 // eventfd counter
	waitKeyCons = directMapBase - 4096*4 // console input
)

func initFiles() {
	for i := 0; i < 3; i++ {
		f := newFile(kindConsole, 0, uint32(linux.O_RDWR))
		if haveFS {
			files[f].ino = consoleIno // /dev/console
			vfs.Ref(consoleIno)
		}
		fds[i].file = f + 1
	}
}

func newFile(kind fileKind, obj int32, flags uint32) int32 {
	for i := range files {
		if files[i].kind == kindFree {
			files[i] = file{kind: kind, refs: 1, obj: obj, flags: flags}
			return int32(i)
		}
	}
	return -1
}

// installFD puts file index f at the lowest free descriptor ≥ min.
func installFD(f int32, min int, cloexec bool) int {
	for i := min; i < maxFDs; i++ {
		if fds[i].file == 0 {
			fds[i] = fdEntry{file: f + 1, cloexec: cloexec}
			return i
		}
	}
	return -1
}

func fileOf(fd uintptr) (*file, int32, bool) {
	if fd >= maxFDs || fds[fd].file == 0 {
		return nil, 0, false
	}
	i := fds[fd].file - 1
	return &files[i], i, true
}

func releaseFile(i int32) {
	f := &files[i]
	f.refs--
	if f.refs > 0 {
		return
	}
	if f.rdwrFIFO {
		pipes[f.obj].writers--
	}
	releaseObject(f.kind, f.obj)
	if haveFS && f.ino != 0 {
		vfs.Unref(f.ino)
	}
	if haveFS && f.buf != 0 {
		kmem.Free(f.buf, f.bufLen)
	}
	fileEpollRelease(i)
	*f = file{}
	notify(i)
}

// releaseObject drops a file description's reference to its pool object.
func releaseObject(kind fileKind, obj int32) {
	switch kind {
	case kindPipeRead:
		p := &pipes[obj]
		p.readers--
		if p.readers == 0 && p.writers > 0 {
			notify(p.wfile) // EPOLLERR for the writers
		}
		pipeMaybeFree(p)
	case kindPipeWrite:
		p := &pipes[obj]
		p.writers--
		if p.writers == 0 && p.readers > 0 {
			notify(p.rfile) // EPOLLHUP for the readers
		}
		pipeMaybeFree(p)
	case kindEventfd:
		eventfds[obj].used = false
	case kindSocket:
		sockClosed(obj)
	case kindEpoll:
		epollFree(obj)
	}
}

func pipeMaybeFree(p *pipe) {
	if p.readers == 0 && p.writers == 0 {
		if p.buf != 0 {
			freePages(p.buf-directMapBase, pipeSize/4096)
		}
		if haveFS && p.fifo != 0 {
			vfs.SetAux(p.fifo, 0)
		}
		*p = pipe{}
	}
	wakeAll(waitKeyPipe)
}

// notify records a readiness change of file i: its epoll registrations
// go on their epolls' ready lists, whose waiters wake (epoll.go). With
// i < 0 it only wakes epoll waiters.
func notify(i int32) {
	if i < 0 {
		wakeAll(waitKeyPoll)
		return
	}
	for it := files[i].epHead; it != 0; it = epitems[it-1].fnext {
		epollQueue(it - 1)
	}
}

// waitOn blocks the current thread on a kernel wait key until wakeAll,
// a signal (returns false) or the deadline.
func waitOn(key uintptr, deadline int64) uint8 {
	if !schedRunning {
		// Boot (mounting file systems): no thread to put to sleep; poll the
		// devices' completion handlers instead, and let the caller recheck.
		pollDevices()
		return wakeNormal
	}
	t := cur()
	if t.sigPending&^t.sigMask != 0 {
		return wakeSignal
	}
	t.futexAddr = key
	t.futexBits = ^uint32(0)
	b := futexBucket(key)
	t.futexNext = *b
	*b = t.index()
	r := block(deadline)
	futexUnlink(t)
	return r
}

// waitIO blocks the current thread on key until wakeAll, whether or not a
// signal is pending: for waits that must end in the device's answer (a
// request in flight owns its buffers) or in another thread's release of a
// lock. Callers recheck their condition in a loop. Before the scheduler
// runs (boot), it polls the devices instead.
func waitIO(key uintptr) {
	if !schedRunning {
		pollDevices()
		return
	}
	t := cur()
	t.futexAddr = key
	t.futexBits = ^uint32(0)
	b := futexBucket(key)
	t.futexNext = *b
	*b = t.index()
	block(0)
	futexUnlink(t)
}

// wakeAll wakes the threads waiting on key (none before the scheduler
// runs: device completions at boot, before futexInit, must not touch the
// wait queues). Small enough to inline: most calls find nobody waiting.
func wakeAll(key uintptr) {
	if futexHead[(key>>2)%futexBuckets] >= 0 && schedRunning {
		futexWake(key, maxThreads, ^uint32(0))
	}
}

// readiness returns the poll events of file i now.
func readiness(i int32) uint32 {
	f := &files[i]
	switch f.kind {
	case kindConsole:
		ev := uint32(linux.EPOLLOUT)
		if consoleHasInput() {
			ev |= linux.EPOLLIN
		}
		return ev
	case kindPipeRead:
		p := &pipes[f.obj]
		var ev uint32
		if p.wpos != p.rpos {
			ev |= linux.EPOLLIN
		}
		if p.writers == 0 {
			ev |= linux.EPOLLHUP
		}
		return ev
	case kindPipeWrite:
		p := &pipes[f.obj]
		var ev uint32
		if p.wpos-p.rpos < pipeSize {
			ev |= linux.EPOLLOUT
		}
		if p.readers == 0 {
			ev |= linux.EPOLLERR
		}
		return ev
	case kindEventfd:
		e := &eventfds[f.obj]
		var ev uint32
		if e.count > 0 {
			ev |= linux.EPOLLIN
		}
		if e.count < ^uint64(0)-1 {
			ev |= linux.EPOLLOUT
		}
		return ev
	case kindEpoll:
		if epollReady(f.obj) {
			return linux.EPOLLIN
		}
	case kindSocket:
		return sockReadiness(f.obj)
	}
	return 0
}

func nonblock(f *file) bool { return f.flags&linux.O_NONBLOCK != 0 }

// Console.

// Console input: the UART's receive interrupt (ISA IRQ 4) drains its FIFO
// into consIn; readers block until it has bytes. Without the interrupt
// (no I/O APIC route), readers poll every 10 ms.
var (
	consIn     [4096]byte
	consHead   int // next byte to read
	consTail   int // next free slot
	consIRQ    bool
	consEvents uint32
)

const consoleIRQ = 4

// consoleInterrupt moves received bytes into consIn and wakes readers.
func consoleInterrupt() {
	tail := consTail
	for {
		c, ok := console.GetByte()
		if !ok {
			break
		}
		if c == '\r' {
			c = '\n'
		}
		if consTail-consHead < len(consIn) {
			consIn[consTail%len(consIn)] = c
			consTail++
		}
	}
	if consTail != tail {
		notifyConsole()
		wakeAll(waitKeyCons)
	}
}

func consoleHasInput() bool {
	if !consIRQ {
		consoleInterrupt() // poll
	}
	return consTail != consHead
}

func consoleRead(b []byte, nb bool) uintptr {
	for {
		if !consIRQ {
			consoleInterrupt()
		}
		n := 0
		for n < len(b) && consHead != consTail {
			c := consIn[consHead%len(consIn)]
			consHead++
			b[n] = c
			n++
			if c == '\n' {
				break
			}
		}
		if n > 0 {
			return uintptr(n)
		}
		if nb {
			return errno(linux.EAGAIN)
		}
		var deadline int64
		if !consIRQ {
			deadline = nanotime() + 10_000_000
		}
		if waitOn(waitKeyCons, deadline) == wakeSignal {
			return errno(linux.EINTR)
		}
	}
}

func consoleWrite(b []byte) uintptr {
	console.Write(b)
	return uintptr(len(b))
}

// Pipes.

func pipeRead(p *pipe, b []byte, nb bool) uintptr {
	for p.wpos == p.rpos {
		if p.writers == 0 {
			return 0
		}
		if nb {
			return errno(linux.EAGAIN)
		}
		if waitOn(waitKeyPipe, 0) == wakeSignal {
			return errno(linux.EINTR)
		}
	}
	n := 0
	for n < len(b) && p.rpos != p.wpos {
		b[n] = *(*byte)(kptr(p.buf + uintptr(p.rpos%pipeSize)))
		p.rpos++
		n++
	}
	notify(p.wfile)
	notify(p.rfile)
	wakeAll(waitKeyPipe)
	return uintptr(n)
}

func pipeWrite(p *pipe, b []byte, nb bool) uintptr {
	n := 0
	for n < len(b) {
		if p.readers == 0 {
			sendSignal(cur(), sigPIPE)
			if n > 0 {
				return uintptr(n)
			}
			return errno(linux.EPIPE)
		}
		if p.wpos-p.rpos == pipeSize {
			if nb {
				if n > 0 {
					return uintptr(n)
				}
				return errno(linux.EAGAIN)
			}
			if waitOn(waitKeyPipe, 0) == wakeSignal {
				if n > 0 {
					return uintptr(n)
				}
				return errno(linux.EINTR)
			}
			continue
		}
		if p.buf == 0 {
			// The buffer is allocated on the first write.
			pa, ok := allocPages(pipeSize / 4096)
			if !ok {
				if n > 0 {
					return uintptr(n)
				}
				return errno(linux.ENOMEM)
			}
			p.buf = directMapBase + pa
		}
		for n < len(b) && p.wpos-p.rpos < pipeSize {
			*(*byte)(kptr(p.buf + uintptr(p.wpos%pipeSize))) = b[n]
			p.wpos++
			n++
		}
		notify(p.rfile)
		notify(p.wfile)
		wakeAll(waitKeyPipe)
	}
	return uintptr(n)
}

// Eventfd.

func eventfdRead(e *eventfd, b []byte, nb bool) uintptr {
	if len(b) < 8 {
		return errno(linux.EINVAL)
	}
	for e.count == 0 {
		if nb {
			return errno(linux.EAGAIN)
		}
		if waitOn(waitKeyEvfd, 0) == wakeSignal {
			return errno(linux.EINTR)
		}
	}
	v := e.count
	if e.semaphore {
		v = 1
	}
	e.count -= v
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
	notify(e.file)
	wakeAll(waitKeyEvfd)
	return 8
}

func eventfdWrite(e *eventfd, b []byte, nb bool) uintptr {
	if len(b) < 8 {
		return errno(linux.EINVAL)
	}
	var v uint64
	for i := 0; i < 8; i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	if v == ^uint64(0) {
		return errno(linux.EINVAL)
	}
	for e.count+v < e.count || e.count+v == ^uint64(0) {
		if nb {
			return errno(linux.EAGAIN)
		}
		if waitOn(waitKeyEvfd, 0) == wakeSignal {
			return errno(linux.EINTR)
		}
	}
	e.count += v
	notify(e.file)
	wakeAll(waitKeyEvfd)
	return 8
}
