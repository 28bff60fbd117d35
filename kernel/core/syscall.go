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
	linux.SYS_GETRESUID:  {sysGetresid, Supported, "always 0 (root)"},
	linux.SYS_GETRESGID:  {sysGetresid, Supported, "always 0 (root)"},
	linux.SYS_GETGROUPS:  {sysGetgroups, Supported, "no supplementary groups"},
	linux.SYS_SETUID:     {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETGID:     {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETREUID:   {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETREGID:   {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETRESUID:  {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETRESGID:  {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETGROUPS:  {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETFSUID:   {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_SETFSGID:   {sysSetid, Partial, "accepted; the program stays root"},
	linux.SYS_ARCH_PRCTL: {sysArchPrctl, Partial, "ARCH_SET_FS, ARCH_GET_FS"},
	linux.SYS_PRCTL:      {sysPrctl, Partial, "PR_SET_NAME, PR_GET_NAME; others EINVAL"},
	linux.SYS_GETRANDOM:  {sysGetrandom, Supported, "RDSEED/RDRAND seeded ChaCha20"},
	linux.SYS_SYSINFO:    {sysSysinfo, Supported, ""},

	// Files: the console, pipes, eventfd, epoll, and the file system (ramfs
	// root, /dev, /proc).
	linux.SYS_READ:            {sysRead, Supported, ""},
	linux.SYS_WRITE:           {sysWrite, Supported, ""},
	linux.SYS_READV:           {sysReadv, Supported, ""},
	linux.SYS_WRITEV:          {sysWritev, Supported, ""},
	linux.SYS_PREAD64:         {sysPread64, Supported, ""},
	linux.SYS_PWRITE64:        {sysPwrite64, Supported, ""},
	linux.SYS_CLOSE:           {sysClose, Supported, ""},
	linux.SYS_OPENAT:          {sysOpenat, Partial, "O_TMPFILE unsupported; O_SYNC/O_DIRECT accepted (ramfs)"},
	linux.SYS_OPEN:            {sysOpen, Partial, "as openat"},
	linux.SYS_CREAT:           {sysCreat, Supported, ""},
	linux.SYS_FSTAT:           {sysFstat, Supported, ""},
	linux.SYS_NEWFSTATAT:      {sysNewfstatat, Supported, ""},
	linux.SYS_STAT:            {sysStat, Supported, ""},
	linux.SYS_LSTAT:           {sysLstat, Supported, ""},
	linux.SYS_STATX:           {sysStatx, Partial, "basic stats; btime reports ctime"},
	linux.SYS_GETDENTS64:      {sysGetdents64, Supported, ""},
	linux.SYS_LSEEK:           {sysLseek, Supported, "ESPIPE on pipes and the console"},
	linux.SYS_MKDIRAT:         {sysMkdirat, Supported, ""},
	linux.SYS_MKDIR:           {sysMkdir, Supported, ""},
	linux.SYS_MKNODAT:         {sysMknodat, Partial, "regular files and fifos; device nodes EPERM"},
	linux.SYS_UNLINKAT:        {sysUnlinkat, Supported, ""},
	linux.SYS_UNLINK:          {sysUnlink, Supported, ""},
	linux.SYS_RMDIR:           {sysRmdir, Supported, ""},
	linux.SYS_RENAMEAT2:       {sysRenameat2, Partial, "RENAME_NOREPLACE, RENAME_EXCHANGE; not RENAME_WHITEOUT"},
	linux.SYS_RENAMEAT:        {sysRenameat, Supported, ""},
	linux.SYS_RENAME:          {sysRename, Supported, ""},
	linux.SYS_LINKAT:          {sysLinkat, Supported, ""},
	linux.SYS_LINK:            {sysLink, Supported, ""},
	linux.SYS_SYMLINKAT:       {sysSymlinkat, Supported, ""},
	linux.SYS_SYMLINK:         {sysSymlink, Supported, ""},
	linux.SYS_READLINKAT:      {sysReadlinkat, Supported, ""},
	linux.SYS_READLINK:        {sysReadlink, Supported, ""},
	linux.SYS_FACCESSAT2:      {sysFaccessat2, Partial, "the program is root: existence and execute bits only"},
	linux.SYS_FACCESSAT:       {sysFaccessat, Partial, "as faccessat2"},
	linux.SYS_ACCESS:          {sysAccess, Partial, "as faccessat2"},
	linux.SYS_FCHMODAT:        {sysFchmodat, Supported, ""},
	linux.SYS_FCHMODAT2:       {sysFchmodat2, Supported, ""},
	linux.SYS_FCHMOD:          {sysFchmod, Supported, ""},
	linux.SYS_CHMOD:           {sysChmod, Supported, ""},
	linux.SYS_FCHOWNAT:        {sysFchownat, Supported, ""},
	linux.SYS_FCHOWN:          {sysFchown, Supported, ""},
	linux.SYS_CHOWN:           {sysChown, Supported, ""},
	linux.SYS_LCHOWN:          {sysLchown, Supported, ""},
	linux.SYS_UTIMENSAT:       {sysUtimensat, Supported, ""},
	linux.SYS_FTRUNCATE:       {sysFtruncate, Supported, ""},
	linux.SYS_TRUNCATE:        {sysTruncate, Supported, ""},
	linux.SYS_FALLOCATE:       {sysFallocate, Partial, "mode 0 and FALLOC_FL_KEEP_SIZE"},
	linux.SYS_FSYNC:           {sysFsync, Partial, "ramfs: nothing to write back"},
	linux.SYS_FDATASYNC:       {sysFsync, Partial, "ramfs: nothing to write back"},
	linux.SYS_SYNCFS:          {sysFsync, Partial, "ramfs: nothing to write back"},
	linux.SYS_SYNC:            {sysSync, Partial, "ramfs: nothing to write back"},
	linux.SYS_GETCWD:          {sysGetcwd, Supported, ""},
	linux.SYS_CHDIR:           {sysChdir, Supported, ""},
	linux.SYS_FCHDIR:          {sysFchdir, Supported, ""},
	linux.SYS_UMASK:           {sysUmask, Supported, ""},
	linux.SYS_STATFS:          {sysStatfs, Supported, ""},
	linux.SYS_FSTATFS:         {sysFstatfs, Supported, ""},
	linux.SYS_FLOCK:           {sysFlock, Partial, "one program: every lock is granted"},
	linux.SYS_MEMFD_CREATE:    {sysMemfdCreate, Partial, "an unlinked ramfs file; no sealing"},
	linux.SYS_SENDFILE:        {sysSendfile, Supported, ""},
	linux.SYS_COPY_FILE_RANGE: {sysCopyFileRange, Supported, ""},
	linux.SYS_FCNTL:           {sysFcntl, Partial, "F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC"},
	linux.SYS_IOCTL:           {sysIoctl, Partial, "TCGETS/TIOCGWINSZ on the console, FIONREAD, FIONBIO"},
	linux.SYS_DUP:             {sysDup, Supported, ""},
	linux.SYS_DUP2:            {sysDup2, Supported, ""},
	linux.SYS_DUP3:            {sysDup3, Supported, ""},
	linux.SYS_PIPE:            {sysPipe, Supported, ""},
	linux.SYS_PIPE2:           {sysPipe2, Supported, ""},
	linux.SYS_EVENTFD2:        {sysEventfd2, Supported, ""},
	linux.SYS_EVENTFD:         {sysEventfd, Supported, ""},
	linux.SYS_EPOLL_CREATE1:   {sysEpollCreate1, Supported, ""},
	linux.SYS_EPOLL_CREATE:    {sysEpollCreate, Supported, ""},
	linux.SYS_EPOLL_CTL:       {sysEpollCtl, Supported, "level and edge triggered; EPERM on files that cannot be polled"},
	linux.SYS_EPOLL_PWAIT:     {sysEpollPwait, Supported, ""},
	linux.SYS_EPOLL_WAIT:      {sysEpollWait, Supported, ""},
}
