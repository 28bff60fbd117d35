package net

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestWaitLoop checks the runtime behaviour the bridge's sleep relies on,
// with a host eventfd: the waiting goroutine runs its work when the
// eventfd becomes readable and when another goroutine sets the read
// deadline in the past, and waits again afterwards (a past deadline is
// cleared, not left to spin).
func TestWaitLoop(t *testing.T) {
	fd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		t.Skipf("eventfd2: %v", e)
	}
	f := os.NewFile(fd, "test-eventfd")
	defer f.Close()
	signal := func() {
		one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
		if _, err := syscall.Write(int(fd), one); err != nil {
			t.Errorf("eventfd write: %v", err)
		}
	}
	consume := func() {
		var b [8]byte
		syscall.Read(int(fd), b[:])
	}

	const rounds = 3
	calls := make(chan int, 16)
	done := make(chan error, 1)
	n := 0
	go func() {
		done <- waitLoop(f, func() bool {
			consume()
			n++
			calls <- n
			return n == 1+2*rounds+1
		})
	}()
	next := func(how string) {
		t.Helper()
		select {
		case <-calls:
		case <-time.After(5 * time.Second):
			t.Fatalf("work did not run after %s", how)
		}
		select {
		case k := <-calls:
			t.Fatalf("work ran again (call %d) after %s with nothing to do", k, how)
		case <-time.After(50 * time.Millisecond):
		}
	}
	next("the first wait") // RawConn.Read tries the work before it waits
	for r := 0; r < rounds; r++ {
		f.SetReadDeadline(pastDeadline)
		next("a past deadline")
		signal()
		next("the eventfd became readable")
	}
	signal()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("waitLoop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waitLoop did not stop when its work said so")
	}
}
