package linux

// open(2) flags, in octal as the header writes them.
//
// include/uapi/asm-generic/fcntl.h
const (
	O_ACCMODE   = 0o3
	O_RDONLY    = 0o0
	O_WRONLY    = 0o1
	O_RDWR      = 0o2
	O_CREAT     = 0o100
	O_EXCL      = 0o200
	O_NOCTTY    = 0o400
	O_TRUNC     = 0o1000
	O_APPEND    = 0o2000
	O_NONBLOCK  = 0o4000
	O_NDELAY    = O_NONBLOCK
	O_DSYNC     = 0o10000
	FASYNC      = 0o20000
	O_DIRECT    = 0o40000
	O_LARGEFILE = 0o100000 // glibc defines it as 0 on 64-bit; the kernel sees this bit
	O_DIRECTORY = 0o200000
	O_NOFOLLOW  = 0o400000
	O_NOATIME   = 0o1000000
	O_CLOEXEC   = 0o2000000
	O_SYNC      = 0o4000000 | O_DSYNC // __O_SYNC | O_DSYNC
	O_PATH      = 0o10000000
	O_TMPFILE   = 0o20000000 | O_DIRECTORY // __O_TMPFILE | O_DIRECTORY
)

// fcntl(2) commands.
//
// include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h
const (
	F_DUPFD      = 0
	F_GETFD      = 1
	F_SETFD      = 2
	F_GETFL      = 3
	F_SETFL      = 4
	F_GETLK      = 5
	F_SETLK      = 6
	F_SETLKW     = 7
	F_SETOWN     = 8
	F_GETOWN     = 9
	F_SETSIG     = 10
	F_GETSIG     = 11
	F_SETOWN_EX  = 15
	F_GETOWN_EX  = 16
	F_OFD_GETLK  = 36
	F_OFD_SETLK  = 37
	F_OFD_SETLKW = 38

	F_LINUX_SPECIFIC_BASE = 1024
	F_SETLEASE            = F_LINUX_SPECIFIC_BASE + 0
	F_GETLEASE            = F_LINUX_SPECIFIC_BASE + 1
	F_NOTIFY              = F_LINUX_SPECIFIC_BASE + 2
	F_DUPFD_QUERY         = F_LINUX_SPECIFIC_BASE + 3
	F_CREATED_QUERY       = F_LINUX_SPECIFIC_BASE + 4
	F_CANCELLK            = F_LINUX_SPECIFIC_BASE + 5
	F_DUPFD_CLOEXEC       = F_LINUX_SPECIFIC_BASE + 6
	F_SETPIPE_SZ          = F_LINUX_SPECIFIC_BASE + 7
	F_GETPIPE_SZ          = F_LINUX_SPECIFIC_BASE + 8
	F_ADD_SEALS           = F_LINUX_SPECIFIC_BASE + 9
	F_GET_SEALS           = F_LINUX_SPECIFIC_BASE + 10

	FD_CLOEXEC = 1

	F_RDLCK = 0
	F_WRLCK = 1
	F_UNLCK = 2
)

// Flock is struct flock (fcntl(2) F_GETLK/F_SETLK, 32 bytes).
//
// include/uapi/asm-generic/fcntl.h
type Flock struct {
	Type   int16
	Whence int16
	_      int32
	Start  int64
	Len    int64
	Pid    int32
	_      int32
}

// Directory-relative path resolution (the *at(2) calls) and their flags.
//
// include/uapi/linux/fcntl.h
const (
	AT_FDCWD              = -100
	AT_SYMLINK_NOFOLLOW   = 0x100
	AT_EACCESS            = 0x200 // faccessat(2)
	AT_REMOVEDIR          = 0x200 // unlinkat(2)
	AT_SYMLINK_FOLLOW     = 0x400
	AT_NO_AUTOMOUNT       = 0x800
	AT_EMPTY_PATH         = 0x1000
	AT_STATX_SYNC_TYPE    = 0x6000
	AT_STATX_SYNC_AS_STAT = 0x0000
	AT_STATX_FORCE_SYNC   = 0x2000
	AT_STATX_DONT_SYNC    = 0x4000
	AT_RECURSIVE          = 0x8000
)

// File types and permission bits of a mode.
//
// include/uapi/linux/stat.h
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
	S_ISUID  = 0o4000
	S_ISGID  = 0o2000
	S_ISVTX  = 0o1000
	S_IRWXU  = 0o700
	S_IRUSR  = 0o400
	S_IWUSR  = 0o200
	S_IXUSR  = 0o100
	S_IRWXG  = 0o070
	S_IRGRP  = 0o040
	S_IWGRP  = 0o020
	S_IXGRP  = 0o010
	S_IRWXO  = 0o007
	S_IROTH  = 0o004
	S_IWOTH  = 0o002
	S_IXOTH  = 0o001
)

// access(2) modes.
//
// POSIX <unistd.h>; no uapi header has them (fs/open.c checks mode against S_IRWXO).
const (
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4
)

// lseek(2) whence.
//
// include/uapi/linux/fs.h
const (
	SEEK_SET  = 0
	SEEK_CUR  = 1
	SEEK_END  = 2
	SEEK_DATA = 3
	SEEK_HOLE = 4
)

// Stat is struct stat of x86-64, what fstat(2) and newfstatat(2) fill in
// (144 bytes). Note the x86-64 order: nlink comes before mode.
//
// arch/x86/include/uapi/asm/stat.h
type Stat struct {
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Mode    uint32
	Uid     uint32
	Gid     uint32
	_       int32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte units
	ATime   Timespec
	MTime   Timespec
	CTime   Timespec
	_       [3]int64
}

// statx(2) mask bits.
//
// include/uapi/linux/stat.h
const (
	STATX_TYPE           = 0x00000001
	STATX_MODE           = 0x00000002
	STATX_NLINK          = 0x00000004
	STATX_UID            = 0x00000008
	STATX_GID            = 0x00000010
	STATX_ATIME          = 0x00000020
	STATX_MTIME          = 0x00000040
	STATX_CTIME          = 0x00000080
	STATX_INO            = 0x00000100
	STATX_SIZE           = 0x00000200
	STATX_BLOCKS         = 0x00000400
	STATX_BASIC_STATS    = 0x000007ff
	STATX_BTIME          = 0x00000800
	STATX_MNT_ID         = 0x00001000
	STATX_DIOALIGN       = 0x00002000
	STATX_MNT_ID_UNIQUE  = 0x00004000
	STATX_SUBVOL         = 0x00008000
	STATX_WRITE_ATOMIC   = 0x00010000
	STATX_DIO_READ_ALIGN = 0x00020000
)

// StatxTimestamp is struct statx_timestamp (16 bytes).
//
// include/uapi/linux/stat.h
type StatxTimestamp struct {
	Sec  int64
	Nsec uint32
	_    int32
}

// Statx is struct statx (256 bytes). Fields after DioOffsetAlign were spare
// before Linux 6.11 and are filled only when their mask bit is asked for.
//
// include/uapi/linux/stat.h
type Statx struct {
	Mask                   uint32
	Blksize                uint32
	Attributes             uint64
	Nlink                  uint32
	Uid                    uint32
	Gid                    uint32
	Mode                   uint16
	_                      uint16
	Ino                    uint64
	Size                   uint64
	Blocks                 uint64
	AttributesMask         uint64
	Atime                  StatxTimestamp
	Btime                  StatxTimestamp
	Ctime                  StatxTimestamp
	Mtime                  StatxTimestamp
	RdevMajor              uint32
	RdevMinor              uint32
	DevMajor               uint32
	DevMinor               uint32
	MntID                  uint64
	DioMemAlign            uint32
	DioOffsetAlign         uint32
	Subvol                 uint64
	AtomicWriteUnitMin     uint32
	AtomicWriteUnitMax     uint32
	AtomicWriteSegmentsMax uint32
	DioReadOffsetAlign     uint32
	AtomicWriteUnitMaxOpt  uint32
	_                      uint32
	_                      [8]uint64
}

// Dirent64 is the fixed header of struct linux_dirent64 (getdents64(2)).
// The NUL-terminated name starts at byte Dirent64NameOffset (19), not at
// unsafe.Sizeof(Dirent64{}) (24, Go pads the struct); Reclen covers header,
// name and padding to 8 bytes.
//
// include/linux/dirent.h
type Dirent64 struct {
	Ino    uint64
	Off    int64
	Reclen uint16
	Type   uint8 // DT_*
}

// Dirent64NameOffset is offsetof(struct linux_dirent64, d_name).
const Dirent64NameOffset = 19

// Directory entry types (Dirent64.Type).
//
// include/linux/fs_types.h (values shared with glibc's dirent.h)
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
	DT_WHT     = 14
)

// Statfs is struct statfs of 64-bit (statfs(2), fstatfs(2); 120 bytes).
//
// include/uapi/asm-generic/statfs.h
type Statfs struct {
	Type    int64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Fsid    [2]int32
	Namelen int64
	Frsize  int64
	Flags   int64
	_       [4]int64
}

// Iovec is struct iovec (readv(2), writev(2), 16 bytes).
//
// include/uapi/linux/uio.h
type Iovec struct {
	Base uint64
	Len  uint64
}

// UIO_MAXIOV is the largest iovec count readv(2) and writev(2) accept.
//
// include/uapi/linux/uio.h
const UIO_MAXIOV = 1024

// poll(2) events.
//
// include/uapi/asm-generic/poll.h
const (
	POLLIN     = 0x0001
	POLLPRI    = 0x0002
	POLLOUT    = 0x0004
	POLLERR    = 0x0008
	POLLHUP    = 0x0010
	POLLNVAL   = 0x0020
	POLLRDNORM = 0x0040
	POLLRDBAND = 0x0080
	POLLWRNORM = 0x0100
	POLLWRBAND = 0x0200
	POLLMSG    = 0x0400
	POLLREMOVE = 0x1000
	POLLRDHUP  = 0x2000
)

// PollFd is struct pollfd (8 bytes).
//
// include/uapi/asm-generic/poll.h
type PollFd struct {
	Fd      int32
	Events  int16
	Revents int16
}

// getrandom(2) flags.
//
// include/uapi/linux/random.h
const (
	GRND_NONBLOCK = 0x0001
	GRND_RANDOM   = 0x0002
	GRND_INSECURE = 0x0004
)

// memfd_create(2) flags.
//
// include/uapi/linux/memfd.h
const (
	MFD_CLOEXEC       = 0x0001
	MFD_ALLOW_SEALING = 0x0002
	MFD_HUGETLB       = 0x0004
	MFD_NOEXEC_SEAL   = 0x0008
	MFD_EXEC          = 0x0010
)

// close_range(2) flags.
//
// include/uapi/linux/close_range.h
const (
	CLOSE_RANGE_UNSHARE = 1 << 1
	CLOSE_RANGE_CLOEXEC = 1 << 2
)

// renameat2(2) flags.
//
// include/uapi/linux/fs.h
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
	RENAME_WHITEOUT  = 1 << 2
)

// Filesystem magic numbers that statfs(2) reports in Statfs.Type and Go's
// standard library looks for.
//
// include/uapi/linux/magic.h
const (
	TMPFS_MAGIC        = 0x01021994
	RAMFS_MAGIC        = 0x858458f6
	PROC_SUPER_MAGIC   = 0x9fa0
	SYSFS_MAGIC        = 0x62656572
	DEVPTS_SUPER_MAGIC = 0x1cd1
	V9FS_MAGIC         = 0x01021997
)

// splice(2) flags.
//
// include/linux/splice.h
const (
	SPLICE_F_MOVE     = 0x01
	SPLICE_F_NONBLOCK = 0x02
	SPLICE_F_MORE     = 0x04
	SPLICE_F_GIFT     = 0x08
)
