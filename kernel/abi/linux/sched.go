package linux

// clone(2) flags. The low byte (CSIGNAL) is the signal sent to the parent
// when the child exits. Go's runtime clones threads with
// CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_THREAD
// (0xd0f00), the TLS in R8.
//
// include/uapi/linux/sched.h
const (
	CSIGNAL              = 0x000000ff
	CLONE_NEWTIME        = 0x00000080
	CLONE_VM             = 0x00000100
	CLONE_FS             = 0x00000200
	CLONE_FILES          = 0x00000400
	CLONE_SIGHAND        = 0x00000800
	CLONE_PIDFD          = 0x00001000
	CLONE_PTRACE         = 0x00002000
	CLONE_VFORK          = 0x00004000
	CLONE_PARENT         = 0x00008000
	CLONE_THREAD         = 0x00010000
	CLONE_NEWNS          = 0x00020000
	CLONE_SYSVSEM        = 0x00040000
	CLONE_SETTLS         = 0x00080000
	CLONE_PARENT_SETTID  = 0x00100000
	CLONE_CHILD_CLEARTID = 0x00200000
	CLONE_DETACHED       = 0x00400000
	CLONE_UNTRACED       = 0x00800000
	CLONE_CHILD_SETTID   = 0x01000000
	CLONE_NEWCGROUP      = 0x02000000
	CLONE_NEWUTS         = 0x04000000
	CLONE_NEWIPC         = 0x08000000
	CLONE_NEWUSER        = 0x10000000
	CLONE_NEWPID         = 0x20000000
	CLONE_NEWNET         = 0x40000000
	CLONE_IO             = 0x80000000

	// clone3(2) only.
	CLONE_CLEAR_SIGHAND = 0x100000000
	CLONE_INTO_CGROUP   = 0x200000000
)

// CloneArgs is struct clone_args, the argument of clone3(2) (88 bytes in its
// current version, CLONE_ARGS_SIZE_VER2).
//
// include/uapi/linux/sched.h
type CloneArgs struct {
	Flags      uint64
	Pidfd      uint64
	ChildTid   uint64
	ParentTid  uint64
	ExitSignal uint64
	Stack      uint64
	StackSize  uint64
	TLS        uint64
	SetTid     uint64
	SetTidSize uint64
	Cgroup     uint64
}

// Scheduling policies and flags.
//
// include/uapi/linux/sched.h
const (
	SCHED_NORMAL        = 0
	SCHED_OTHER         = SCHED_NORMAL
	SCHED_FIFO          = 1
	SCHED_RR            = 2
	SCHED_BATCH         = 3
	SCHED_IDLE          = 5
	SCHED_DEADLINE      = 6
	SCHED_EXT           = 7
	SCHED_RESET_ON_FORK = 0x40000000
)

// SchedParam is struct sched_param.
//
// include/uapi/linux/sched/types.h
type SchedParam struct {
	Priority int32
}

// futex(2) operations and flags. futex words are 32 bits.
//
// include/uapi/linux/futex.h
const (
	FUTEX_WAIT            = 0
	FUTEX_WAKE            = 1
	FUTEX_FD              = 2
	FUTEX_REQUEUE         = 3
	FUTEX_CMP_REQUEUE     = 4
	FUTEX_WAKE_OP         = 5
	FUTEX_LOCK_PI         = 6
	FUTEX_UNLOCK_PI       = 7
	FUTEX_TRYLOCK_PI      = 8
	FUTEX_WAIT_BITSET     = 9
	FUTEX_WAKE_BITSET     = 10
	FUTEX_WAIT_REQUEUE_PI = 11
	FUTEX_CMP_REQUEUE_PI  = 12
	FUTEX_LOCK_PI2        = 13

	FUTEX_PRIVATE_FLAG   = 128
	FUTEX_CLOCK_REALTIME = 256
	FUTEX_CMD_MASK       = ^(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)

	FUTEX_WAIT_PRIVATE        = FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	FUTEX_WAKE_PRIVATE        = FUTEX_WAKE | FUTEX_PRIVATE_FLAG
	FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG
	FUTEX_WAKE_BITSET_PRIVATE = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG

	FUTEX_BITSET_MATCH_ANY = 0xffffffff

	// Robust and PI futex word bits.
	FUTEX_WAITERS    = 0x80000000
	FUTEX_OWNER_DIED = 0x40000000
	FUTEX_TID_MASK   = 0x3fffffff
)

// RobustListHead is struct robust_list_head (set_robust_list(2), 24 bytes).
//
// include/uapi/linux/futex.h
type RobustListHead struct {
	List          uint64 // struct robust_list *next
	FutexOffset   int64
	ListOpPending uint64
}

// arch_prctl(2) codes.
//
// arch/x86/include/uapi/asm/prctl.h
const (
	ARCH_SET_GS               = 0x1001
	ARCH_SET_FS               = 0x1002
	ARCH_GET_FS               = 0x1003
	ARCH_GET_GS               = 0x1004
	ARCH_GET_CPUID            = 0x1011
	ARCH_SET_CPUID            = 0x1012
	ARCH_GET_XCOMP_SUPP       = 0x1021
	ARCH_GET_XCOMP_PERM       = 0x1022
	ARCH_REQ_XCOMP_PERM       = 0x1023
	ARCH_GET_XCOMP_GUEST_PERM = 0x1024
	ARCH_REQ_XCOMP_GUEST_PERM = 0x1025
	ARCH_MAP_VDSO_X32         = 0x2001
	ARCH_MAP_VDSO_32          = 0x2002
	ARCH_MAP_VDSO_64          = 0x2003
	ARCH_GET_UNTAG_MASK       = 0x4001
	ARCH_ENABLE_TAGGED_ADDR   = 0x4002
	ARCH_GET_MAX_TAG_BITS     = 0x4003
	ARCH_FORCE_TAGGED_SVA     = 0x4004
	ARCH_SHSTK_ENABLE         = 0x5001
	ARCH_SHSTK_DISABLE        = 0x5002
	ARCH_SHSTK_LOCK           = 0x5003
	ARCH_SHSTK_UNLOCK         = 0x5004
	ARCH_SHSTK_STATUS         = 0x5005
)

// prctl(2) options (those a Go program or its runtime may use, and their
// neighbours). Go 1.25+ names its anonymous mappings with
// PR_SET_VMA/PR_SET_VMA_ANON_NAME; EINVAL is an acceptable answer.
//
// include/uapi/linux/prctl.h
const (
	PR_SET_PDEATHSIG             = 1
	PR_GET_PDEATHSIG             = 2
	PR_GET_DUMPABLE              = 3
	PR_SET_DUMPABLE              = 4
	PR_GET_KEEPCAPS              = 7
	PR_SET_KEEPCAPS              = 8
	PR_GET_TIMING                = 13
	PR_SET_TIMING                = 14
	PR_SET_NAME                  = 15 // thread name, 16 bytes with the NUL
	PR_GET_NAME                  = 16
	PR_GET_SECCOMP               = 21
	PR_SET_SECCOMP               = 22
	PR_CAPBSET_READ              = 23
	PR_CAPBSET_DROP              = 24
	PR_GET_SECUREBITS            = 27
	PR_SET_SECUREBITS            = 28
	PR_SET_TIMERSLACK            = 29
	PR_GET_TIMERSLACK            = 30
	PR_SET_MM                    = 35
	PR_SET_CHILD_SUBREAPER       = 36
	PR_GET_CHILD_SUBREAPER       = 37
	PR_SET_NO_NEW_PRIVS          = 38
	PR_GET_NO_NEW_PRIVS          = 39
	PR_GET_TID_ADDRESS           = 40
	PR_SET_THP_DISABLE           = 41
	PR_GET_THP_DISABLE           = 42
	PR_CAP_AMBIENT               = 47
	PR_GET_SPECULATION_CTRL      = 52
	PR_SET_SPECULATION_CTRL      = 53
	PR_SET_TAGGED_ADDR_CTRL      = 55
	PR_GET_TAGGED_ADDR_CTRL      = 56
	PR_SET_IO_FLUSHER            = 57
	PR_GET_IO_FLUSHER            = 58
	PR_SET_SYSCALL_USER_DISPATCH = 59
	PR_SCHED_CORE                = 62
	PR_SET_MDWE                  = 65
	PR_GET_MDWE                  = 66
	PR_SET_VMA                   = 0x53564d41
	PR_SET_VMA_ANON_NAME         = 0
	PR_GET_AUXV                  = 0x41555856

	// TASK_COMM_LEN is the size of a thread name with its NUL (PR_SET_NAME).
	TASK_COMM_LEN = 16
)

// Resource limits (getrlimit(2), prlimit64(2)).
//
// include/uapi/asm-generic/resource.h, include/uapi/linux/resource.h
const (
	RLIMIT_CPU        = 0
	RLIMIT_FSIZE      = 1
	RLIMIT_DATA       = 2
	RLIMIT_STACK      = 3
	RLIMIT_CORE       = 4
	RLIMIT_RSS        = 5
	RLIMIT_NPROC      = 6
	RLIMIT_NOFILE     = 7
	RLIMIT_MEMLOCK    = 8
	RLIMIT_AS         = 9
	RLIMIT_LOCKS      = 10
	RLIMIT_SIGPENDING = 11
	RLIMIT_MSGQUEUE   = 12
	RLIMIT_NICE       = 13
	RLIMIT_RTPRIO     = 14
	RLIMIT_RTTIME     = 15
	RLIM_NLIMITS      = 16

	RLIM_INFINITY = ^uint64(0)

	RUSAGE_SELF     = 0
	RUSAGE_CHILDREN = -1
	RUSAGE_THREAD   = 1
)

// Rlimit is struct rlimit64 (and, on x86-64, struct rlimit): 16 bytes.
//
// include/uapi/linux/resource.h
type Rlimit struct {
	Cur uint64
	Max uint64
}

// Rusage is struct rusage (144 bytes).
//
// include/uapi/linux/resource.h
type Rusage struct {
	Utime    Timeval
	Stime    Timeval
	Maxrss   int64
	Ixrss    int64
	Idrss    int64
	Isrss    int64
	Minflt   int64
	Majflt   int64
	Nswap    int64
	Inblock  int64
	Oublock  int64
	Msgsnd   int64
	Msgrcv   int64
	Nsignals int64
	Nvcsw    int64
	Nivcsw   int64
}

// UTSLen is the size of each field of [Utsname], NUL included
// (__NEW_UTS_LEN + 1).
const UTSLen = 65

// Utsname is struct new_utsname, what uname(2) fills in (390 bytes).
// Go's runtime parses Release as "major.minor..." to gate kernel features.
//
// include/uapi/linux/utsname.h
type Utsname struct {
	Sysname    [UTSLen]byte
	Nodename   [UTSLen]byte
	Release    [UTSLen]byte
	Version    [UTSLen]byte
	Machine    [UTSLen]byte
	Domainname [UTSLen]byte
}

// Sysinfo is struct sysinfo as sysinfo(2) fills it on 64-bit (112 bytes).
//
// include/uapi/linux/sysinfo.h
type Sysinfo struct {
	Uptime    int64
	Loads     [3]uint64 // 1, 5, 15 minute load averages << SI_LOAD_SHIFT
	Totalram  uint64
	Freeram   uint64
	Sharedram uint64
	Bufferram uint64
	Totalswap uint64
	Freeswap  uint64
	Procs     uint16
	Pad       uint16
	_         uint32
	Totalhigh uint64
	Freehigh  uint64
	MemUnit   uint32 // the unit of the memory sizes, in bytes
	_         [4]byte
}

// SI_LOAD_SHIFT is the fixed-point shift of [Sysinfo].Loads.
//
// include/uapi/linux/sysinfo.h
const SI_LOAD_SHIFT = 16

// wait4(2) and waitid(2) options and idtypes.
//
// include/uapi/linux/wait.h
const (
	WNOHANG    = 0x00000001
	WUNTRACED  = 0x00000002
	WSTOPPED   = WUNTRACED
	WEXITED    = 0x00000004
	WCONTINUED = 0x00000008
	WNOWAIT    = 0x01000000
	WNOTHREAD  = 0x20000000
	WALL       = 0x40000000 // __WALL
	WCLONE     = 0x80000000 // __WCLONE

	P_ALL   = 0
	P_PID   = 1
	P_PGID  = 2
	P_PIDFD = 3
)
