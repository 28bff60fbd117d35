// Command nofiles names no files, so unigo build links it with the kernel
// that has no file system (ADR 0010). It checks what such a program can
// still do — print, read standard input, use pipes, timers and
// goroutines — and that the calls that would need a file system fail
// cleanly, as they would on Linux for a missing path or a descriptor of
// the wrong kind. The file calls are made through syscall.Syscall with
// their numbers, so that none of the syscall package's path functions
// (which would give the program a file system) is linked.
//
// It prints one line per check and "nofiles: ok" or the failures, then
// echoes standard input in upper case until "quit".
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

var failed int

func check(what string, got, want syscall.Errno) {
	if got != want {
		failed++
		fmt.Printf("FAIL %s: errno %d (%v); want %d (%v)\n", what, int(got), got, int(want), want)
		return
	}
	fmt.Printf("%s: %v\n", what, errName(got))
}

func errName(e syscall.Errno) string {
	if e == 0 {
		return "ok"
	}
	return e.Error()
}

func cstr(s string) uintptr { return uintptr(unsafe.Pointer(&append([]byte(s), 0)[0])) }

func sys(nr uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var args [6]uintptr
	copy(args[:], a)
	r, _, e := syscall.Syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
	return r, e
}

const atFDCWD = ^uintptr(99) // AT_FDCWD, -100

func main() {
	fmt.Println("nofiles: hello", os.Args[1:])

	// Paths name nothing.
	_, e := sys(syscall.SYS_OPENAT, atFDCWD, cstr("/etc/hosts"), syscall.O_RDONLY)
	check("openat /etc/hosts", e, syscall.ENOENT)
	_, e = sys(syscall.SYS_OPENAT, atFDCWD, cstr("/tmp/new"), syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	check("openat O_CREAT /tmp/new", e, syscall.ENOENT)
	var st syscall.Stat_t
	_, e = sys(syscall.SYS_NEWFSTATAT, atFDCWD, cstr("/"), uintptr(unsafe.Pointer(&st)), 0)
	check("newfstatat /", e, syscall.ENOENT)
	_, e = sys(syscall.SYS_MKDIRAT, atFDCWD, cstr("/d"), 0o755)
	check("mkdirat /d", e, syscall.ENOENT)
	buf := make([]byte, 256)
	_, e = sys(syscall.SYS_GETCWD, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	check("getcwd", e, syscall.ENOENT)
	_, e = sys(syscall.SYS_MOUNT, cstr("share"), cstr("/mnt"), cstr("9p"), 0, 0)
	check("mount", e, syscall.ENODEV)

	// The console is descriptors 0, 1 and 2.
	_, e = sys(syscall.SYS_FSTAT, 1, uintptr(unsafe.Pointer(&st)))
	check("fstat 1", e, 0)
	fmt.Printf("fstat 1: character device %v\n", st.Mode&syscall.S_IFMT == syscall.S_IFCHR)
	var termios [64]byte
	_, e = sys(syscall.SYS_IOCTL, 0, syscall.TCGETS, uintptr(unsafe.Pointer(&termios[0])))
	check("ioctl 0 TCGETS", e, 0)
	_, e = sys(syscall.SYS_LSEEK, 1, 0, 0)
	check("lseek 1", e, syscall.ESPIPE)
	_, e = sys(syscall.SYS_FSYNC, 1)
	check("fsync 1", e, syscall.EINVAL)
	_, e = sys(syscall.SYS_GETDENTS64, 0, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	check("getdents64 0", e, syscall.ENOTDIR)
	_, e = sys(syscall.SYS_FSYNC, 99)
	check("fsync 99", e, syscall.EBADF)

	// Pipes.
	r, w, err := os.Pipe()
	if err != nil {
		failed++
		fmt.Println("FAIL pipe:", err)
	} else {
		go func() {
			w.Write([]byte("through the pipe"))
			w.Close()
		}()
		b := make([]byte, 64)
		n, _ := r.Read(b)
		fmt.Printf("pipe: %q\n", b[:n])
		_, e = sys(syscall.SYS_PREAD64, r.Fd(), uintptr(unsafe.Pointer(&b[0])), 1, 0)
		check("pread64 pipe", e, syscall.ESPIPE)
	}

	// Timers and goroutines (the netpoller's epoll and eventfd).
	start := time.Now()
	done := make(chan bool)
	go func() { time.Sleep(20 * time.Millisecond); done <- true }()
	<-done
	fmt.Println("timer:", time.Since(start) >= 20*time.Millisecond)

	if failed == 0 {
		fmt.Println("nofiles: ok")
	} else {
		fmt.Printf("nofiles: %d failed\n", failed)
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "quit" {
			break
		}
		fmt.Println(strings.ToUpper(sc.Text()))
	}
	fmt.Println("bye")
	if failed > 0 {
		os.Exit(1)
	}
}
