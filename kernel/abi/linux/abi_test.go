package linux

import "testing"

func TestErrno(t *testing.T) {
	for _, tc := range []struct {
		e    Errno
		ret  uintptr
		name string
		desc string
	}{
		{EPERM, ^uintptr(0), "EPERM", "Operation not permitted"},
		{ENOENT, ^uintptr(1), "ENOENT", "No such file or directory"},
		{EAGAIN, ^uintptr(10), "EAGAIN", "Try again"},
		{ENOSYS, ^uintptr(37), "ENOSYS", "Invalid system call number"},
		{EPROTONOSUPPORT, ^uintptr(92), "EPROTONOSUPPORT", "Protocol not supported"},
		{EHWPOISON, ^uintptr(132), "EHWPOISON", "Memory page has hardware error"},
	} {
		if got := tc.e.Ret(); got != tc.ret {
			t.Errorf("%s.Ret() = %#x; want %#x", tc.name, got, tc.ret)
		}
		if got := int64(tc.e.Ret()); got != -int64(tc.e) {
			t.Errorf("int64(%s.Ret()) = %d; want %d", tc.name, got, -int64(tc.e))
		}
		if got := ErrnoName(tc.e); got != tc.name {
			t.Errorf("ErrnoName(%d) = %q; want %q", tc.e, got, tc.name)
		}
		if got := tc.e.Error(); got != tc.desc {
			t.Errorf("Errno(%d).Error() = %q; want %q", tc.e, got, tc.desc)
		}
	}
	if MaxErrno != 133 {
		t.Errorf("MaxErrno = %d; want 133", MaxErrno)
	}
	// Numbers Linux leaves unassigned have no name.
	for _, e := range []Errno{0, 41, 58, MaxErrno + 1, 4095} {
		if got := ErrnoName(e); got != "" {
			t.Errorf("ErrnoName(%d) = %q; want \"\"", e, got)
		}
	}
	n := 0
	for e := Errno(1); e <= MaxErrno; e++ {
		if ErrnoName(e) != "" {
			n++
		}
	}
	if n != 131 {
		t.Errorf("%d named errnos in 1..%d; want 131 (41 and 58 are unused)", n, MaxErrno)
	}
	if EWOULDBLOCK != EAGAIN || EDEADLOCK != EDEADLK {
		t.Errorf("aliases: EWOULDBLOCK = %d, EDEADLOCK = %d", EWOULDBLOCK, EDEADLOCK)
	}
}

func TestErrnoNoAlloc(t *testing.T) {
	e := ENOMEM
	var s string
	if n := testing.AllocsPerRun(100, func() {
		s = ErrnoName(e)
		s = e.Error()
	}); n != 0 {
		t.Errorf("ErrnoName and Error allocate %v times; want 0", n)
	}
	_ = s
}

func TestSyscallNumbers(t *testing.T) {
	for _, tc := range []struct {
		nr   int
		name string
	}{
		{SYS_READ, "read"},
		{SYS_WRITE, "write"},
		{SYS_MMAP, "mmap"},
		{SYS_RT_SIGACTION, "rt_sigaction"},
		{SYS_RT_SIGRETURN, "rt_sigreturn"},
		{SYS_CLONE, "clone"},
		{SYS_EXIT, "exit"},
		{SYS_UNAME, "uname"},
		{SYS_ARCH_PRCTL, "arch_prctl"},
		{SYS_GETTID, "gettid"},
		{SYS_FUTEX, "futex"},
		{SYS_SCHED_GETAFFINITY, "sched_getaffinity"},
		{SYS_EXIT_GROUP, "exit_group"},
		{SYS_TGKILL, "tgkill"},
		{SYS_OPENAT, "openat"},
		{SYS_NEWFSTATAT, "newfstatat"},
		{SYS_EPOLL_PWAIT, "epoll_pwait"},
		{SYS_EVENTFD2, "eventfd2"},
		{SYS_EPOLL_CREATE1, "epoll_create1"},
		{SYS_PIPE2, "pipe2"},
		{SYS_PRLIMIT64, "prlimit64"},
		{SYS_GETRANDOM, "getrandom"},
		{SYS_STATX, "statx"},
		{SYS_RSEQ, "rseq"},
		{SYS_URETPROBE, "uretprobe"},
		{SYS_PIDFD_SEND_SIGNAL, "pidfd_send_signal"},
		{SYS_CLONE3, "clone3"},
		{SYS_QUOTACTL_FD, "quotactl_fd"},
		{SYS_MSEAL, "mseal"},
	} {
		if got := SyscallName(tc.nr); got != tc.name {
			t.Errorf("SyscallName(%d) = %q; want %q", tc.nr, got, tc.name)
		}
	}
	want := map[int]int{
		SYS_READ: 0, SYS_MMAP: 9, SYS_RT_SIGACTION: 13, SYS_CLONE: 56, SYS_UNAME: 63,
		SYS_ARCH_PRCTL: 158, SYS_GETTID: 186, SYS_FUTEX: 202, SYS_EXIT_GROUP: 231,
		SYS_TGKILL: 234, SYS_OPENAT: 257, SYS_EPOLL_PWAIT: 281, SYS_EPOLL_CREATE1: 291,
		SYS_PRLIMIT64: 302, SYS_GETRANDOM: 318, SYS_RSEQ: 334, SYS_PIDFD_SEND_SIGNAL: 424,
		SYS_CLONE3: 435, SYS_MSEAL: 462,
	}
	for got, w := range want {
		if got != w {
			t.Errorf("syscall number %d; want %d", got, w)
		}
	}
	// 337..423 are unassigned on x86-64 (kept free to align the tables of
	// all architectures from 424 on).
	for nr := 337; nr < 424; nr++ {
		if SyscallName(nr) != "" {
			t.Errorf("SyscallName(%d) = %q; want unassigned", nr, SyscallName(nr))
		}
	}
	n := 0
	for _, nr := range []int{-1, NumSyscalls, 1 << 20} {
		if s := SyscallName(nr); s != "" {
			t.Errorf("SyscallName(%d) = %q; want \"\" (out of range)", nr, s)
		}
	}
	for nr := 0; nr < NumSyscalls; nr++ {
		if s := SyscallName(nr); s != "" {
			n++
		}
	}
	if n < 385 || NumSyscalls < 472 {
		t.Errorf("%d named syscalls, NumSyscalls = %d; want at least 385 and 472", n, NumSyscalls)
	}
}

func TestSigMask(t *testing.T) {
	if got := SigMask(SIGHUP); got != 1 {
		t.Errorf("SigMask(SIGHUP) = %#x; want 1", got)
	}
	if got := SigMask(SIGURG); got != 1<<22 {
		t.Errorf("SigMask(SIGURG) = %#x; want %#x", got, 1<<22)
	}
	if got := SigMask(64); got != 1<<63 {
		t.Errorf("SigMask(64) = %#x; want 1<<63", got)
	}
}

func TestGoRuntimeConstants(t *testing.T) {
	// Values the Go runtime hard-codes (runtime/defs_linux_amd64.go,
	// sys_linux_amd64.s); a mismatch breaks every Go program.
	for _, tc := range []struct {
		name      string
		got, want int64
	}{
		{"clone flags of runtime.newosproc", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_THREAD, 0xd0f00},
		{"SA_RESTORER", SA_RESTORER, 0x4000000},
		{"SA_ONSTACK|SA_SIGINFO|SA_RESTART", SA_ONSTACK | SA_SIGINFO | SA_RESTART, 0x18000004},
		{"MAP_ANON|MAP_PRIVATE", MAP_ANON | MAP_PRIVATE, 0x22},
		{"MADV_COLLAPSE", MADV_COLLAPSE, 0x19},
		{"O_CLOEXEC", O_CLOEXEC, 0x80000},
		{"O_NONBLOCK", O_NONBLOCK, 0x800},
		{"EPOLLET", EPOLLET, 0x80000000},
		{"FUTEX_WAIT_PRIVATE", FUTEX_WAIT_PRIVATE, 128},
		{"FUTEX_WAKE_PRIVATE", FUTEX_WAKE_PRIVATE, 129},
		{"ARCH_SET_FS", ARCH_SET_FS, 0x1002},
		{"SI_KERNEL", SI_KERNEL, 0x80},
		{"SI_TKILL", SI_TKILL, -6},
		{"AT_FDCWD", AT_FDCWD, -100},
		{"IPPROTO_MPTCP", IPPROTO_MPTCP, 262},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x; want %#x", tc.name, tc.got, tc.want)
		}
	}
}
