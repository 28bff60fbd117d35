package guest

import (
	"bytes"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func onUnigo() bool {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return false
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return strings.Contains(string(b), "unigo")
}

// faults reports whether f faults (SIGSEGV turned into a panic).
func faults(f func()) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			faulted = true
		}
	}()
	f()
	return false
}

func TestMmapMunmap(t *testing.T) {
	b, err := syscall.Mmap(-1, 0, 3*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	for i := range b {
		if b[i] != 0 {
			t.Fatalf("fresh anonymous memory not zero at %d", i)
		}
	}
	b[0], b[8191] = 1, 2
	p := unsafe.Pointer(&b[0])
	if err := syscall.Munmap(b); err != nil {
		t.Fatalf("munmap: %v", err)
	}
	if !faults(func() { _ = *(*byte)(p) }) {
		t.Error("reading unmapped memory did not fault")
	}
}

func TestMprotectReadOnly(t *testing.T) {
	b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(b)
	b[0] = 42
	if err := syscall.Mprotect(b, syscall.PROT_READ); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if b[0] != 42 {
		t.Errorf("content lost by mprotect: %d", b[0])
	}
	if !faults(func() { b[1] = 1 }) {
		t.Error("writing read-only memory did not fault")
	}
	if err := syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	b[1] = 1
}

func TestMadviseDontneedZeroes(t *testing.T) {
	b, err := syscall.Mmap(-1, 0, 8*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(b)
	for i := range b {
		b[i] = 0xAA
	}
	if err := syscall.Madvise(b[4096:3*4096], syscall.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if b[4096] != 0 || b[3*4096-1] != 0 {
		t.Error("MADV_DONTNEED did not zero the range")
	}
	if b[0] != 0xAA || b[3*4096] != 0xAA {
		t.Error("MADV_DONTNEED touched memory outside the range")
	}
}

func mmapRaw(addr, length, prot, flags uintptr) (uintptr, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, length, prot, flags, ^uintptr(0), 0)
	return r, e
}

func TestMmapHintAndFixedNoreplace(t *testing.T) {
	const hint = 0x3e0000000000
	addr, e := mmapRaw(hint, 1<<20, syscall.PROT_NONE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if e != 0 {
		t.Fatalf("mmap with hint: %v", e)
	}
	defer syscall.Syscall(syscall.SYS_MUNMAP, addr, 1<<20, 0)
	if addr != hint {
		t.Errorf("hint not honoured: got %#x; want %#x", addr, hint)
	}
	const mapFixedNoreplace = 0x100000
	if _, e := mmapRaw(hint+4096, 4096, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE|mapFixedNoreplace); e != syscall.EEXIST {
		t.Errorf("MAP_FIXED_NOREPLACE over a mapping = %v; want EEXIST", e)
	}
	// MAP_FIXED replaces part of it with accessible memory.
	r, e := mmapRaw(hint+4096, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_FIXED)
	if e != 0 || r != hint+4096 {
		t.Fatalf("MAP_FIXED = %#x, %v", r, e)
	}
	*(*byte)(addrPtr(r)) = 1
	if !faults(func() { _ = *(*byte)(addrPtr(hint)) }) {
		t.Error("PROT_NONE reservation is accessible")
	}
}

func TestWriteExecute(t *testing.T) {
	addr, e := mmapRaw(0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if onUnigo() {
		if e != syscall.EACCES {
			t.Errorf("W+X mmap on unigo = %v; want EACCES (W^X)", e)
		}
		return
	}
	if e == 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, addr, 4096, 0)
	}
}

func TestBadPointerIsEFAULT(t *testing.T) {
	_, _, e := syscall.Syscall(syscall.SYS_WRITE, 1, 0x10, 10)
	if e != syscall.EFAULT {
		t.Errorf("write from address 0x10 = %v; want EFAULT", e)
	}
	_, _, e = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, 0x7ff00000dead, 0)
	if e != syscall.EFAULT {
		t.Errorf("clock_gettime into an unmapped address = %v; want EFAULT", e)
	}
}

func TestUnknownSyscallIsENOSYS(t *testing.T) {
	_, _, e := syscall.Syscall(511, 0, 0, 0)
	if e != syscall.ENOSYS {
		t.Errorf("syscall 511 = %v; want ENOSYS", e)
	}
}

func TestNilDereferenceRecovers(t *testing.T) {
	var got any
	func() {
		defer func() { got = recover() }()
		var p *int
		_ = *p
	}()
	err, ok := got.(runtime.Error)
	if !ok || !strings.Contains(err.Error(), "nil pointer dereference") {
		t.Errorf("recover() = %v; want a nil pointer dereference runtime.Error", got)
	}
}

func TestAsyncPreemption(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		// No function calls: only asynchronous preemption (SIGURG
		// through tgkill) can take the CPU from this loop.
		n := 0
		for !stop.Load() {
			n++
		}
		_ = n
		close(done)
	}()
	time.Sleep(20 * time.Millisecond) // must return although the spinner never yields
	stop.Store(true)
	<-done
}

func TestPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("unigo"), 30000) // more than the pipe buffer
	go func() {
		w.Write(msg)
		w.Close()
	}()
	var got bytes.Buffer
	if _, err := got.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), msg) {
		t.Errorf("read %d bytes through the pipe; want %d", got.Len(), len(msg))
	}
	r.Close()
}

func TestEventfdEpoll(t *testing.T) {
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		t.Fatalf("eventfd2: %v", e)
	}
	defer syscall.Close(int(efd))
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | (syscall.EPOLLET & 0xffffffff), Fd: int32(efd)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &ev); err != nil {
		t.Fatal(err)
	}
	events := make([]syscall.EpollEvent, 4)
	if n, _ := syscall.EpollWait(ep, events, 0); n != 0 {
		t.Errorf("epoll_wait on an empty eventfd = %d events; want 0", n)
	}
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	if _, err := syscall.Write(int(efd), one); err != nil {
		t.Fatal(err)
	}
	n, err := syscall.EpollWait(ep, events, 1000)
	if err != nil || n != 1 || events[0].Fd != int32(efd) || events[0].Events&syscall.EPOLLIN == 0 {
		t.Fatalf("epoll_wait = %d, %v, %+v; want one EPOLLIN event", n, err, events[0])
	}
	// Edge-triggered: no new event until the counter changes again.
	if n, _ := syscall.EpollWait(ep, events, 0); n != 0 {
		t.Errorf("edge-triggered epoll reported the same edge twice")
	}
	buf := make([]byte, 8)
	if _, err := syscall.Read(int(efd), buf); err != nil || buf[0] != 1 {
		t.Errorf("eventfd read = %v, %v", buf, err)
	}
	if _, err := syscall.Read(int(efd), buf); err != syscall.EAGAIN {
		t.Errorf("read of an empty non-blocking eventfd = %v; want EAGAIN", err)
	}
}

func TestEpollTimeout(t *testing.T) {
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(ep)
	start := time.Now()
	n, err := syscall.EpollWait(ep, make([]syscall.EpollEvent, 1), 30)
	if n != 0 || err != nil {
		t.Fatalf("epoll_wait = %d, %v", n, err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("epoll_wait(30ms) returned after %v", d)
	}
}

func TestGetrandom(t *testing.T) {
	a, b := make([]byte, 32), make([]byte, 32)
	for _, buf := range [][]byte{a, b} {
		n, _, e := syscall.Syscall(318 /* getrandom */, uintptr(unsafe.Pointer(&buf[0])), 32, 0)
		if e != 0 || n != 32 {
			t.Fatalf("getrandom = %d, %v", n, e)
		}
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
		t.Error("getrandom returned repeated or zero bytes")
	}
}

func TestClocks(t *testing.T) {
	t0 := time.Now()
	time.Sleep(10 * time.Millisecond)
	if d := time.Since(t0); d < 10*time.Millisecond || d > 5*time.Second {
		t.Errorf("time.Sleep(10ms) took %v", d)
	}
	if y := time.Now().Year(); y < 2024 {
		t.Errorf("wall clock year %d: the RTC was not read", y)
	}
}

func TestSignalToSelf(t *testing.T) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	defer signal.Stop(c)
	if err := syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-c:
		if s != syscall.SIGUSR1 {
			t.Errorf("got %v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SIGUSR1 not delivered")
	}
}

func TestThreadsAndGettid(t *testing.T) {
	// Four goroutines hold their threads at the same time, so they must be
	// on four different threads (clone'd by the runtime).
	tids := make(chan int, 4)
	release := make(chan struct{})
	defer close(release)
	for i := 0; i < 4; i++ {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tids <- syscall.Gettid()
			<-release
		}()
	}
	seen := map[int]bool{}
	for i := 0; i < 4; i++ {
		tid := <-tids
		if tid <= 0 {
			t.Errorf("gettid = %d", tid)
		}
		seen[tid] = true
	}
	if len(seen) != 4 {
		t.Errorf("4 goroutines locked to threads at once ran on %d thread(s)", len(seen))
	}
}

func TestUname(t *testing.T) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatal(err)
	}
	if u.Machine[0] != 'x' {
		t.Errorf("machine = %v", u.Machine[:6])
	}
}

// addrPtr turns an address that is not Go memory (a raw mmap result) into a
// pointer, through memory so vet's unsafeptr check stays quiet.
func addrPtr(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }

// TestReservationCostsNoRAM: PROT_NONE reservations and untouched mappings
// take no memory until they are touched (demand paging); the Go runtime
// reserves gigabytes this way.
func TestReservationCostsNoRAM(t *testing.T) {
	free := func() uint64 {
		var si syscall.Sysinfo_t
		if err := syscall.Sysinfo(&si); err != nil {
			t.Fatal(err)
		}
		return si.Freeram * uint64(si.Unit)
	}
	before := free()
	const size = 1 << 30
	none, e := mmapRaw(0, size, syscall.PROT_NONE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_NORESERVE)
	if e != 0 {
		t.Fatalf("mmap 1 GiB PROT_NONE: %v", e)
	}
	defer syscall.Syscall(syscall.SYS_MUNMAP, none, size, 0)
	rw, e := mmapRaw(0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_NORESERVE)
	if e != 0 {
		t.Fatalf("mmap 1 GiB read-write: %v", e)
	}
	defer syscall.Syscall(syscall.SYS_MUNMAP, rw, size, 0)
	*(*byte)(addrPtr(rw + size/2)) = 1 // one page becomes resident
	after := free()
	// Other activity moves free memory a little on Linux; 2 GiB of
	// mappings backed eagerly would move it by 2 GiB (or fail).
	if before > after && before-after > 64<<20 {
		t.Errorf("2 GiB of untouched mappings took %d MiB of RAM", (before-after)>>20)
	}
}

// TestEpollSemantics checks level-triggered, edge-triggered and one-shot
// registrations, a hang-up seen edge-triggered, and an epoll inside an
// epoll, against what Linux does (the same test passes as a Linux process).
func TestEpollSemantics(t *testing.T) {
	const et = syscall.EPOLLET & 0xffffffff
	for _, tc := range []struct {
		name   string
		events uint32
		// want[i]: events reported by epoll_wait(timeout 0) after step i.
		steps []string
		want  []uint32
	}{
		{"level", syscall.EPOLLIN, []string{"wait", "write", "wait", "wait", "read", "wait"},
			[]uint32{0, 0, syscall.EPOLLIN, syscall.EPOLLIN, 0, 0}},
		{"edge", syscall.EPOLLIN | et, []string{"write", "wait", "wait", "write", "wait", "read", "wait"},
			[]uint32{0, syscall.EPOLLIN, 0, 0, syscall.EPOLLIN, 0, 0}},
		{"oneshot", syscall.EPOLLIN | syscall.EPOLLONESHOT, []string{"write", "wait", "wait", "write", "wait", "rearm", "wait"},
			[]uint32{0, syscall.EPOLLIN, 0, 0, 0, 0, syscall.EPOLLIN}},
		{"hangup-edge", syscall.EPOLLIN | syscall.EPOLLRDHUP | et, []string{"wait", "close", "wait", "wait"},
			[]uint32{0, 0, syscall.EPOLLHUP, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p [2]int
			if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(p[0])
			wclosed := false
			defer func() {
				if !wclosed {
					syscall.Close(p[1])
				}
			}()
			ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(ep)
			ev := syscall.EpollEvent{Events: tc.events, Fd: int32(p[0])}
			if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, p[0], &ev); err != nil {
				t.Fatal(err)
			}
			events := make([]syscall.EpollEvent, 4)
			for i, step := range tc.steps {
				var got uint32
				switch step {
				case "write":
					syscall.Write(p[1], []byte("x"))
				case "read":
					syscall.Read(p[0], make([]byte, 64))
				case "close":
					syscall.Close(p[1])
					wclosed = true
				case "rearm":
					if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_MOD, p[0], &ev); err != nil {
						t.Fatal(err)
					}
				case "wait":
					n, err := syscall.EpollWait(ep, events, 0)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range events[:n] {
						got |= e.Events
					}
				}
				if got != tc.want[i] {
					t.Errorf("step %d (%s): events %#x; want %#x", i, step, got, tc.want[i])
				}
			}
		})
	}
}

// TestEpollNested: an epoll file is readable while an epoll it watches has
// events, and an edge-triggered watch of it sees each new edge.
func TestEpollNested(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	inner, _ := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	outer, _ := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	defer syscall.Close(inner)
	defer syscall.Close(outer)
	if err := syscall.EpollCtl(inner, syscall.EPOLL_CTL_ADD, p[0], &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p[0])}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.EpollCtl(outer, syscall.EPOLL_CTL_ADD, inner, &syscall.EpollEvent{Events: syscall.EPOLLIN | (syscall.EPOLLET & 0xffffffff), Fd: int32(inner)}); err != nil {
		t.Fatal(err)
	}
	events := make([]syscall.EpollEvent, 4)
	if n, _ := syscall.EpollWait(outer, events, 0); n != 0 {
		t.Errorf("outer epoll reported %d events with nothing ready", n)
	}
	done := make(chan struct{})
	go func() {
		time.Sleep(10 * time.Millisecond)
		syscall.Write(p[1], []byte("x"))
		close(done)
	}()
	n, err := syscall.EpollWait(outer, events, 5000)
	if err != nil || n != 1 || events[0].Fd != int32(inner) || events[0].Events&syscall.EPOLLIN == 0 {
		t.Fatalf("outer epoll_wait = %d, %v, %+v; want EPOLLIN of the inner epoll", n, err, events[0])
	}
	<-done
	if n, _ := syscall.EpollWait(inner, events, 0); n != 1 || events[0].Fd != int32(p[0]) {
		t.Errorf("inner epoll_wait = %d events; want the pipe", n)
	}
}
