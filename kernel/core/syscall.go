package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/net/netcall"
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

type sysDoc struct {
	support Support
	note    string
}

func errno(e linux.Errno) uintptr { return e.Ret() }

var enosysLogged [linux.NumSyscalls/64 + 1]uint64

// handleSyscall is amd64.SyscallHandler: every SYSCALL from the program
// comes here on the thread's kernel stack, interrupts disabled. The common
// case (a handler in the table, nothing held, no signal to deliver) is
// kept short: it runs about ten times per HTTP request.
func handleSyscall(tf *amd64.TrapFrame) {
	var h sysHandler
	if nr := tf.RAX; nr < uintptr(len(syscallTable)) {
		h = syscallTable[nr]
	} else if nr == netcall.Sys {
		h = sysNetcall // the network bridge's calls: half of all
	}
	if h != nil {
		tf.RAX = h(*(*sysArgs)(tf.SyscallArgs()))
	} else {
		syscallTrap(tf)
	}
	if t := &threads[current&(maxThreads-1)]; t.nheld|t.nscratch != 0 || t.sigPending&^t.sigMask != 0 {
		syscallDone(tf, t)
	}
}

// syscallDone drops what the system call held and delivers a pending
// signal before the program resumes.
func syscallDone(tf *amd64.TrapFrame, t *Thread) {
	if t.nheld|t.nscratch != 0 {
		releaseHeld()
	}
	if t.sigPending&^t.sigMask != 0 {
		deliverSignals(tf)
	}
}

// syscallTrap handles the system calls without a handler in
// handleSyscall: rt_sigreturn, the file-system table and unknown numbers.
func syscallTrap(tf *amd64.TrapFrame) {
	nr := tf.RAX
	if nr == linux.SYS_RT_SIGRETURN {
		sysRtSigreturn(tf)
		return
	}
	if nr < uintptr(len(syscallTable)) {
		if r, ok := fsSyscall(nr, *(*sysArgs)(tf.SyscallArgs())); ok {
			tf.RAX = r
			return
		}
	}
	tf.RAX = errno(linux.ENOSYS)
	if nr < linux.NumSyscalls && enosysLogged[nr/64]&(1<<(nr%64)) == 0 {
		enosysLogged[nr/64] |= 1 << (nr % 64)
		klog.Warn("syscall").S("unsupported syscall ").S(linux.SyscallName(int(nr))).S(" (").U(uint64(nr)).S("): ENOSYS").End()
	} else if nr >= linux.NumSyscalls {
		klog.Warn("syscall").S("unknown syscall number ").U(uint64(nr)).S(": ENOSYS").End()
	}
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
	for nr := 0; nr < linux.NumSyscalls; nr++ {
		name := linux.SyscallName(nr)
		if name == "" {
			continue
		}
		info := SyscallInfo{Number: nr, Name: name}
		if nr == linux.SYS_RT_SIGRETURN {
			info.Support = Supported
		} else if implemented(nr) {
			info.Support = syscallDocs[nr].support
			info.Note = syscallDocs[nr].note
		}
		out = append(out, info)
	}
	return out
}

// implemented reports whether syscall nr has a handler in this kernel's
// tables.
func implemented(nr int) bool {
	return nr >= 0 && nr < len(syscallTable) && (syscallTable[nr] != nil || fsHandler(nr) != nil)
}

// syscallTable holds the handlers of every kernel; the file-system calls
// are in fsSyscallTable (sys_fs.go).
var syscallTable = [linux.NumSyscalls]sysHandler{
	linux.SYS_MMAP:              sysMmap,
	linux.SYS_MUNMAP:            sysMunmap,
	linux.SYS_MPROTECT:          sysMprotect,
	linux.SYS_MADVISE:           sysMadvise,
	linux.SYS_BRK:               sysBrk,
	linux.SYS_MINCORE:           sysMincore,
	linux.SYS_CLONE:             sysClone,
	linux.SYS_EXIT:              sysExit,
	linux.SYS_EXIT_GROUP:        sysExitGroup,
	linux.SYS_FUTEX:             sysFutex,
	linux.SYS_GETTID:            sysGettid,
	linux.SYS_GETPID:            sysGetpid,
	linux.SYS_GETPPID:           sysGetppid,
	linux.SYS_SET_TID_ADDRESS:   sysSetTidAddress,
	linux.SYS_SCHED_YIELD:       sysSchedYield,
	linux.SYS_SCHED_GETAFFINITY: sysSchedGetaffinity,
	linux.SYS_SCHED_SETAFFINITY: sysSchedSetaffinity,
	linux.SYS_NANOSLEEP:         sysNanosleep,
	linux.SYS_CLOCK_NANOSLEEP:   sysClockNanosleep,
	linux.SYS_CLOCK_GETTIME:     sysClockGettime,
	linux.SYS_CLOCK_GETRES:      sysClockGetres,
	linux.SYS_GETTIMEOFDAY:      sysGettimeofday,
	linux.SYS_TIME:              sysTime,
	linux.SYS_PRLIMIT64:         sysPrlimit64,
	linux.SYS_GETRLIMIT:         sysGetrlimit,
	linux.SYS_SET_ROBUST_LIST:   sysSetRobustList,
	linux.SYS_RSEQ:              sysRseq,
	linux.SYS_RT_SIGACTION:      sysRtSigaction,
	linux.SYS_RT_SIGPROCMASK:    sysRtSigprocmask,
	linux.SYS_SIGALTSTACK:       sysSigaltstack,
	linux.SYS_TGKILL:            sysTgkill,
	linux.SYS_TKILL:             sysTkill,
	linux.SYS_KILL:              sysKill,
	linux.SYS_UNAME:             sysUname,
	linux.SYS_GETUID:            sysGetid,
	linux.SYS_GETEUID:           sysGetid,
	linux.SYS_GETGID:            sysGetid,
	linux.SYS_GETEGID:           sysGetid,
	linux.SYS_GETRESUID:         sysGetresid,
	linux.SYS_GETRESGID:         sysGetresid,
	linux.SYS_GETGROUPS:         sysGetgroups,
	linux.SYS_SETUID:            sysSetid,
	linux.SYS_SETGID:            sysSetid,
	linux.SYS_SETREUID:          sysSetid,
	linux.SYS_SETREGID:          sysSetid,
	linux.SYS_SETRESUID:         sysSetid,
	linux.SYS_SETRESGID:         sysSetid,
	linux.SYS_SETGROUPS:         sysSetid,
	linux.SYS_SETFSUID:          sysSetid,
	linux.SYS_SETFSGID:          sysSetid,
	linux.SYS_ARCH_PRCTL:        sysArchPrctl,
	linux.SYS_PRCTL:             sysPrctl,
	linux.SYS_GETRANDOM:         sysGetrandom,
	linux.SYS_SYSINFO:           sysSysinfo,
	linux.SYS_READ:              sysRead,
	linux.SYS_WRITE:             sysWrite,
	linux.SYS_READV:             sysReadv,
	linux.SYS_WRITEV:            sysWritev,
	linux.SYS_CLOSE:             sysClose,
	linux.SYS_FSTAT:             sysFstat,
	linux.SYS_LSEEK:             sysLseek,
	linux.SYS_UMASK:             sysUmask,
	linux.SYS_SPLICE:            sysSplice,
	linux.SYS_FCNTL:             sysFcntl,
	linux.SYS_IOCTL:             sysIoctl,
	linux.SYS_DUP:               sysDup,
	linux.SYS_DUP2:              sysDup2,
	linux.SYS_DUP3:              sysDup3,
	linux.SYS_PIPE:              sysPipe,
	linux.SYS_PIPE2:             sysPipe2,
	linux.SYS_EVENTFD2:          sysEventfd2,
	linux.SYS_EVENTFD:           sysEventfd,
	linux.SYS_EPOLL_CREATE1:     sysEpollCreate1,
	linux.SYS_EPOLL_CREATE:      sysEpollCreate,
	linux.SYS_EPOLL_CTL:         sysEpollCtl,
	linux.SYS_EPOLL_PWAIT:       sysEpollPwait,
	linux.SYS_EPOLL_WAIT:        sysEpollWait,
	linux.SYS_SOCKET:            sysSocket,
	linux.SYS_SOCKETPAIR:        sysSocketpair,
	linux.SYS_BIND:              sysBind,
	linux.SYS_LISTEN:            sysListen,
	linux.SYS_ACCEPT4:           sysAccept4,
	linux.SYS_ACCEPT:            sysAccept,
	linux.SYS_CONNECT:           sysConnect,
	linux.SYS_GETSOCKNAME:       sysGetsockname,
	linux.SYS_GETPEERNAME:       sysGetpeername,
	linux.SYS_SHUTDOWN:          sysShutdown,
	linux.SYS_SENDTO:            sysSendto,
	linux.SYS_RECVFROM:          sysRecvfrom,
	linux.SYS_SENDMSG:           sysSendmsg,
	linux.SYS_RECVMSG:           sysRecvmsg,
	linux.SYS_SETSOCKOPT:        sysSetsockopt,
	linux.SYS_GETSOCKOPT:        sysGetsockopt,
}

// syscallDocs gives each implemented syscall its support level and a note.
// Only SyscallTable (host side) reads it, so the linker leaves it out of
// guests.
var syscallDocs = [linux.NumSyscalls]sysDoc{
	linux.SYS_MMAP:              {Partial, "anonymous mappings; file mappings return ENODEV until the VFS lands; W+X refused"},
	linux.SYS_MUNMAP:            {Supported, ""},
	linux.SYS_MPROTECT:          {Supported, "W+X refused (W^X)"},
	linux.SYS_MADVISE:           {Partial, "DONTNEED and FREE zero the range; other advice accepted and ignored"},
	linux.SYS_BRK:               {Partial, "no heap break: always returns the current (empty) break"},
	linux.SYS_MINCORE:           {Supported, ""},
	linux.SYS_CLONE:             {Partial, "threads only (CLONE_VM|CLONE_THREAD); no new processes"},
	linux.SYS_EXIT:              {Supported, ""},
	linux.SYS_EXIT_GROUP:        {Supported, "powers the VM off with the status"},
	linux.SYS_FUTEX:             {Partial, "WAIT, WAKE, WAIT_BITSET, WAKE_BITSET (private and shared alike)"},
	linux.SYS_GETTID:            {Supported, ""},
	linux.SYS_GETPID:            {Supported, "always 1"},
	linux.SYS_GETPPID:           {Supported, "always 0"},
	linux.SYS_SET_TID_ADDRESS:   {Supported, ""},
	linux.SYS_SCHED_YIELD:       {Supported, ""},
	linux.SYS_SCHED_GETAFFINITY: {Supported, ""},
	linux.SYS_SCHED_SETAFFINITY: {Partial, "accepted, ignored"},
	linux.SYS_NANOSLEEP:         {Supported, ""},
	linux.SYS_CLOCK_NANOSLEEP:   {Supported, ""},
	linux.SYS_CLOCK_GETTIME:     {Supported, "TSC based"},
	linux.SYS_CLOCK_GETRES:      {Supported, ""},
	linux.SYS_GETTIMEOFDAY:      {Supported, ""},
	linux.SYS_TIME:              {Supported, ""},
	linux.SYS_PRLIMIT64:         {Partial, "reports fixed limits; setting is accepted and ignored"},
	linux.SYS_GETRLIMIT:         {Partial, "fixed limits"},
	linux.SYS_SET_ROBUST_LIST:   {Partial, "accepted, unused"},
	linux.SYS_RSEQ:              {Unsupported, "ENOSYS: no restartable sequences"},
	linux.SYS_RT_SIGACTION:      {Supported, ""},
	linux.SYS_RT_SIGPROCMASK:    {Supported, ""},
	linux.SYS_SIGALTSTACK:       {Supported, ""},
	linux.SYS_TGKILL:            {Supported, ""},
	linux.SYS_TKILL:             {Supported, ""},
	linux.SYS_KILL:              {Partial, "only the program itself (pid 1 or 0)"},
	linux.SYS_UNAME:             {Supported, ""},
	linux.SYS_GETUID:            {Supported, "always 0 (root)"},
	linux.SYS_GETEUID:           {Supported, "always 0 (root)"},
	linux.SYS_GETGID:            {Supported, "always 0 (root)"},
	linux.SYS_GETEGID:           {Supported, "always 0 (root)"},
	linux.SYS_GETRESUID:         {Supported, "always 0 (root)"},
	linux.SYS_GETRESGID:         {Supported, "always 0 (root)"},
	linux.SYS_GETGROUPS:         {Supported, "no supplementary groups"},
	linux.SYS_SETUID:            {Partial, "accepted; the program stays root"},
	linux.SYS_SETGID:            {Partial, "accepted; the program stays root"},
	linux.SYS_SETREUID:          {Partial, "accepted; the program stays root"},
	linux.SYS_SETREGID:          {Partial, "accepted; the program stays root"},
	linux.SYS_SETRESUID:         {Partial, "accepted; the program stays root"},
	linux.SYS_SETRESGID:         {Partial, "accepted; the program stays root"},
	linux.SYS_SETGROUPS:         {Partial, "accepted; the program stays root"},
	linux.SYS_SETFSUID:          {Partial, "accepted; the program stays root"},
	linux.SYS_SETFSGID:          {Partial, "accepted; the program stays root"},
	linux.SYS_ARCH_PRCTL:        {Partial, "ARCH_SET_FS, ARCH_GET_FS"},
	linux.SYS_PRCTL:             {Partial, "PR_SET_NAME, PR_GET_NAME; others EINVAL"},
	linux.SYS_GETRANDOM:         {Supported, "RDSEED/RDRAND seeded ChaCha20"},
	linux.SYS_SYSINFO:           {Supported, ""},
	linux.SYS_READ:              {Supported, ""},
	linux.SYS_WRITE:             {Supported, ""},
	linux.SYS_READV:             {Supported, ""},
	linux.SYS_WRITEV:            {Supported, ""},
	linux.SYS_PREAD64:           {Supported, ""},
	linux.SYS_PWRITE64:          {Supported, ""},
	linux.SYS_CLOSE:             {Supported, ""},
	linux.SYS_OPENAT:            {Partial, "O_TMPFILE unsupported; O_SYNC/O_DSYNC writes are synced (fsync/fdatasync) before they return; O_DIRECT accepted (buffered)"},
	linux.SYS_OPEN:              {Partial, "as openat"},
	linux.SYS_CREAT:             {Supported, ""},
	linux.SYS_FSTAT:             {Supported, ""},
	linux.SYS_NEWFSTATAT:        {Supported, ""},
	linux.SYS_STAT:              {Supported, ""},
	linux.SYS_LSTAT:             {Supported, ""},
	linux.SYS_STATX:             {Partial, "basic stats; btime reports ctime"},
	linux.SYS_GETDENTS64:        {Supported, ""},
	linux.SYS_LSEEK:             {Supported, "ESPIPE on pipes and the console"},
	linux.SYS_MKDIRAT:           {Supported, ""},
	linux.SYS_MKDIR:             {Supported, ""},
	linux.SYS_MKNODAT:           {Partial, "regular files and fifos; device nodes EPERM"},
	linux.SYS_UNLINKAT:          {Supported, ""},
	linux.SYS_UNLINK:            {Supported, ""},
	linux.SYS_RMDIR:             {Supported, ""},
	linux.SYS_RENAMEAT2:         {Partial, "RENAME_NOREPLACE, RENAME_EXCHANGE; not RENAME_WHITEOUT"},
	linux.SYS_RENAMEAT:          {Supported, ""},
	linux.SYS_RENAME:            {Supported, ""},
	linux.SYS_LINKAT:            {Supported, ""},
	linux.SYS_LINK:              {Supported, ""},
	linux.SYS_SYMLINKAT:         {Supported, ""},
	linux.SYS_SYMLINK:           {Supported, ""},
	linux.SYS_READLINKAT:        {Supported, ""},
	linux.SYS_READLINK:          {Supported, ""},
	linux.SYS_FACCESSAT2:        {Partial, "the program is root: existence and execute bits only"},
	linux.SYS_FACCESSAT:         {Partial, "as faccessat2"},
	linux.SYS_ACCESS:            {Partial, "as faccessat2"},
	linux.SYS_FCHMODAT:          {Supported, ""},
	linux.SYS_FCHMODAT2:         {Supported, ""},
	linux.SYS_FCHMOD:            {Supported, ""},
	linux.SYS_CHMOD:             {Supported, ""},
	linux.SYS_FCHOWNAT:          {Supported, ""},
	linux.SYS_FCHOWN:            {Supported, ""},
	linux.SYS_CHOWN:             {Supported, ""},
	linux.SYS_LCHOWN:            {Supported, ""},
	linux.SYS_UTIMENSAT:         {Supported, ""},
	linux.SYS_FTRUNCATE:         {Supported, ""},
	linux.SYS_TRUNCATE:          {Supported, ""},
	linux.SYS_FALLOCATE:         {Partial, "mode 0 and FALLOC_FL_KEEP_SIZE"},
	linux.SYS_FSYNC:             {Supported, "mounted file systems write back through their driver; ramfs has nothing to write back"},
	linux.SYS_FDATASYNC:         {Supported, "as fsync"},
	linux.SYS_SYNCFS:            {Supported, "as fsync"},
	linux.SYS_SYNC:              {Supported, "every mounted file system, then the raw disk's cache"},
	linux.SYS_MOUNT:             {Partial, "file systems the image has drivers for (ext2, 9p); MS_RDONLY; no remount or bind mounts"},
	linux.SYS_GETCWD:            {Supported, ""},
	linux.SYS_CHDIR:             {Supported, ""},
	linux.SYS_FCHDIR:            {Supported, ""},
	linux.SYS_UMASK:             {Supported, ""},
	linux.SYS_STATFS:            {Supported, ""},
	linux.SYS_FSTATFS:           {Supported, ""},
	linux.SYS_FLOCK:             {Partial, "one program: every lock is granted"},
	linux.SYS_MEMFD_CREATE:      {Partial, "an unlinked ramfs file; no sealing"},
	linux.SYS_SENDFILE:          {Supported, ""},
	linux.SYS_COPY_FILE_RANGE:   {Supported, ""},
	linux.SYS_SPLICE:            {Supported, "through the pipe's own buffer, no page moving"},
	linux.SYS_FCNTL:             {Partial, "F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC"},
	linux.SYS_IOCTL:             {Partial, "TCGETS/TIOCGWINSZ on the console, FIONREAD, FIONBIO, SIOCOUTQ on sockets"},
	linux.SYS_DUP:               {Supported, ""},
	linux.SYS_DUP2:              {Supported, ""},
	linux.SYS_DUP3:              {Supported, ""},
	linux.SYS_PIPE:              {Supported, ""},
	linux.SYS_PIPE2:             {Supported, ""},
	linux.SYS_EVENTFD2:          {Supported, ""},
	linux.SYS_EVENTFD:           {Supported, ""},
	linux.SYS_EPOLL_CREATE1:     {Supported, ""},
	linux.SYS_EPOLL_CREATE:      {Supported, ""},
	linux.SYS_EPOLL_CTL:         {Supported, "level and edge triggered; EPERM on files that cannot be polled"},
	linux.SYS_EPOLL_PWAIT:       {Supported, ""},
	linux.SYS_EPOLL_WAIT:        {Supported, ""},
	linux.SYS_SOCKET:            {Partial, "AF_INET, AF_INET6: TCP and UDP; AF_UNIX: stream, datagram, seqpacket (programs that import net); MPTCP, raw and other families EPROTONOSUPPORT/EAFNOSUPPORT"},
	linux.SYS_SOCKETPAIR:        {Partial, "AF_UNIX"},
	linux.SYS_BIND:              {Supported, "ports are allocated by the kernel: EADDRINUSE, EADDRNOTAVAIL at once"},
	linux.SYS_LISTEN:            {Supported, ""},
	linux.SYS_ACCEPT4:           {Supported, ""},
	linux.SYS_ACCEPT:            {Supported, ""},
	linux.SYS_CONNECT:           {Supported, "EINPROGRESS on non-blocking sockets; SO_ERROR reports the outcome"},
	linux.SYS_GETSOCKNAME:       {Supported, ""},
	linux.SYS_GETPEERNAME:       {Supported, ""},
	linux.SYS_SHUTDOWN:          {Supported, ""},
	linux.SYS_SENDTO:            {Supported, ""},
	linux.SYS_RECVFROM:          {Supported, ""},
	linux.SYS_SENDMSG:           {Partial, "no control messages (SCM_RIGHTS) yet"},
	linux.SYS_RECVMSG:           {Partial, "no control messages (SCM_RIGHTS) yet"},
	linux.SYS_SETSOCKOPT:        {Partial, "SO_REUSEADDR/REUSEPORT/KEEPALIVE/BROADCAST/RCVBUF/SNDBUF/LINGER/RCVTIMEO/SNDTIMEO, TCP_NODELAY/KEEPIDLE/KEEPINTVL/KEEPCNT, IPV6_V6ONLY, IP_TTL; a few more accepted without effect"},
	linux.SYS_GETSOCKOPT:        {Partial, "the options setsockopt takes, plus SO_TYPE/ERROR/DOMAIN/PROTOCOL/ACCEPTCONN"},
}
