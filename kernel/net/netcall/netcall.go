// Package netcall is the private interface between the two halves of
// unigo's networking (docs/adr/0008-networking.md): the kernel (package
// core), which owns the network device and the sockets' buffers and runs
// in trap context, and the network stack (package
// unigo.dev/unigo/kernel/net), gVisor's TCP/IP running as goroutines in
// the program's own Go runtime.
//
// The stack talks to the kernel through one system call, [Sys], whose
// first argument is an operation (Op*); the kernel talks to the stack by
// signalling an eventfd the stack registered with [OpAttach], after which
// the stack collects work and received frames with [OpPoll] (and
// [OpRecv] when more frames wait). Every operation is non-blocking.
//
// The records here are shared memory layouts: both sides are Go on amd64,
// and the types use fixed-size fields only.
package netcall

// Sys is the system-call number, outside Linux's range.
const Sys = 0x554E

// Operations: Sys(op, a1, a2, a3, a4, a5). Results are Linux style:
// a non-negative value or -errno.
const (
	// OpAttach(eventfd): the kernel signals the eventfd whenever OpPoll or
	// OpRecv has something. Returns 0; EBUSY if a stack is attached. The
	// stack never reads the eventfd: OpPoll consumes the signal (resets
	// its counter), so the next piece of work signals again. The stack
	// only waits for it to become readable.
	OpAttach = 1
	// OpInfo(*Info): the device and the configuration.
	OpInfo = 2
	// OpRecv(buf, len): copies received frames into buf, each as a
	// 2-byte little-endian length and the Ethernet frame. Returns the
	// bytes used; 0 means none waiting.
	// It stops early only when fewer than 2+MaxFrame bytes of buf are
	// left, so a result leaving that much room means the queue is drained.
	OpRecv = 3
	// OpSend(buf, len): transmits the frames in buf (same framing).
	// Returns how many were queued; the rest were dropped.
	OpSend = 4
	// OpPoll(*[n]Event, n, buf, len, tx): socket work for the stack, and
	// the frames that wait, copied into buf as OpRecv does and ended by a
	// zero length (when len >= 2; buf may be 0). With tx (a buffer of
	// PollTxSize bytes, or 0), the data of stream sockets' EvSend events
	// comes along too, as OpPull would give it: Event.TxLen bytes at
	// tx[Event.TxOff:]; EvSend stays set only when the send ring still
	// holds more. Returns the number of events, plus PollRecv when more
	// frames wait for OpRecv. It consumes the eventfd's signal (see
	// OpAttach).
	OpPoll = 5
	// OpPush(id, buf, len, *Sockaddr): received data for a socket. Stream:
	// returns the bytes taken (fewer when the socket's buffer is full;
	// an EvRecvSpace event follows once there is room). Datagram: buf is
	// one datagram from the address; returns len, or -EAGAIN (dropped).
	OpPush = 6
	// OpPull(id, buf, len, *Sockaddr): data the program sent. Stream: up
	// to len bytes; 0 when there is nothing (fewer than len: the ring is
	// now empty). Datagram: one datagram
	// (truncated to len) and its destination; -EAGAIN when there is none
	// (0 is an empty datagram).
	OpPull = 7
	// OpState(id, state, errno, *Addrs): a socket's state changed (State*).
	OpState = 8
	// OpAccept(listener id, *Addrs): a new connection on a listening
	// socket; returns the new socket's id, or -EAGAIN when the listener's
	// queue is full (an EvAcceptSpace event follows once there is room).
	OpAccept = 9
	// OpRelease(id): the stack is done with a socket the program closed;
	// the kernel frees it.
	OpRelease = 10
	// OpAddrs(*[n]Addr, n, *Sockaddr): the interface addresses with
	// their prefix lengths, for bind(2) checks, getsockname of wildcard
	// binds and the kernel's own TCP (its routes), and the IPv4 default
	// gateway (0: none). Each call replaces the previous configuration.
	OpAddrs = 11
)

// PollRecv is or'ed into OpPoll's result when received frames wait.
const PollRecv = 1 << 20

// PollTxSize is the size of OpPoll's tx buffer.
const PollTxSize = 64 << 10

// Event bits: what the program asked of a socket since the last poll.
const (
	EvBind        = 1 << iota // bound to Event.Local (datagram sockets)
	EvListen                  // listen(2) with Event.Backlog
	EvConnect                 // connect(2) to Event.Remote (stream: start the handshake)
	EvSend                    // data waits for OpPull
	EvRecvSpace               // the receive buffer has room again
	EvAcceptSpace             // the accept queue has room again
	EvShutdown                // shutdown(2): see FlagShutRead, FlagShutWrite
	EvOpts                    // options changed (Flags, buffer sizes, keepalive)
	EvClose                   // the program closed it: flush, close, then OpRelease
)

// Event flags (Event.Flags).
const (
	FlagReuseAddr = 1 << iota
	FlagReusePort
	FlagV6Only
	FlagNoDelay
	FlagKeepAlive
	FlagBroadcast
	FlagShutRead
	FlagShutWrite
)

// States for OpState.
const (
	// StateConnected: the handshake completed (Addrs filled), or a
	// datagram socket's addresses are known.
	StateConnected = 1
	// StateError: a connection error (errno): refused, reset, timed out.
	// For stream sockets it ends the connection.
	StateError = 2
	// StateRecvEOF: the peer will send no more (FIN).
	StateRecvEOF = 3
	// StateLocal: the local address changed (Addrs.Local), e.g. an
	// ephemeral port chosen when connecting.
	StateLocal = 4
)

// Sockaddr holds a struct sockaddr_in or sockaddr_in6 (Linux layout).
type Sockaddr [28]byte

// Addr is an interface address and its prefix length (OpAddrs).
type Addr struct {
	Sockaddr
	Prefix uint8
	_      [3]byte
}

// Addrs is a socket's two ends.
type Addrs struct {
	Local, Remote Sockaddr
}

// Event describes a socket with work for the stack: what happened (Ops)
// and the socket's whole configuration, so the stack never asks back.
type Event struct {
	ID        uint32
	Ops       uint32
	Family    uint16 // AF_INET, AF_INET6
	Type      uint16 // SOCK_STREAM, SOCK_DGRAM
	Proto     uint16 // IPPROTO_TCP, IPPROTO_UDP
	Flags     uint16
	Backlog   int32
	RcvBuf    int32 // SO_RCVBUF as set, 0 for the default
	SndBuf    int32
	KeepIdle  int32 // seconds, 0 for the default
	KeepIntvl int32
	KeepCnt   int32
	Linger    int32  // seconds, -1 when off
	TxOff     uint32 // OpPoll: the socket's sent data in the tx buffer
	TxLen     uint32
	_         uint32
	Local     Sockaddr
	Remote    Sockaddr
}

// Info describes the network device and the configuration the host gave.
type Info struct {
	MAC       [6]byte
	HasDevice uint8
	_         uint8
	MTU       uint32
	// Config holds the kernel command line's unigo.net.* parameters
	// ("ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3"), space separated,
	// without the prefix.
	ConfigLen uint32
	Config    [512]byte
}
