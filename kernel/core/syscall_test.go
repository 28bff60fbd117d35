package core

import (
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
)

// The syscalls a go1.26 program makes before and during main
// (DESIGN.md §3.11) must all be implemented.
func TestRuntimeSyscallsImplemented(t *testing.T) {
	need := []int{
		linux.SYS_ARCH_PRCTL, linux.SYS_SCHED_GETAFFINITY, linux.SYS_OPENAT, linux.SYS_MMAP,
		linux.SYS_MUNMAP, linux.SYS_MADVISE, linux.SYS_PRCTL, linux.SYS_FCNTL,
		linux.SYS_RT_SIGPROCMASK, linux.SYS_SIGALTSTACK, linux.SYS_RT_SIGACTION, linux.SYS_GETTID,
		linux.SYS_GETPID, linux.SYS_CLONE, linux.SYS_FUTEX, linux.SYS_NANOSLEEP, linux.SYS_SCHED_YIELD,
		linux.SYS_CLOCK_GETTIME, linux.SYS_PRLIMIT64, linux.SYS_WRITE, linux.SYS_EXIT,
		linux.SYS_EXIT_GROUP, linux.SYS_EPOLL_CREATE1, linux.SYS_EVENTFD2, linux.SYS_EPOLL_CTL,
		linux.SYS_EPOLL_PWAIT, linux.SYS_TGKILL, linux.SYS_GETRANDOM, linux.SYS_READ, linux.SYS_CLOSE,
		linux.SYS_UNAME, linux.SYS_PIPE2,
	}
	for _, nr := range need {
		if !implemented(nr) {
			t.Errorf("syscall %s (%d) has no handler", linux.SyscallName(nr), nr)
		}
	}
}

func TestTableConsistent(t *testing.T) {
	for nr, fn := range syscallTable {
		name := linux.SyscallName(nr)
		e := syscallDocs[nr]
		if fn != nil && fsHandler(nr) != nil {
			t.Errorf("%s: handlers in both syscallTable and fsSyscallTable", name)
		}
		if fn == nil {
			fn = fsHandler(nr)
		}
		if fn != nil && name == "" {
			t.Errorf("handler for unnamed syscall number %d", nr)
		}
		if (fn == nil) != (e == sysDoc{}) {
			t.Errorf("%s: a handler needs a documentation entry and vice versa", name)
		}
		if fn != nil && e.support == Unsupported && e.note == "" {
			t.Errorf("%s: a handler marked unsupported needs a note saying why", name)
		}
		if e.support == Partial && e.note == "" {
			t.Errorf("%s: partial support needs a note saying what is missing", name)
		}
	}
	var n int
	for _, s := range SyscallTable() {
		if s.Name == "" {
			t.Errorf("SyscallTable lists number %d without a name", s.Number)
		}
		n++
	}
	if n < 360 {
		t.Errorf("SyscallTable has %d entries; want every named x86-64 syscall", n)
	}
}

func setCmdline(s string) {
	kopts = kernelOptions{}
	n := copy(rawCmdline[:], s)
	cmdlineLen = n
	parseCmdline()
}

func TestParseCmdline(t *testing.T) {
	setCmdline("argv0=hello unigo.log=debug env=HOME=/root env=A%3DB=x%20y junk -- a:alice a:bob%20smith a: a:%25")
	if got := kopts.argv0(); got != "hello" {
		t.Errorf("argv0 = %q; want hello", got)
	}
	var args []string
	for i := 0; i < kopts.nargs; i++ {
		args = append(args, cstr(kopts.args[i]))
	}
	want := []string{"alice", "bob smith", "", "%"}
	if len(args) != len(want) {
		t.Fatalf("args = %q; want %q", args, want)
	}
	for i := range want {
		if args[i] != want[i] {
			t.Errorf("arg %d = %q; want %q", i, args[i], want[i])
		}
	}
	var env []string
	for i := 0; i < kopts.nenv; i++ {
		env = append(env, cstr(kopts.env[i]))
	}
	if len(env) != 2 || env[0] != "HOME=/root" || env[1] != "A=B=x y" {
		t.Errorf("env = %q; want [HOME=/root A=B=x y]", env)
	}
	if kopts.logLevel != 3 {
		t.Errorf("log level = %d; want debug (3)", kopts.logLevel)
	}
}

func TestParseCmdlineMalformed(t *testing.T) {
	// A bad escape drops that value only; no name means "init".
	setCmdline("env=X=%zz env=Y=1 -- a:%4 a:ok")
	if got := kopts.argv0(); got != "init" {
		t.Errorf("argv0 = %q; want init", got)
	}
	if kopts.nenv != 1 || cstr(kopts.env[0]) != "Y=1" {
		var env []string
		for i := 0; i < kopts.nenv; i++ {
			env = append(env, cstr(kopts.env[i]))
		}
		t.Errorf("env = %q; want [Y=1]", env)
	}
	if kopts.nargs != 1 || cstr(kopts.args[0]) != "ok" {
		t.Errorf("nargs = %d; want only the well-formed argument", kopts.nargs)
	}
}
