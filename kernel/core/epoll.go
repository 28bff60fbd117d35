package core

import "unigo.dev/unigo/kernel/abi/linux"

// epoll, as Linux keeps it (fs/eventpoll.c): every registration (an
// epitem) hangs on two lists besides its epoll's list of all items: the
// list of items watching the same open file, and, while it may have
// something to report, its epoll's ready list (Linux's rdllist). A
// readiness change of a file (notify) puts the file's items on their
// epolls' ready lists and wakes the waiters; epoll_wait looks only at the
// ready list, so a wait with nothing ready costs a few dozen instructions
// however many descriptors are registered (the Go netpoller registers
// every socket, and the runtime polls with a zero timeout from its
// scheduler several times per request).
//
// Collecting takes an item off the ready list and computes its readiness
// once. Edge-triggered items stay off until the next change; level-
// triggered items that reported something go back on (they are dropped
// at the next collection that finds them not ready); EPOLLONESHOT items
// are disabled until EPOLL_CTL_MOD re-arms them.
//
// Links are pool indices plus one, so that zeroed structs are empty lists.

type epitem struct {
	used     bool
	queued   bool // on the epoll's ready list
	disabled bool // EPOLLONESHOT fired; EPOLL_CTL_MOD re-arms
	ep       int32
	fd       int32
	file     int32
	events   uint32
	data     uint64
	next     int32 // the epoll's items (index, -1 ends)
	fnext    int32 // items watching the same file (index+1)
	rnext    int32 // the ready list (index+1)
}

type epoll struct {
	used       bool
	file       int32 // the epoll's own open file (nested epolls)
	items      int32 // head of the item list (index, -1 = none)
	ready      int32 // ready list head and tail (index+1)
	readyTail  int32
	readyCount int32
}

// epollQueue puts item it on its epoll's ready list, if it is not there
// already, and wakes epoll waiters. An epoll whose item changed is itself
// a file whose readiness changed: the epolls watching it hear of it too
// (nested epolls), as far as epollMaxNests levels, which also ends
// notification cycles (Linux's EP_MAX_NESTS).
func epollQueue(it int32) {
	x := &epitems[it]
	if x.disabled {
		return
	}
	e := &epolls[x.ep]
	if !x.queued {
		x.queued = true
		x.rnext = 0
		if e.readyTail == 0 {
			e.ready = it + 1
		} else {
			epitems[e.readyTail-1].rnext = it + 1
		}
		e.readyTail = it + 1
		e.readyCount++
		wakeAll(waitKeyPoll)
	}
	if f := e.file; f >= 0 && files[f].epHead != 0 && epollNests < epollMaxNests {
		epollNests++
		notify(f)
		epollNests--
	}
}

const epollMaxNests = 4

var epollNests int

// epollUnqueue takes item it off its epoll's ready list.
func epollUnqueue(it int32) {
	x := &epitems[it]
	if !x.queued {
		return
	}
	e := &epolls[x.ep]
	prev := int32(0)
	for p := e.ready; p != 0; p = epitems[p-1].rnext {
		if p == it+1 {
			if prev == 0 {
				e.ready = x.rnext
			} else {
				epitems[prev-1].rnext = x.rnext
			}
			if e.readyTail == it+1 {
				e.readyTail = prev
			}
			break
		}
		prev = p
	}
	x.queued = false
	x.rnext = 0
	e.readyCount--
}

// notifyConsole queues the epoll items of the console's open files (console
// input arrived; the console has no single file to notify).
func notifyConsole() {
	for i := range files {
		if files[i].kind == kindConsole && files[i].epHead != 0 {
			notify(int32(i))
		}
	}
	wakeAll(waitKeyPoll)
}

func epollFind(ep, fd, file int32) int32 {
	for it := epolls[ep].items; it >= 0; it = epitems[it].next {
		if epitems[it].fd == fd && epitems[it].file == file {
			return it
		}
	}
	return -1
}

// epollRemoveItem unlinks item it from every list it is on and frees it.
func epollRemoveItem(it int32) {
	x := &epitems[it]
	epollUnqueue(it)
	for p := &epolls[x.ep].items; *p >= 0; p = &epitems[*p].next {
		if *p == it {
			*p = x.next
			break
		}
	}
	for p := &files[x.file].epHead; *p != 0; p = &epitems[*p-1].fnext {
		if *p == it+1 {
			*p = x.fnext
			break
		}
	}
	*x = epitem{}
}

// epollFree releases epoll instance ep and its registrations.
func epollFree(ep int32) {
	for epolls[ep].items >= 0 {
		epollRemoveItem(epolls[ep].items)
	}
	epolls[ep] = epoll{}
}

// fileEpollRelease drops the registrations of file i (its last reference
// is gone).
func fileEpollRelease(i int32) {
	for files[i].epHead != 0 {
		epollRemoveItem(files[i].epHead - 1)
	}
}

// sysEpollCreate1 implements Linux syscall epoll_create1(2).
func sysEpollCreate1(a sysArgs) uintptr {
	if a[0]&^linux.EPOLL_CLOEXEC != 0 {
		return errno(linux.EINVAL)
	}
	ei := -1
	for i := range epolls {
		if !epolls[i].used {
			ei = i
			break
		}
	}
	if ei < 0 {
		return errno(linux.ENFILE)
	}
	epolls[ei] = epoll{used: true, items: -1, file: -1}
	fd, f := openFD(kindEpoll, int32(ei), linux.O_RDWR, a[0]&linux.EPOLL_CLOEXEC != 0)
	epolls[ei].file = f
	return fd
}

// sysEpollCreate implements Linux syscall epoll_create(2).
func sysEpollCreate(a sysArgs) uintptr {
	if int(a[0]) <= 0 {
		return errno(linux.EINVAL)
	}
	return sysEpollCreate1(sysArgs{0})
}

// sysEpollCtl implements Linux syscall epoll_ctl(2).
func sysEpollCtl(a sysArgs) uintptr {
	epfd, op, fd, evp := a[0], a[1], a[2], a[3]
	epf, _, ok := fileOf(epfd)
	if !ok {
		return errno(linux.EBADF)
	}
	tf, ti, ok := fileOf(fd)
	if !ok {
		return errno(linux.EBADF)
	}
	if epf.kind != kindEpoll || epfd == fd {
		return errno(linux.EINVAL)
	}
	if tf.kind == kindVFS || tf.kind == kindDev {
		return errno(linux.EPERM) // regular files and directories cannot be polled
	}
	ep := epf.obj
	var events uint32
	var data uint64
	if op != linux.EPOLL_CTL_DEL {
		if !userRange(evp, 12, false) {
			return errno(linux.EFAULT)
		}
		events = *(*uint32)(kptr(evp))
		data = *(*uint64)(kptr(evp + 4))
	}
	it := epollFind(ep, int32(fd), ti)
	switch op {
	case linux.EPOLL_CTL_ADD:
		if it >= 0 {
			return errno(linux.EEXIST)
		}
		for j := range epitems {
			if !epitems[j].used {
				epitems[j] = epitem{used: true, ep: ep, fd: int32(fd), file: ti, events: events, data: data,
					next: epolls[ep].items, fnext: files[ti].epHead}
				epolls[ep].items = int32(j)
				files[ti].epHead = int32(j) + 1
				epollQueue(int32(j)) // report what is ready now
				return 0
			}
		}
		return errno(linux.ENOSPC)
	case linux.EPOLL_CTL_MOD:
		if it < 0 {
			return errno(linux.ENOENT)
		}
		x := &epitems[it]
		x.events = events
		x.data = data
		x.disabled = false
		epollQueue(it)
		return 0
	case linux.EPOLL_CTL_DEL:
		if it < 0 {
			return errno(linux.ENOENT)
		}
		epollRemoveItem(it)
		return 0
	}
	return errno(linux.EINVAL)
}

const alwaysReported = linux.EPOLLERR | linux.EPOLLHUP

// epollCollect takes up to max ready events off epoll ep's ready list into
// the program buffer out and returns how many.
func epollCollect(ep int32, out uintptr, max int) int {
	e := &epolls[ep]
	n := 0
	var keep, keepTail int32 // level-triggered items that reported: back on the list
	// Each item queued when the collection starts is looked at once (an
	// item may be queued again while its readiness is computed).
	for budget := e.readyCount; budget > 0 && e.ready != 0 && n < max; budget-- {
		it := e.ready - 1
		x := &epitems[it]
		e.ready = x.rnext
		if e.ready == 0 {
			e.readyTail = 0
		}
		x.queued = false
		x.rnext = 0
		e.readyCount--
		ready := readiness(x.file) & (x.events | alwaysReported)
		if ready == 0 || x.disabled {
			continue
		}
		put32(out+uintptr(n)*12, ready)
		*(*uint64)(kptr(out + uintptr(n)*12 + 4)) = x.data
		n++
		switch {
		case x.events&linux.EPOLLONESHOT != 0:
			x.disabled = true
		case x.events&linux.EPOLLET == 0 && !x.queued:
			x.queued = true
			if keepTail == 0 {
				keep = it + 1
			} else {
				epitems[keepTail-1].rnext = it + 1
			}
			keepTail = it + 1
			e.readyCount++
		}
	}
	if keep != 0 {
		if e.readyTail == 0 {
			e.ready = keep
		} else {
			epitems[e.readyTail-1].rnext = keep
		}
		e.readyTail = keepTail
	}
	return n
}

// epollReady reports whether epoll ep has an event to report (the
// readiness of an epoll file): whether an item on its ready list is ready.
func epollReady(ep int32) bool {
	for p := epolls[ep].ready; p != 0; p = epitems[p-1].rnext {
		x := &epitems[p-1]
		if !x.disabled && readiness(x.file)&(x.events|alwaysReported) != 0 {
			return true
		}
	}
	return false
}

func epollWait(epfd, events, maxevents uintptr, timeout int) uintptr {
	f, _, ok := fileOf(epfd)
	if !ok {
		return errno(linux.EBADF)
	}
	if f.kind != kindEpoll || int(maxevents) <= 0 || maxevents > 1<<20 {
		return errno(linux.EINVAL)
	}
	e := &epolls[f.obj]
	if e.ready == 0 && timeout == 0 {
		// Nothing to report and no waiting (the Go scheduler's poll):
		// like Linux, check only that the buffer lies below the top of
		// user space (access_ok) before answering.
		if events > userTop || maxevents*12 > userTop-events {
			return errno(linux.EFAULT)
		}
		return 0
	}
	if !userRange(events, maxevents*12, true) {
		return errno(linux.EFAULT)
	}
	var deadline int64
	for {
		if e.ready != 0 {
			if n := epollCollect(f.obj, events, int(maxevents)); n > 0 {
				return uintptr(n)
			}
		}
		if timeout == 0 {
			return 0
		}
		if timeout > 0 && deadline == 0 {
			deadline = nanotime() + int64(timeout)*1_000_000
		}
		if deadline != 0 && nanotime() >= deadline {
			return 0
		}
		switch waitOn(waitKeyPoll, deadline) {
		case wakeSignal:
			return errno(linux.EINTR)
		case wakeTimeout:
			return 0
		}
	}
}

// sysEpollPwait implements Linux syscall epoll_pwait(2). The signal mask
// argument is applied for the duration of the wait.
func sysEpollPwait(a sysArgs) uintptr {
	if a[4] == 0 {
		return epollWait(a[0], a[1], a[2], int(int32(a[3])))
	}
	t := cur()
	old := t.sigMask
	if !userRange(a[4], 8, false) {
		return errno(linux.EFAULT)
	}
	t.sigMask = get64(a[4]) &^ unblockable
	r := epollWait(a[0], a[1], a[2], int(int32(a[3])))
	t.sigMask = old
	return r
}

// sysEpollWait implements Linux syscall epoll_wait(2).
func sysEpollWait(a sysArgs) uintptr { return epollWait(a[0], a[1], a[2], int(int32(a[3]))) }
