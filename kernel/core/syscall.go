package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
)

// The system-call table is the compatibility document (gVisor style): one
// entry per Linux x86-64 syscall number with its handler and support level.
// docs/syscalls.md is generated from it (see SyscallTable).

// Support is how completely a syscall is implemented.
type Support uint8

const (
	Unsupported Support = iota // answered with ENOSYS, logged once
	Supported                  // Linux semantics for what Go programs use
	Partial                    // works with limits given in the note
)

// sysArgs are the six syscall arguments (RDI, RSI, RDX, R10, R8, R9).
type sysArgs [6]uintptr

type sysHandler func(a sysArgs) uintptr

type sysEntry struct {
	fn      sysHandler
	support Support
	note    string
}

func errno(e linux.Errno) uintptr { return e.Ret() }

var enosysLogged [linux.NumSyscalls/64 + 1]uint64

// syscallTrap dispatches a SYSCALL from the program.
func syscallTrap(tf *amd64.TrapFrame) {
	nr := tf.RAX
	if nr == linux.SYS_RT_SIGRETURN {
		sysRtSigreturn(tf)
		return
	}
	if nr >= uintptr(len(syscallTable)) || syscallTable[nr].fn == nil {
		tf.RAX = errno(linux.ENOSYS)
		if nr < linux.NumSyscalls && enosysLogged[nr/64]&(1<<(nr%64)) == 0 {
			enosysLogged[nr/64] |= 1 << (nr % 64)
			klog.Warn("syscall").S("unsupported syscall ").S(linux.SyscallNames[nr]).S(" (").U(uint64(nr)).S("): ENOSYS").End()
		} else if nr >= linux.NumSyscalls {
			klog.Warn("syscall").S("unknown syscall number ").U(uint64(nr)).S(": ENOSYS").End()
		}
		return
	}
	a := sysArgs{tf.RDI, tf.RSI, tf.RDX, tf.R10, tf.R8, tf.R9}
	tf.RAX = syscallTable[nr].fn(a)
}

// SyscallInfo describes one table entry for documentation.
type SyscallInfo struct {
	Number  int
	Name    string
	Support Support
	Note    string
}

// SyscallTable lists every syscall number with its support level; it is
// what cmd gensyscalls turns into docs/syscalls.md.
func SyscallTable() []SyscallInfo {
	var out []SyscallInfo
	for nr, name := range linux.SyscallNames {
		if name == "" {
			continue
		}
		info := SyscallInfo{Number: nr, Name: name}
		if nr == linux.SYS_RT_SIGRETURN {
			info.Support = Supported
		} else if nr < len(syscallTable) && syscallTable[nr].fn != nil {
			info.Support = syscallTable[nr].support
			info.Note = syscallTable[nr].note
		}
		out = append(out, info)
	}
	return out
}

var syscallTable = [linux.NumSyscalls]sysEntry{
	// Memory.
	linux.SYS_MMAP:     {sysMmap, Partial, "anonymous mappings; file mappings return ENODEV until the VFS lands; W+X refused"},
	linux.SYS_MUNMAP:   {sysMunmap, Supported, ""},
	linux.SYS_MPROTECT: {sysMprotect, Supported, "W+X refused (W^X)"},
	linux.SYS_MADVISE:  {sysMadvise, Partial, "DONTNEED and FREE zero the range; other advice accepted and ignored"},
	linux.SYS_BRK:      {sysBrk, Partial, "no heap break: always returns the current (empty) break"},
	linux.SYS_MINCORE:  {sysMincore, Supported, ""},

	// Threads and scheduling.
	linux.SYS_CLONE:             {sysClone, Partial, "threads only (CLONE_VM|CLONE_THREAD); no new processes"},
	linux.SYS_EXIT:              {sysExit, Supported, ""},
	linux.SYS_EXIT_GROUP:        {sysExitGroup, Supported, "powers the VM off with the status"},
	linux.SYS_FUTEX:             {sysFutex, Partial, "WAIT, WAKE, WAIT_BITSET, WAKE_BITSET (private and shared alike)"},
	linux.SYS_GETTID:            {sysGettid, Supported, ""},
	linux.SYS_GETPID:            {sysGetpid, Supported, "always 1"},
	linux.SYS_GETPPID:           {sysGetppid, Supported, "always 0"},
	linux.SYS_SET_TID_ADDRESS:   {sysSetTidAddress, Supported, ""},
	linux.SYS_SCHED_YIELD:       {sysSchedYield, Supported, ""},
	linux.SYS_SCHED_GETAFFINITY: {sysSchedGetaffinity, Supported, ""},
	linux.SYS_SCHED_SETAFFINITY: {sysSchedSetaffinity, Partial, "accepted, ignored"},
	linux.SYS_NANOSLEEP:         {sysNanosleep, Supported, ""},
	linux.SYS_CLOCK_NANOSLEEP:   {sysClockNanosleep, Supported, ""},
	linux.SYS_CLOCK_GETTIME:     {sysClockGettime, Supported, "TSC based"},
	linux.SYS_CLOCK_GETRES:      {sysClockGetres, Supported, ""},
	linux.SYS_GETTIMEOFDAY:      {sysGettimeofday, Supported, ""},
	linux.SYS_TIME:              {sysTime, Supported, ""},
	linux.SYS_PRLIMIT64:         {sysPrlimit64, Partial, "reports fixed limits; setting is accepted and ignored"},
	linux.SYS_GETRLIMIT:         {sysGetrlimit, Partial, "fixed limits"},
	linux.SYS_SET_ROBUST_LIST:   {sysSetRobustList, Partial, "accepted, unused"},
	linux.SYS_RSEQ:              {sysRseq, Unsupported, "ENOSYS: no restartable sequences"},

	// Signals.
	linux.SYS_RT_SIGACTION:   {sysRtSigaction, Supported, ""},
	linux.SYS_RT_SIGPROCMASK: {sysRtSigprocmask, Supported, ""},
	linux.SYS_SIGALTSTACK:    {sysSigaltstack, Supported, ""},
	linux.SYS_TGKILL:         {sysTgkill, Supported, ""},
	linux.SYS_TKILL:          {sysTkill, Supported, ""},
	linux.SYS_KILL:           {sysKill, Partial, "only the program itself (pid 1 or 0)"},

	// Identity and system.
	linux.SYS_UNAME:      {sysUname, Supported, ""},
	linux.SYS_GETUID:     {sysGetid, Supported, "always 0 (root)"},
	linux.SYS_GETEUID:    {sysGetid, Supported, "always 0 (root)"},
	linux.SYS_GETGID:     {sysGetid, Supported, "always 0 (root)"},
	linux.SYS_GETEGID:    {sysGetid, Supported, "always 0 (root)"},
	linux.SYS_ARCH_PRCTL: {sysArchPrctl, Partial, "ARCH_SET_FS, ARCH_GET_FS"},
	linux.SYS_PRCTL:      {sysPrctl, Partial, "PR_SET_NAME, PR_GET_NAME; others EINVAL"},
	linux.SYS_GETRANDOM:  {sysGetrandom, Supported, "RDSEED/RDRAND seeded ChaCha20"},
	linux.SYS_SYSINFO:    {sysSysinfo, Supported, ""},
	linux.SYS_GETCWD:     {sysGetcwd, Partial, "always /"},

	// Files (the console, pipes, eventfd, epoll; the VFS comes later).
	linux.SYS_READ:          {sysRead, Partial, "console, pipes, eventfd"},
	linux.SYS_WRITE:         {sysWrite, Partial, "console, pipes, eventfd"},
	linux.SYS_READV:         {sysReadv, Partial, "as read"},
	linux.SYS_WRITEV:        {sysWritev, Partial, "as write"},
	linux.SYS_CLOSE:         {sysClose, Supported, ""},
	linux.SYS_OPENAT:        {sysOpenat, Partial, "no file system yet: ENOENT"},
	linux.SYS_OPEN:          {sysOpen, Partial, "no file system yet: ENOENT"},
	linux.SYS_FSTAT:         {sysFstat, Partial, "console, pipes, eventfd, epoll"},
	linux.SYS_NEWFSTATAT:    {sysNewfstatat, Partial, "AT_EMPTY_PATH on open fds; paths ENOENT"},
	linux.SYS_FCNTL:         {sysFcntl, Partial, "F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC"},
	linux.SYS_IOCTL:         {sysIoctl, Partial, "TCGETS/TIOCGWINSZ on the console, FIONREAD, FIONBIO"},
	linux.SYS_LSEEK:         {sysLseek, Partial, "ESPIPE on pipes and the console"},
	linux.SYS_DUP:           {sysDup, Supported, ""},
	linux.SYS_DUP2:          {sysDup2, Supported, ""},
	linux.SYS_DUP3:          {sysDup3, Supported, ""},
	linux.SYS_PIPE:          {sysPipe, Supported, ""},
	linux.SYS_PIPE2:         {sysPipe2, Supported, ""},
	linux.SYS_EVENTFD2:      {sysEventfd2, Supported, ""},
	linux.SYS_EVENTFD:       {sysEventfd, Supported, ""},
	linux.SYS_EPOLL_CREATE1: {sysEpollCreate1, Supported, ""},
	linux.SYS_EPOLL_CREATE:  {sysEpollCreate, Supported, ""},
	linux.SYS_EPOLL_CTL:     {sysEpollCtl, Supported, "level and edge triggered; EPERM on files that cannot be polled"},
	linux.SYS_EPOLL_PWAIT:   {sysEpollPwait, Supported, ""},
	linux.SYS_EPOLL_WAIT:    {sysEpollWait, Supported, ""},
	linux.SYS_READLINKAT:    {sysReadlinkat, Partial, "/proc/self/exe only"},
	linux.SYS_READLINK:      {sysReadlink, Partial, "/proc/self/exe only"},
}
