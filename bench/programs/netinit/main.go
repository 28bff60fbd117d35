// Command netinit is /init of the HTTP benchmark's Linux guest (Debian's
// cloud kernel, whose virtio drivers are modules): it loads the modules
// found in /modules (in the order of /modules/order), brings up lo and
// eth0 with QEMU user networking's address (10.0.2.15/24, gateway
// 10.0.2.2), then execs /httpserver with its own arguments, so the server
// runs as PID 1 as it does in the unikernel.
//
// Before that it prints, from /proc/kallsyms, the kernel's _text and the
// text symbols of the modules (with BENCH_KALLSYMS=all on the kernel
// command line: all text symbols), each line prefixed "netinit: kallsyms
// ", then "netinit: kallsyms end". The benchmark symbolises the guest's
// instruction profile with them: KASLR moves the kernel and the modules
// on every boot, and Debian ships no real System.map outside its -dbg
// package, so the benchmark takes the kernel's symbols from one boot with
// BENCH_KALLSYMS=all, relative to _text, and each boot's _text and
// modules from that boot.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if err := setup(); err != nil {
		fmt.Println("netinit:", err)
		time.Sleep(time.Second)
		os.Exit(1)
	}
	if err := printKallsyms(); err != nil {
		fmt.Println("netinit: kallsyms:", err)
	}
	argv := append([]string{"/httpserver"}, os.Args[1:]...)
	err := syscall.Exec("/httpserver", argv, os.Environ())
	fmt.Println("netinit: exec /httpserver:", err)
	os.Exit(1)
}

// sysFinitModule is finit_module(2) on x86-64 (the syscall package lacks it).
const sysFinitModule = 313

func setup() error {
	order, err := os.ReadFile("/modules/order")
	if err != nil {
		return err
	}
	for _, name := range strings.Fields(string(order)) {
		f, err := os.Open("/modules/" + name)
		if err != nil {
			return err
		}
		params := []byte{0}
		_, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(&params[0])), 0)
		f.Close()
		if e != 0 && e != syscall.EEXIST {
			return fmt.Errorf("loading %s: %v", name, e)
		}
	}
	for i := 0; ; i++ {
		if _, err := net.InterfaceByName("eth0"); err == nil {
			break
		}
		if i == 500 {
			return fmt.Errorf("no eth0 after loading the modules")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if err := ifUp(fd, "lo"); err != nil {
		return err
	}
	if err := ifAddr(fd, "eth0", syscall.SIOCSIFADDR, [4]byte{10, 0, 2, 15}); err != nil {
		return err
	}
	if err := ifAddr(fd, "eth0", syscall.SIOCSIFNETMASK, [4]byte{255, 255, 255, 0}); err != nil {
		return err
	}
	return ifUp(fd, "eth0")
}

// ifreq is struct ifreq with a sockaddr_in or the flags.
type ifreq struct {
	name [16]byte
	data [24]byte
}

func ioctl(fd int, req uintptr, r *ifreq) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(r))); e != 0 {
		return e
	}
	return nil
}

func ifAddr(fd int, name string, req uintptr, ip [4]byte) error {
	var r ifreq
	copy(r.name[:], name)
	r.data[0] = syscall.AF_INET
	copy(r.data[4:], ip[:])
	if err := ioctl(fd, req, &r); err != nil {
		return fmt.Errorf("%s: ioctl %#x: %v", name, req, err)
	}
	return nil
}

func ifUp(fd int, name string) error {
	var r ifreq
	copy(r.name[:], name)
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, &r); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	*(*uint16)(unsafe.Pointer(&r.data[0])) |= syscall.IFF_UP | syscall.IFF_RUNNING
	if err := ioctl(fd, syscall.SIOCSIFFLAGS, &r); err != nil {
		return fmt.Errorf("%s up: %v", name, err)
	}
	return nil
}

// printKallsyms mounts /proc for a moment and prints the lines of
// /proc/kallsyms that locate the kernel (_text) and the modules' code.
func printKallsyms() error {
	if err := os.MkdirAll("/proc", 0o555); err != nil {
		return err
	}
	if err := syscall.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		return fmt.Errorf("mount /proc: %v", err)
	}
	defer syscall.Unmount("/proc", 0)
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return err
	}
	defer f.Close()
	all := os.Getenv("BENCH_KALLSYMS") == "all"
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// "ADDR TYPE NAME" or "ADDR TYPE NAME\t[MODULE]"
		fields := strings.Fields(line)
		text := len(fields) >= 3 && (fields[1] == "t" || fields[1] == "T")
		if len(fields) == 3 && fields[2] == "_text" || text && (len(fields) == 4 || all) {
			out.WriteString("netinit: kallsyms " + line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	out.WriteString("netinit: kallsyms end\n")
	_, err = os.Stdout.Write(out.Bytes())
	return err
}
