package linux

// epoll_ctl(2) operations, event bits and epoll_create1(2) flags.
//
// include/uapi/linux/eventpoll.h
const (
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3

	EPOLLIN     = 0x00000001
	EPOLLPRI    = 0x00000002
	EPOLLOUT    = 0x00000004
	EPOLLERR    = 0x00000008
	EPOLLHUP    = 0x00000010
	EPOLLNVAL   = 0x00000020
	EPOLLRDNORM = 0x00000040
	EPOLLRDBAND = 0x00000080
	EPOLLWRNORM = 0x00000100
	EPOLLWRBAND = 0x00000200
	EPOLLMSG    = 0x00000400
	EPOLLRDHUP  = 0x00002000

	EPOLL_URING_WAKE = 1 << 27
	EPOLLEXCLUSIVE   = 1 << 28
	EPOLLWAKEUP      = 1 << 29
	EPOLLONESHOT     = 1 << 30
	EPOLLET          = 1 << 31

	EPOLL_CLOEXEC = O_CLOEXEC
)

// EpollEvent is struct epoll_event, which is packed on x86-64 (and only
// there): 12 bytes, the 64-bit data at offset 4. Data is therefore two
// 32-bit halves, low word first; use [EpollEvent.Data64] and
// [EpollEvent.SetData64].
//
// include/uapi/linux/eventpoll.h (EPOLL_PACKED)
type EpollEvent struct {
	Events uint32
	Data   [2]uint32
}

// Data64 returns the 64-bit user data.
func (e *EpollEvent) Data64() uint64 { return uint64(e.Data[0]) | uint64(e.Data[1])<<32 }

// SetData64 sets the 64-bit user data.
func (e *EpollEvent) SetData64(d uint64) { e.Data[0], e.Data[1] = uint32(d), uint32(d>>32) }

// eventfd2(2) flags.
//
// include/uapi/linux/eventfd.h
const (
	EFD_SEMAPHORE = 1 << 0
	EFD_CLOEXEC   = O_CLOEXEC
	EFD_NONBLOCK  = O_NONBLOCK
)

// Pipe capacity facts: a pipe buffer holds PIPE_BUF-atomic writes and is
// 16 pages by default (F_GETPIPE_SZ).
//
// include/uapi/linux/limits.h, include/linux/pipe_fs_i.h
const (
	PIPE_BUF         = 4096
	PIPE_DEF_BUFFERS = 16
)
