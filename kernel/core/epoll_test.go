package core

import (
	"testing"
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
)

// resetEpoll empties the file, eventfd and epoll pools.
func resetEpoll() {
	files = [maxFiles]file{}
	eventfds = [maxEventfds]eventfd{}
	epolls = [maxEpolls]epoll{}
	epitems = [maxEpItems]epitem{}
	epollNests = 0
}

// testEventfd makes an eventfd file with counter count.
func testEventfd(t *testing.T, count uint64) int32 {
	t.Helper()
	for i := range eventfds {
		if !eventfds[i].used {
			f := newFile(kindEventfd, int32(i), linux.O_RDWR)
			eventfds[i] = eventfd{used: true, count: count, file: f}
			return f
		}
	}
	t.Fatal("no free eventfd")
	return -1
}

// testEpoll makes an epoll instance and its file.
func testEpoll(t *testing.T) (ep, f int32) {
	t.Helper()
	for i := range epolls {
		if !epolls[i].used {
			f := newFile(kindEpoll, int32(i), linux.O_RDWR)
			epolls[i] = epoll{used: true, items: -1, file: f}
			return int32(i), f
		}
	}
	t.Fatal("no free epoll")
	return -1, -1
}

// testAdd registers file f in ep as EPOLL_CTL_ADD does.
func testAdd(t *testing.T, ep, f int32, events uint32) int32 {
	t.Helper()
	for j := range epitems {
		if !epitems[j].used {
			epitems[j] = epitem{used: true, ep: ep, fd: f, file: f, events: events, data: uint64(f),
				next: epolls[ep].items, fnext: files[f].epHead}
			epolls[ep].items = int32(j)
			files[f].epHead = int32(j) + 1
			epollQueue(int32(j))
			return int32(j)
		}
	}
	t.Fatal("no free epitem")
	return -1
}

// collect runs epollCollect into a buffer and returns the events by data.
func collect(ep int32) map[uint64]uint32 {
	var buf [16 * 12]byte
	n := epollCollect(ep, uintptr(unsafe.Pointer(&buf[0])), 16)
	got := map[uint64]uint32{}
	for k := 0; k < n; k++ {
		ev := *(*uint32)(unsafe.Pointer(&buf[k*12]))
		data := *(*uint64)(unsafe.Pointer(&buf[k*12+4]))
		got[data] |= ev
	}
	return got
}

// checkReadyList verifies the ready list's links, tail and count.
func checkReadyList(t *testing.T, ep int32) {
	t.Helper()
	e := &epolls[ep]
	n, last := int32(0), int32(0)
	for p := e.ready; p != 0; p = epitems[p-1].rnext {
		if !epitems[p-1].queued || epitems[p-1].ep != ep {
			t.Fatalf("item %d on epoll %d's ready list: queued %v, epoll %d", p-1, ep, epitems[p-1].queued, epitems[p-1].ep)
		}
		last = p
		if n++; n > maxEpItems {
			t.Fatal("ready list loops")
		}
	}
	if e.readyTail != last || e.readyCount != n {
		t.Fatalf("ready list: tail %d, count %d; walked to %d, %d items", e.readyTail, e.readyCount, last, n)
	}
}

// epollStep sets an eventfd's counter (-1: leaves it), notifies when told,
// re-arms a one-shot item when told, then collects: want is what is
// reported.
type epollStep struct {
	count  int
	notify bool
	rearm  bool
	want   uint32
}

func TestEpollReadyList(t *testing.T) {
	const in = linux.EPOLLIN
	et := uint32(linux.EPOLLET)
	tests := []struct {
		name   string
		events uint32
		steps  []epollStep
	}{
		{"level", in, []epollStep{
			{-1, false, false, 0},
			{1, true, false, in},
			{-1, false, false, in}, // still ready: reported again
			{0, true, false, 0},
			{-1, false, false, 0},
		}},
		{"edge", in | et, []epollStep{
			{1, true, false, in},
			{-1, false, false, 0}, // no new edge
			{2, true, false, in},
			{-1, false, false, 0},
		}},
		{"oneshot", in | linux.EPOLLONESHOT, []epollStep{
			{1, true, false, in},
			{2, true, false, 0}, // disabled until re-armed
			{-1, false, true, in},
			{-1, false, false, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resetEpoll()
			f := testEventfd(t, 0)
			ep, _ := testEpoll(t)
			it := testAdd(t, ep, f, tt.events)
			for i, s := range tt.steps {
				if s.count >= 0 {
					eventfds[files[f].obj].count = uint64(s.count)
				}
				if s.notify {
					notify(f)
				}
				if s.rearm {
					epitems[it].disabled = false
					epollQueue(it)
				}
				got := collect(ep)[uint64(f)]
				if got != s.want {
					t.Errorf("step %d: events %#x; want %#x", i, got, s.want)
				}
				checkReadyList(t, ep)
			}
		})
	}
}

// TestEpollRemoveQueued: removing queued items (EPOLL_CTL_DEL, close) from
// the middle, the head and the tail keeps the ready list sound, and a
// closed file's registrations all go.
func TestEpollRemoveQueued(t *testing.T) {
	resetEpoll()
	ep, _ := testEpoll(t)
	var fs, its [5]int32
	for k := range fs {
		fs[k] = testEventfd(t, 1)
		its[k] = testAdd(t, ep, fs[k], linux.EPOLLIN)
	}
	checkReadyList(t, ep)
	for _, k := range []int{2, 0, 4} {
		epollRemoveItem(its[k])
		checkReadyList(t, ep)
	}
	got := collect(ep)
	if len(got) != 2 || got[uint64(fs[1])] != linux.EPOLLIN || got[uint64(fs[3])] != linux.EPOLLIN {
		t.Errorf("after removing three of five: %v; want files %d and %d", got, fs[1], fs[3])
	}
	// A second epoll watching file 1 too; closing the file drops both.
	ep2, _ := testEpoll(t)
	testAdd(t, ep2, fs[1], linux.EPOLLIN)
	fileEpollRelease(fs[1])
	if files[fs[1]].epHead != 0 {
		t.Error("file still has registrations after release")
	}
	checkReadyList(t, ep)
	checkReadyList(t, ep2)
	if got := collect(ep2); len(got) != 0 {
		t.Errorf("epoll of a released file reports %v", got)
	}
	epollFree(ep)
	if files[fs[3]].epHead != 0 {
		t.Error("freeing an epoll left its items on their files")
	}
}

// TestEpollNestedCycle: two epolls watching each other (Linux refuses
// that with ELOOP; here the nesting limit ends the notifications) and an
// epoll that watches an epoll that has a ready item.
func TestEpollNestedCycle(t *testing.T) {
	resetEpoll()
	e1, f1 := testEpoll(t)
	e2, f2 := testEpoll(t)
	testAdd(t, e1, f2, linux.EPOLLIN)
	testAdd(t, e2, f1, linux.EPOLLIN)
	f := testEventfd(t, 1)
	testAdd(t, e1, f, linux.EPOLLIN)
	notify(f) // must end
	if epollNests != 0 {
		t.Errorf("nesting depth %d after notify; want 0", epollNests)
	}
	checkReadyList(t, e1)
	checkReadyList(t, e2)
	if got := collect(e2)[uint64(f1)]; got != linux.EPOLLIN {
		t.Errorf("outer epoll: %#x for the inner one; want EPOLLIN", got)
	}
}
