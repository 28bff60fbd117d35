package linux

import "unsafe"

// Signal numbers.
//
// arch/x86/include/uapi/asm/signal.h
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGIOT    = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPOLL   = SIGIO
	SIGPWR    = 30
	SIGSYS    = 31
	SIGUNUSED = 31

	// SIGRTMIN is the first real-time signal as the kernel numbers them
	// (glibc reserves a few above it for itself; Go does not).
	SIGRTMIN = 32
	SIGRTMAX = NSIG - 1

	// NSIG is one more than the largest signal number (signals are 1..64),
	// as glibc and Go count. The kernel's own _NSIG is 64, and the uapi
	// header's legacy NSIG is 32.
	NSIG = 65
)

// Signal-handler special values and sigaction flags.
//
// include/uapi/asm-generic/signal-defs.h, arch/x86/include/uapi/asm/signal.h
const (
	SIG_DFL = 0
	SIG_IGN = 1
	SIG_ERR = ^uintptr(0)

	SA_NOCLDSTOP      = 0x00000001
	SA_NOCLDWAIT      = 0x00000002
	SA_SIGINFO        = 0x00000004
	SA_UNSUPPORTED    = 0x00000400
	SA_EXPOSE_TAGBITS = 0x00000800
	SA_RESTORER       = 0x04000000
	SA_ONSTACK        = 0x08000000
	SA_RESTART        = 0x10000000
	SA_NODEFER        = 0x40000000
	SA_RESETHAND      = 0x80000000
	SA_NOMASK         = SA_NODEFER
	SA_ONESHOT        = SA_RESETHAND
)

// rt_sigprocmask(2) operations.
//
// include/uapi/asm-generic/signal-defs.h
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

// sigaltstack(2) flags and sizes.
//
// include/uapi/linux/signal.h, arch/x86/include/uapi/asm/signal.h
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = 1 << 31

	MINSIGSTKSZ = 2048
	SIGSTKSZ    = 8192
)

// si_code values common to all signals (<= 0: sent by a process).
//
// include/uapi/asm-generic/siginfo.h
const (
	SI_USER     = 0
	SI_KERNEL   = 0x80
	SI_QUEUE    = -1
	SI_TIMER    = -2
	SI_MESGQ    = -3
	SI_ASYNCIO  = -4
	SI_SIGIO    = -5
	SI_TKILL    = -6
	SI_DETHREAD = -7
	SI_ASYNCNL  = -60
)

// si_code values per signal.
//
// include/uapi/asm-generic/siginfo.h
const (
	// SIGILL
	ILL_ILLOPC   = 1
	ILL_ILLOPN   = 2
	ILL_ILLADR   = 3
	ILL_ILLTRP   = 4
	ILL_PRVOPC   = 5
	ILL_PRVREG   = 6
	ILL_COPROC   = 7
	ILL_BADSTK   = 8
	ILL_BADIADDR = 9

	// SIGFPE
	FPE_INTDIV   = 1
	FPE_INTOVF   = 2
	FPE_FLTDIV   = 3
	FPE_FLTOVF   = 4
	FPE_FLTUND   = 5
	FPE_FLTRES   = 6
	FPE_FLTINV   = 7
	FPE_FLTSUB   = 8
	FPE_FLTUNK   = 14
	FPE_CONDTRAP = 15

	// SIGSEGV
	SEGV_MAPERR  = 1
	SEGV_ACCERR  = 2
	SEGV_BNDERR  = 3
	SEGV_PKUERR  = 4
	SEGV_ACCADI  = 5
	SEGV_ADIDERR = 6
	SEGV_ADIPERR = 7
	SEGV_MTEAERR = 8
	SEGV_MTESERR = 9
	SEGV_CPERR   = 10

	// SIGBUS
	BUS_ADRALN    = 1
	BUS_ADRERR    = 2
	BUS_OBJERR    = 3
	BUS_MCEERR_AR = 4
	BUS_MCEERR_AO = 5

	// SIGTRAP
	TRAP_BRKPT  = 1
	TRAP_TRACE  = 2
	TRAP_BRANCH = 3
	TRAP_HWBKPT = 4
	TRAP_UNK    = 5
	TRAP_PERF   = 6

	// SIGCHLD
	CLD_EXITED    = 1
	CLD_KILLED    = 2
	CLD_DUMPED    = 3
	CLD_TRAPPED   = 4
	CLD_STOPPED   = 5
	CLD_CONTINUED = 6

	// SIGPOLL
	POLL_IN  = 1
	POLL_OUT = 2
	POLL_MSG = 3
	POLL_ERR = 4
	POLL_PRI = 5
	POLL_HUP = 6
)

// sigevent notification methods (timer_create(2)).
//
// include/uapi/asm-generic/siginfo.h
const (
	SIGEV_SIGNAL    = 0
	SIGEV_NONE      = 1
	SIGEV_THREAD    = 2
	SIGEV_THREAD_ID = 4
)

// SignalSet is the kernel's sigset_t on x86-64: bit n-1 stands for signal n.
// (glibc's sigset_t is 128 bytes; the kernel's, which rt_sigprocmask(2) and
// rt_sigaction(2) take with sigsetsize 8, is one word.)
//
// arch/x86/include/asm/signal.h
type SignalSet uint64

// SigMask returns the [SignalSet] bit for signal sig (1..64).
func SigMask(sig int) SignalSet { return 1 << uint(sig-1) }

// SigactionKernel is struct sigaction as rt_sigaction(2) reads and writes it
// (32 bytes); Go's runtime calls it sigactiont. It is not the structure of
// the same name that userspace headers (glibc, the uapi fallback) declare.
//
// include/linux/signal_types.h (struct sigaction, !__ARCH_HAS_IRIX_SIGACTION)
type SigactionKernel struct {
	Handler  uint64 // sa_handler / sa_sigaction
	Flags    uint64 // SA_*
	Restorer uint64 // sa_restorer: where the handler returns (rt_sigreturn)
	Mask     SignalSet
}

// StackT is stack_t, the sigaltstack(2) descriptor (24 bytes).
//
// include/uapi/asm-generic/signal.h
type StackT struct {
	Sp    uint64 // ss_sp
	Flags int32  // ss_flags: SS_*
	_     int32
	Size  uint64 // ss_size
}

// SiginfoMaxSize is the size of siginfo_t (SI_MAX_SIZE).
const SiginfoMaxSize = 128

// Siginfo is siginfo_t (128 bytes). The three leading ints are common to all
// signals; the union that follows starts at byte 16 (it is 8-byte aligned)
// and is reached through the accessors.
//
// include/uapi/asm-generic/siginfo.h
type Siginfo struct {
	Signo int32 // si_signo
	Errno int32 // si_errno
	Code  int32 // si_code: SI_*, SEGV_*, ...
	_     int32
	// Fields is the union _sifields.
	Fields [SiginfoMaxSize - 16]byte
}

// Offsets of union members inside siginfo_t (from its start).
//
// include/uapi/asm-generic/siginfo.h
const (
	SiginfoFieldsOffset  = 16 // the union _sifields
	SiginfoPidOffset     = 16 // _kill._pid, _rt._pid, _sigchld._pid
	SiginfoUidOffset     = 20 // _kill._uid, _rt._uid, _sigchld._uid
	SiginfoAddrOffset    = 16 // _sigfault._addr
	SiginfoTimerIDOffset = 16 // _timer._tid
	SiginfoOverrunOffset = 20 // _timer._overrun
	SiginfoValueOffset   = 24 // _timer._sigval, _rt._sigval
	SiginfoStatusOffset  = 24 // _sigchld._status
	SiginfoBandOffset    = 16 // _sigpoll._band
	SiginfoFdOffset      = 24 // _sigpoll._fd
)

func (s *Siginfo) u32(off uintptr) *uint32 {
	return (*uint32)(unsafe.Pointer(&s.Fields[off-SiginfoFieldsOffset]))
}

func (s *Siginfo) u64(off uintptr) *uint64 {
	return (*uint64)(unsafe.Pointer(&s.Fields[off-SiginfoFieldsOffset]))
}

// Addr returns si_addr, the faulting address of SIGSEGV, SIGBUS, SIGILL,
// SIGFPE and SIGTRAP.
func (s *Siginfo) Addr() uint64 { return *s.u64(SiginfoAddrOffset) }

// SetAddr sets si_addr.
func (s *Siginfo) SetAddr(a uint64) { *s.u64(SiginfoAddrOffset) = a }

// Pid returns si_pid, the sender of kill(2), tgkill(2), sigqueue(3) and the
// child of SIGCHLD.
func (s *Siginfo) Pid() int32 { return int32(*s.u32(SiginfoPidOffset)) }

// SetPid sets si_pid.
func (s *Siginfo) SetPid(pid int32) { *s.u32(SiginfoPidOffset) = uint32(pid) }

// Uid returns si_uid, the real user ID of the sender.
func (s *Siginfo) Uid() uint32 { return *s.u32(SiginfoUidOffset) }

// SetUid sets si_uid.
func (s *Siginfo) SetUid(uid uint32) { *s.u32(SiginfoUidOffset) = uid }

// Status returns si_status of SIGCHLD (exit status or signal).
func (s *Siginfo) Status() int32 { return int32(*s.u32(SiginfoStatusOffset)) }

// SetStatus sets si_status.
func (s *Siginfo) SetStatus(st int32) { *s.u32(SiginfoStatusOffset) = uint32(st) }

// Value returns si_value (the sigval of timers and sigqueue(3)).
func (s *Siginfo) Value() uint64 { return *s.u64(SiginfoValueOffset) }

// SetValue sets si_value.
func (s *Siginfo) SetValue(v uint64) { *s.u64(SiginfoValueOffset) = v }

// SigeventMaxSize is the size of struct sigevent (SIGEV_MAX_SIZE).
const SigeventMaxSize = 64

// Sigevent is struct sigevent as timer_create(2) reads it (64 bytes). Go's
// runtime uses it with SIGEV_THREAD_ID for per-thread profiling timers.
//
// include/uapi/asm-generic/siginfo.h
type Sigevent struct {
	Value  uint64 // sigev_value
	Signo  int32  // sigev_signo
	Notify int32  // sigev_notify: SIGEV_*
	// Tid is _sigev_un._tid, the target thread of SIGEV_THREAD_ID; the
	// rest of the union follows.
	Tid int32
	_   [SigeventMaxSize - 20]byte
}

// Magic numbers and flags of the signal frame.
//
// arch/x86/include/uapi/asm/sigcontext.h, arch/x86/include/uapi/asm/ucontext.h
const (
	FP_XSTATE_MAGIC1      = 0x46505853 // "FPXS" in FPState.SwReserved.Magic1
	FP_XSTATE_MAGIC2      = 0x46505845 // "FPXE" after the xsave area
	FP_XSTATE_MAGIC2_SIZE = 4

	UC_FP_XSTATE         = 0x1 // Ucontext.Flags: the fp state is XSAVE-format
	UC_SIGCONTEXT_SS     = 0x2 // Sigcontext.SS is meaningful
	UC_STRICT_RESTORE_SS = 0x4 // rt_sigreturn restores SS exactly
)

// FPXSwBytes is struct _fpx_sw_bytes, the software-reserved tail of the
// FXSAVE area that says whether an XSAVE area follows (48 bytes).
//
// arch/x86/include/uapi/asm/sigcontext.h
type FPXSwBytes struct {
	Magic1       uint32 // FP_XSTATE_MAGIC1 when extended state is present
	ExtendedSize uint32 // bytes of fp state including FP_XSTATE_MAGIC2
	Xfeatures    uint64 // XSAVE feature mask in the frame
	XstateSize   uint32 // bytes of the XSAVE area
	_            [7]uint32
}

// FPState is struct _fpstate_64, the FXSAVE-format area the signal frame's
// Sigcontext.FPState points to (512 bytes, 16-byte aligned in memory; the
// XSAVE header and extended state follow it when UC_FP_XSTATE is set).
//
// arch/x86/include/uapi/asm/sigcontext.h
type FPState struct {
	Cwd        uint16
	Swd        uint16
	Twd        uint16 // abridged tag word
	Fop        uint16
	Rip        uint64
	Rdp        uint64
	Mxcsr      uint32
	MxcsrMask  uint32
	St         [32]uint32 // 8 x87 registers, 16 bytes each
	Xmm        [64]uint32 // 16 XMM registers, 16 bytes each
	_          [12]uint32
	SwReserved FPXSwBytes
}

// Sigcontext is struct sigcontext (64-bit): the machine state in a signal
// frame, 256 bytes. Go's runtime reads it as sigcontext (and as the gregs of
// mcontext, which has the same layout).
//
// arch/x86/include/uapi/asm/sigcontext.h
type Sigcontext struct {
	R8      uint64
	R9      uint64
	R10     uint64
	R11     uint64
	R12     uint64
	R13     uint64
	R14     uint64
	R15     uint64
	Rdi     uint64
	Rsi     uint64
	Rbp     uint64
	Rbx     uint64
	Rdx     uint64
	Rax     uint64
	Rcx     uint64
	Rsp     uint64
	Rip     uint64
	Eflags  uint64
	CS      uint16
	GS      uint16
	FS      uint16
	SS      uint16 // __pad0 before Linux 4.6; valid with UC_SIGCONTEXT_SS
	Err     uint64
	Trapno  uint64
	Oldmask uint64
	CR2     uint64
	FPState uint64 // pointer to FPState (0: no fp state)
	_       [8]uint64
}

// Ucontext is the kernel's struct ucontext (304 bytes). It ends after the
// one-word signal mask: the fp state is not inside it but wherever
// Sigcontext.FPState points. (glibc's and Go's ucontext_t continue with a
// 128-byte sigset and __fpregs_mem; they only ever read the common prefix,
// which is identical.)
//
// arch/x86/include/uapi/asm/ucontext.h, include/uapi/asm-generic/ucontext.h
type Ucontext struct {
	Flags    uint64 // uc_flags: UC_*
	Link     uint64 // uc_link
	Stack    StackT // uc_stack: the sigaltstack at delivery
	Mcontext Sigcontext
	Sigmask  SignalSet // mask to restore on rt_sigreturn
}

// RtSigframe is the 64-bit struct rt_sigframe that the kernel builds on the
// signal stack (440 bytes). On entry to the handler RSP points at Pretcode,
// RDI = signal number, RSI = &Info, RDX = &UC, and RSP+8 is 16-byte aligned
// (the frame looks as if the handler had just been called). The fp state
// lives above the frame, 64-byte aligned, at UC.Mcontext.FPState.
// rt_sigreturn(2) finds the frame at RSP-8 after the handler's RET popped
// Pretcode.
//
// arch/x86/include/asm/sigframe.h, arch/x86/kernel/signal_64.c
type RtSigframe struct {
	Pretcode uint64 // return address of the handler: sa_restorer
	UC       Ucontext
	Info     Siginfo
}
