package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/random"
)

// Identity reported by uname(2).
const (
	unameSysname = "Linux"
	unameRelease = "6.1.0-unigo"
	unameVersion = "#1 SMP unigo"
	unameMachine = "x86_64"
)

var hostname = [65]byte{'u', 'n', 'i', 'g', 'o'}

// sysUname implements Linux syscall uname(2).
func sysUname(a sysArgs) uintptr {
	b, ok := userBytes(a[0], 6*65, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	clear(b)
	copy(b[0:], unameSysname)
	copy(b[65:], hostname[:64])
	copy(b[130:], unameRelease)
	copy(b[195:], unameVersion)
	copy(b[260:], unameMachine)
	copy(b[325:], "(none)")
	return 0
}

// sysGetid implements getuid(2), geteuid(2), getgid(2), getegid(2): root.
func sysGetid(a sysArgs) uintptr { return 0 }

// sysGetresid implements getresuid(2) and getresgid(2): all three are 0.
func sysGetresid(a sysArgs) uintptr {
	for _, p := range a[:3] {
		if !userRange(p, 4, true) {
			return errno(linux.EFAULT)
		}
		put32(p, 0)
	}
	return 0
}

// sysGetgroups implements Linux syscall getgroups(2): no supplementary
// groups.
func sysGetgroups(a sysArgs) uintptr { return 0 }

// sysSetid implements setuid(2), setgid(2), setreuid(2), setregid(2),
// setresuid(2), setresgid(2), setgroups(2), setfsuid(2) and setfsgid(2):
// one program running as root, so the change is accepted and identity
// stays root.
func sysSetid(a sysArgs) uintptr { return 0 }

// sysArchPrctl implements Linux syscall arch_prctl(2).
func sysArchPrctl(a sysArgs) uintptr {
	tf := cur().frame()
	switch a[0] {
	case linux.ARCH_SET_FS:
		tf.FS = a[1]
		return 0
	case linux.ARCH_GET_FS:
		if !userRange(a[1], 8, true) {
			return errno(linux.EFAULT)
		}
		put64(a[1], uint64(tf.FS))
		return 0
	}
	return errno(linux.EINVAL)
}

// sysPrctl implements Linux syscall prctl(2) for thread names.
func sysPrctl(a sysArgs) uintptr {
	t := cur()
	switch a[0] {
	case linux.PR_SET_NAME:
		b, ok := userBytes(a[1], 1, false)
		if !ok {
			return errno(linux.EFAULT)
		}
		_ = b
		for i := 0; i < threadNameSize-1; i++ {
			if !userRange(a[1]+uintptr(i), 1, false) {
				break
			}
			c := *(*byte)(kptr(a[1] + uintptr(i)))
			t.name[i] = c
			if c == 0 {
				break
			}
		}
		t.name[threadNameSize-1] = 0
		return 0
	case linux.PR_GET_NAME:
		b, ok := userBytes(a[1], threadNameSize, true)
		if !ok {
			return errno(linux.EFAULT)
		}
		copy(b, t.name[:])
		return 0
	}
	return errno(linux.EINVAL)
}

// sysGetrandom implements Linux syscall getrandom(2). The pool is seeded at
// boot, so it never blocks.
func sysGetrandom(a sysArgs) uintptr {
	n := a[1]
	if n > 1<<25 {
		n = 1 << 25
	}
	b, ok := userBytes(a[0], n, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	random.Read(b)
	return n
}

// sysSysinfo implements Linux syscall sysinfo(2).
func sysSysinfo(a sysArgs) uintptr {
	b, ok := userBytes(a[0], 112, true)
	if !ok {
		return errno(linux.EFAULT)
	}
	clear(b)
	put64(a[0], uint64(nanotime()/1e9))              // uptime
	put64(a[0]+32, uint64(frames.TotalPages()*4096)) // totalram
	put64(a[0]+40, uint64(frames.FreePages()*4096))  // freeram
	*(*uint16)(kptr(a[0] + 80)) = uint16(nthreads)   // procs
	put32(a[0]+104, 1)                               // mem_unit
	return 0
}

// userString copies a NUL-terminated string from the program into dst and
// returns its length; ok is false on a bad pointer or if it does not fit.
func userString(addr uintptr, dst []byte) (int, bool) {
	for i := 0; i < len(dst); i++ {
		if (addr+uintptr(i))&4095 == 0 || i == 0 {
			if !userRange(addr+uintptr(i), 1, false) {
				return 0, false
			}
		}
		c := *(*byte)(kptr(addr + uintptr(i)))
		if c == 0 {
			return i, true
		}
		dst[i] = c
	}
	return 0, false
}

var exePath = "/init"
