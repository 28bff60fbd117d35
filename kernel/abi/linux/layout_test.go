package linux

import (
	"testing"
	"unsafe"
)

// The expected sizes and offsets below were printed by a C program compiled
// against the Linux uapi headers (sizeof/offsetof), and agree with Go's
// runtime/defs_linux_amd64.go where the runtime declares the same structure.

type layout struct {
	name      string
	got, want uintptr
}

func check(t *testing.T, cases []layout) {
	t.Helper()
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %d; want %d", c.name, c.got, c.want)
		}
	}
}

func TestSignalLayout(t *testing.T) {
	var sc Sigcontext
	var fp FPState
	var sw FPXSwBytes
	var uc Ucontext
	var st StackT
	var si Siginfo
	var se Sigevent
	var sa SigactionKernel
	var fr RtSigframe
	check(t, []layout{
		{"sizeof(SigactionKernel)", unsafe.Sizeof(sa), 32},
		{"offsetof(SigactionKernel.Flags)", unsafe.Offsetof(sa.Flags), 8},
		{"offsetof(SigactionKernel.Restorer)", unsafe.Offsetof(sa.Restorer), 16},
		{"offsetof(SigactionKernel.Mask)", unsafe.Offsetof(sa.Mask), 24},

		{"sizeof(Sigcontext)", unsafe.Sizeof(sc), 256},
		{"offsetof(Sigcontext.R8)", unsafe.Offsetof(sc.R8), 0},
		{"offsetof(Sigcontext.R15)", unsafe.Offsetof(sc.R15), 56},
		{"offsetof(Sigcontext.Rdi)", unsafe.Offsetof(sc.Rdi), 64},
		{"offsetof(Sigcontext.Rsi)", unsafe.Offsetof(sc.Rsi), 72},
		{"offsetof(Sigcontext.Rbp)", unsafe.Offsetof(sc.Rbp), 80},
		{"offsetof(Sigcontext.Rbx)", unsafe.Offsetof(sc.Rbx), 88},
		{"offsetof(Sigcontext.Rdx)", unsafe.Offsetof(sc.Rdx), 96},
		{"offsetof(Sigcontext.Rax)", unsafe.Offsetof(sc.Rax), 104},
		{"offsetof(Sigcontext.Rcx)", unsafe.Offsetof(sc.Rcx), 112},
		{"offsetof(Sigcontext.Rsp)", unsafe.Offsetof(sc.Rsp), 120},
		{"offsetof(Sigcontext.Rip)", unsafe.Offsetof(sc.Rip), 128},
		{"offsetof(Sigcontext.Eflags)", unsafe.Offsetof(sc.Eflags), 136},
		{"offsetof(Sigcontext.CS)", unsafe.Offsetof(sc.CS), 144},
		{"offsetof(Sigcontext.GS)", unsafe.Offsetof(sc.GS), 146},
		{"offsetof(Sigcontext.FS)", unsafe.Offsetof(sc.FS), 148},
		{"offsetof(Sigcontext.SS)", unsafe.Offsetof(sc.SS), 150},
		{"offsetof(Sigcontext.Err)", unsafe.Offsetof(sc.Err), 152},
		{"offsetof(Sigcontext.Trapno)", unsafe.Offsetof(sc.Trapno), 160},
		{"offsetof(Sigcontext.Oldmask)", unsafe.Offsetof(sc.Oldmask), 168},
		{"offsetof(Sigcontext.CR2)", unsafe.Offsetof(sc.CR2), 176},
		{"offsetof(Sigcontext.FPState)", unsafe.Offsetof(sc.FPState), 184},

		{"sizeof(FPState)", unsafe.Sizeof(fp), 512},
		{"offsetof(FPState.Mxcsr)", unsafe.Offsetof(fp.Mxcsr), 24},
		{"offsetof(FPState.St)", unsafe.Offsetof(fp.St), 32},
		{"offsetof(FPState.Xmm)", unsafe.Offsetof(fp.Xmm), 160},
		{"offsetof(FPState.SwReserved)", unsafe.Offsetof(fp.SwReserved), 464},
		{"sizeof(FPXSwBytes)", unsafe.Sizeof(sw), 48},
		{"offsetof(FPXSwBytes.Xfeatures)", unsafe.Offsetof(sw.Xfeatures), 8},
		{"offsetof(FPXSwBytes.XstateSize)", unsafe.Offsetof(sw.XstateSize), 16},

		{"sizeof(StackT)", unsafe.Sizeof(st), 24},
		{"offsetof(StackT.Flags)", unsafe.Offsetof(st.Flags), 8},
		{"offsetof(StackT.Size)", unsafe.Offsetof(st.Size), 16},

		{"sizeof(Ucontext)", unsafe.Sizeof(uc), 304},
		{"offsetof(Ucontext.Link)", unsafe.Offsetof(uc.Link), 8},
		{"offsetof(Ucontext.Stack)", unsafe.Offsetof(uc.Stack), 16},
		{"offsetof(Ucontext.Mcontext)", unsafe.Offsetof(uc.Mcontext), 40},
		{"offsetof(Ucontext.Sigmask)", unsafe.Offsetof(uc.Sigmask), 296},

		{"sizeof(Siginfo)", unsafe.Sizeof(si), 128},
		{"offsetof(Siginfo.Errno)", unsafe.Offsetof(si.Errno), 4},
		{"offsetof(Siginfo.Code)", unsafe.Offsetof(si.Code), 8},
		{"offsetof(Siginfo.Fields)", unsafe.Offsetof(si.Fields), SiginfoFieldsOffset},

		{"sizeof(Sigevent)", unsafe.Sizeof(se), 64},
		{"offsetof(Sigevent.Signo)", unsafe.Offsetof(se.Signo), 8},
		{"offsetof(Sigevent.Notify)", unsafe.Offsetof(se.Notify), 12},
		{"offsetof(Sigevent.Tid)", unsafe.Offsetof(se.Tid), 16},

		{"sizeof(RtSigframe)", unsafe.Sizeof(fr), 440},
		{"offsetof(RtSigframe.UC)", unsafe.Offsetof(fr.UC), 8},
		{"offsetof(RtSigframe.UC.Mcontext)", unsafe.Offsetof(fr.UC) + unsafe.Offsetof(fr.UC.Mcontext), 48},
		{"offsetof(RtSigframe.UC.Mcontext.Rip)", unsafe.Offsetof(fr.UC) + unsafe.Offsetof(fr.UC.Mcontext) + unsafe.Offsetof(fr.UC.Mcontext.Rip), 176},
		{"offsetof(RtSigframe.UC.Sigmask)", unsafe.Offsetof(fr.UC) + unsafe.Offsetof(fr.UC.Sigmask), 304},
		{"offsetof(RtSigframe.Info)", unsafe.Offsetof(fr.Info), 312},
	})
}

func TestSiginfoAccessors(t *testing.T) {
	var si Siginfo
	base := unsafe.Pointer(&si)
	si.SetAddr(0xdeadbeef00)
	if got := *(*uint64)(unsafe.Add(base, SiginfoAddrOffset)); got != 0xdeadbeef00 {
		t.Errorf("si_addr at %d = %#x; want 0xdeadbeef00", SiginfoAddrOffset, got)
	}
	if got := si.Addr(); got != 0xdeadbeef00 {
		t.Errorf("Addr() = %#x; want 0xdeadbeef00", got)
	}
	si = Siginfo{}
	si.SetPid(-7)
	si.SetUid(1000)
	si.SetStatus(3)
	if got := *(*int32)(unsafe.Add(base, 16)); got != -7 {
		t.Errorf("si_pid at 16 = %d; want -7", got)
	}
	if got := *(*uint32)(unsafe.Add(base, 20)); got != 1000 {
		t.Errorf("si_uid at 20 = %d; want 1000", got)
	}
	if got := *(*int32)(unsafe.Add(base, 24)); got != 3 {
		t.Errorf("si_status at 24 = %d; want 3", got)
	}
	if si.Pid() != -7 || si.Uid() != 1000 || si.Status() != 3 {
		t.Errorf("Pid, Uid, Status = %d, %d, %d; want -7, 1000, 3", si.Pid(), si.Uid(), si.Status())
	}
	si.SetValue(42)
	if si.Value() != 42 || si.Status() != 42 {
		t.Errorf("Value() = %d, Status() = %d; want 42 (they share offset 24)", si.Value(), si.Status())
	}
}

func TestFileLayout(t *testing.T) {
	var st Stat
	var sx Statx
	var sf Statfs
	var ev EpollEvent
	var d Dirent64
	var fl Flock
	check(t, []layout{
		{"sizeof(Stat)", unsafe.Sizeof(st), 144},
		{"offsetof(Stat.Nlink)", unsafe.Offsetof(st.Nlink), 16},
		{"offsetof(Stat.Mode)", unsafe.Offsetof(st.Mode), 24},
		{"offsetof(Stat.Rdev)", unsafe.Offsetof(st.Rdev), 40},
		{"offsetof(Stat.Size)", unsafe.Offsetof(st.Size), 48},
		{"offsetof(Stat.Blksize)", unsafe.Offsetof(st.Blksize), 56},
		{"offsetof(Stat.Blocks)", unsafe.Offsetof(st.Blocks), 64},
		{"offsetof(Stat.ATime)", unsafe.Offsetof(st.ATime), 72},
		{"offsetof(Stat.MTime)", unsafe.Offsetof(st.MTime), 88},
		{"offsetof(Stat.CTime)", unsafe.Offsetof(st.CTime), 104},

		{"sizeof(Statx)", unsafe.Sizeof(sx), 256},
		{"offsetof(Statx.Attributes)", unsafe.Offsetof(sx.Attributes), 8},
		{"offsetof(Statx.Mode)", unsafe.Offsetof(sx.Mode), 28},
		{"offsetof(Statx.Ino)", unsafe.Offsetof(sx.Ino), 32},
		{"offsetof(Statx.AttributesMask)", unsafe.Offsetof(sx.AttributesMask), 56},
		{"offsetof(Statx.Atime)", unsafe.Offsetof(sx.Atime), 64},
		{"offsetof(Statx.Btime)", unsafe.Offsetof(sx.Btime), 80},
		{"offsetof(Statx.Ctime)", unsafe.Offsetof(sx.Ctime), 96},
		{"offsetof(Statx.Mtime)", unsafe.Offsetof(sx.Mtime), 112},
		{"offsetof(Statx.RdevMajor)", unsafe.Offsetof(sx.RdevMajor), 128},
		{"offsetof(Statx.DevMinor)", unsafe.Offsetof(sx.DevMinor), 140},
		{"offsetof(Statx.MntID)", unsafe.Offsetof(sx.MntID), 144},
		{"offsetof(Statx.DioMemAlign)", unsafe.Offsetof(sx.DioMemAlign), 152},
		{"offsetof(Statx.DioOffsetAlign)", unsafe.Offsetof(sx.DioOffsetAlign), 156},
		{"offsetof(Statx.Subvol)", unsafe.Offsetof(sx.Subvol), 160},
		{"offsetof(Statx.AtomicWriteUnitMaxOpt)", unsafe.Offsetof(sx.AtomicWriteUnitMaxOpt), 184},

		{"sizeof(Statfs)", unsafe.Sizeof(sf), 120},
		{"offsetof(Statfs.Fsid)", unsafe.Offsetof(sf.Fsid), 56},
		{"offsetof(Statfs.Namelen)", unsafe.Offsetof(sf.Namelen), 64},
		{"offsetof(Statfs.Flags)", unsafe.Offsetof(sf.Flags), 80},

		{"sizeof(EpollEvent)", unsafe.Sizeof(ev), 12},
		{"offsetof(EpollEvent.Data)", unsafe.Offsetof(ev.Data), 4},

		{"offsetof(Dirent64.Reclen)", unsafe.Offsetof(d.Reclen), 16},
		{"offsetof(Dirent64.Type)", unsafe.Offsetof(d.Type), 18},
		{"Dirent64NameOffset", Dirent64NameOffset, unsafe.Offsetof(d.Type) + 1},

		{"sizeof(Flock)", unsafe.Sizeof(fl), 32},
		{"offsetof(Flock.Start)", unsafe.Offsetof(fl.Start), 8},
		{"offsetof(Flock.Pid)", unsafe.Offsetof(fl.Pid), 24},

		{"sizeof(Iovec)", unsafe.Sizeof(Iovec{}), 16},
		{"sizeof(PollFd)", unsafe.Sizeof(PollFd{}), 8},
		{"sizeof(Winsize)", unsafe.Sizeof(Winsize{}), 8},
		{"sizeof(Termios)", unsafe.Sizeof(Termios{}), 36},
		{"offsetof(Termios.Line)", unsafe.Offsetof(Termios{}.Line), 16},
		{"offsetof(Termios.Cc)", unsafe.Offsetof(Termios{}.Cc), 17},
	})
}

func TestEpollEventData(t *testing.T) {
	var ev EpollEvent
	ev.Events = EPOLLIN | EPOLLET
	ev.SetData64(0x1122334455667788)
	b := (*[12]byte)(unsafe.Pointer(&ev))
	want := [12]byte{0x01, 0, 0, 0x80, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}
	if *b != want {
		t.Errorf("EpollEvent bytes = % x; want % x", *b, want)
	}
	if got := ev.Data64(); got != 0x1122334455667788 {
		t.Errorf("Data64() = %#x; want 0x1122334455667788", got)
	}
}

func TestProcessLayout(t *testing.T) {
	var ru Rusage
	var u Utsname
	var si Sysinfo
	var ca CloneArgs
	check(t, []layout{
		{"sizeof(Rlimit)", unsafe.Sizeof(Rlimit{}), 16},
		{"sizeof(Rusage)", unsafe.Sizeof(ru), 144},
		{"offsetof(Rusage.Maxrss)", unsafe.Offsetof(ru.Maxrss), 32},
		{"offsetof(Rusage.Nivcsw)", unsafe.Offsetof(ru.Nivcsw), 136},
		{"sizeof(Utsname)", unsafe.Sizeof(u), 390},
		{"offsetof(Utsname.Release)", unsafe.Offsetof(u.Release), 130},
		{"offsetof(Utsname.Domainname)", unsafe.Offsetof(u.Domainname), 325},
		{"sizeof(Sysinfo)", unsafe.Sizeof(si), 112},
		{"offsetof(Sysinfo.Procs)", unsafe.Offsetof(si.Procs), 80},
		{"offsetof(Sysinfo.Totalhigh)", unsafe.Offsetof(si.Totalhigh), 88},
		{"offsetof(Sysinfo.MemUnit)", unsafe.Offsetof(si.MemUnit), 104},
		{"sizeof(Timespec)", unsafe.Sizeof(Timespec{}), 16},
		{"sizeof(Timeval)", unsafe.Sizeof(Timeval{}), 16},
		{"sizeof(Itimerspec)", unsafe.Sizeof(Itimerspec{}), 32},
		{"sizeof(Itimerval)", unsafe.Sizeof(Itimerval{}), 32},
		{"sizeof(Timezone)", unsafe.Sizeof(Timezone{}), 8},
		{"sizeof(Tms)", unsafe.Sizeof(Tms{}), 32},
		{"sizeof(CloneArgs)", unsafe.Sizeof(ca), 88},
		{"offsetof(CloneArgs.TLS)", unsafe.Offsetof(ca.TLS), 56},
		{"offsetof(CloneArgs.Cgroup)", unsafe.Offsetof(ca.Cgroup), 80},
		{"sizeof(SchedParam)", unsafe.Sizeof(SchedParam{}), 4},
		{"sizeof(RobustListHead)", unsafe.Sizeof(RobustListHead{}), 24},
	})
}

func TestSocketLayout(t *testing.T) {
	var in6 SockaddrInet6
	var m Msghdr
	check(t, []layout{
		{"sizeof(SockaddrInet4)", unsafe.Sizeof(SockaddrInet4{}), 16},
		{"offsetof(SockaddrInet4.Addr)", unsafe.Offsetof(SockaddrInet4{}.Addr), 4},
		{"sizeof(SockaddrInet6)", unsafe.Sizeof(in6), 28},
		{"offsetof(SockaddrInet6.Flowinfo)", unsafe.Offsetof(in6.Flowinfo), 4},
		{"offsetof(SockaddrInet6.Addr)", unsafe.Offsetof(in6.Addr), 8},
		{"offsetof(SockaddrInet6.ScopeID)", unsafe.Offsetof(in6.ScopeID), 24},
		{"sizeof(SockaddrUnix)", unsafe.Sizeof(SockaddrUnix{}), 110},
		{"sizeof(Linger)", unsafe.Sizeof(Linger{}), 8},
		{"sizeof(Ucred)", unsafe.Sizeof(Ucred{}), 12},
		{"sizeof(Msghdr)", unsafe.Sizeof(m), 56},
		{"offsetof(Msghdr.Iov)", unsafe.Offsetof(m.Iov), 16},
		{"offsetof(Msghdr.Control)", unsafe.Offsetof(m.Control), 32},
		{"offsetof(Msghdr.Flags)", unsafe.Offsetof(m.Flags), 48},
		{"sizeof(Mmsghdr)", unsafe.Sizeof(Mmsghdr{}), 64},
		{"sizeof(Cmsghdr)", unsafe.Sizeof(Cmsghdr{}), 16},
	})
}
