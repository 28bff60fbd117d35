package linux

// Address families.
//
// include/linux/socket.h
const (
	AF_UNSPEC  = 0
	AF_UNIX    = 1
	AF_LOCAL   = AF_UNIX
	AF_INET    = 2
	AF_INET6   = 10
	AF_NETLINK = 16
	AF_PACKET  = 17
	AF_VSOCK   = 40
	AF_MAX     = 46
)

// Socket types and the flags socket(2), socketpair(2) and accept4(2) accept
// or'ed into the type.
//
// include/linux/net.h (enum sock_type; kernel-internal, the values are ABI)
const (
	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_RAW       = 3
	SOCK_RDM       = 4
	SOCK_SEQPACKET = 5
	SOCK_DCCP      = 6
	SOCK_PACKET    = 10
	SOCK_TYPE_MASK = 0xf

	SOCK_NONBLOCK = O_NONBLOCK
	SOCK_CLOEXEC  = O_CLOEXEC
)

// IP protocols. socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) is what Go's
// net package tries first when MPTCP is enabled; EPROTONOSUPPORT makes it
// fall back to TCP.
//
// include/uapi/linux/in.h, include/uapi/linux/in6.h
const (
	IPPROTO_IP      = 0
	IPPROTO_ICMP    = 1
	IPPROTO_TCP     = 6
	IPPROTO_UDP     = 17
	IPPROTO_IPV6    = 41
	IPPROTO_ICMPV6  = 58
	IPPROTO_SCTP    = 132
	IPPROTO_UDPLITE = 136
	IPPROTO_RAW     = 255
	IPPROTO_MPTCP   = 262
)

// Socket option levels.
//
// include/uapi/asm-generic/socket.h, include/linux/socket.h
const (
	SOL_IP     = 0
	SOL_SOCKET = 1
	SOL_TCP    = 6
	SOL_UDP    = 17
	SOL_IPV6   = 41
	SOL_RAW    = 255
)

// SOL_SOCKET options. x86-64 uses the generic values; SO_RCVTIMEO and
// SO_SNDTIMEO are the _OLD (struct timeval) forms on 64-bit.
//
// include/uapi/asm-generic/socket.h
const (
	SO_DEBUG        = 1
	SO_REUSEADDR    = 2
	SO_TYPE         = 3
	SO_ERROR        = 4
	SO_DONTROUTE    = 5
	SO_BROADCAST    = 6
	SO_SNDBUF       = 7
	SO_RCVBUF       = 8
	SO_KEEPALIVE    = 9
	SO_OOBINLINE    = 10
	SO_NO_CHECK     = 11
	SO_PRIORITY     = 12
	SO_LINGER       = 13
	SO_BSDCOMPAT    = 14
	SO_REUSEPORT    = 15
	SO_PASSCRED     = 16
	SO_PEERCRED     = 17
	SO_RCVLOWAT     = 18
	SO_SNDLOWAT     = 19
	SO_RCVTIMEO     = 20
	SO_SNDTIMEO     = 21
	SO_BINDTODEVICE = 25
	SO_TIMESTAMP    = 29
	SO_ACCEPTCONN   = 30
	SO_PEERSEC      = 31
	SO_SNDBUFFORCE  = 32
	SO_RCVBUFFORCE  = 33
	SO_PASSSEC      = 34
	SO_MARK         = 36
	SO_PROTOCOL     = 38
	SO_DOMAIN       = 39
	SO_RXQ_OVFL     = 40
	SO_PEEK_OFF     = 42
	SO_BUSY_POLL    = 46
	SO_INCOMING_CPU = 49
	SO_ZEROCOPY     = 60
)

// TCP options.
//
// include/uapi/linux/tcp.h
const (
	TCP_NODELAY          = 1
	TCP_MAXSEG           = 2
	TCP_CORK             = 3
	TCP_KEEPIDLE         = 4
	TCP_KEEPINTVL        = 5
	TCP_KEEPCNT          = 6
	TCP_SYNCNT           = 7
	TCP_LINGER2          = 8
	TCP_DEFER_ACCEPT     = 9
	TCP_WINDOW_CLAMP     = 10
	TCP_INFO             = 11
	TCP_QUICKACK         = 12
	TCP_CONGESTION       = 13
	TCP_MD5SIG           = 14
	TCP_USER_TIMEOUT     = 18
	TCP_FASTOPEN         = 23
	TCP_NOTSENT_LOWAT    = 25
	TCP_FASTOPEN_CONNECT = 30
)

// IP and IPv6 options.
//
// include/uapi/linux/in.h, include/uapi/linux/in6.h
const (
	IP_TOS             = 1
	IP_TTL             = 2
	IP_HDRINCL         = 3
	IP_OPTIONS         = 4
	IP_PKTINFO         = 8
	IP_RECVERR         = 11
	IP_MULTICAST_IF    = 32
	IP_MULTICAST_TTL   = 33
	IP_MULTICAST_LOOP  = 34
	IP_ADD_MEMBERSHIP  = 35
	IP_DROP_MEMBERSHIP = 36

	IPV6_UNICAST_HOPS    = 16
	IPV6_MULTICAST_IF    = 17
	IPV6_MULTICAST_HOPS  = 18
	IPV6_MULTICAST_LOOP  = 19
	IPV6_ADD_MEMBERSHIP  = 20 // IPV6_JOIN_GROUP
	IPV6_DROP_MEMBERSHIP = 21
	IPV6_V6ONLY          = 26
	IPV6_RECVPKTINFO     = 49
	IPV6_TCLASS          = 67
)

// send/recv flags.
//
// include/linux/socket.h
const (
	MSG_OOB          = 0x1
	MSG_PEEK         = 0x2
	MSG_DONTROUTE    = 0x4
	MSG_CTRUNC       = 0x8
	MSG_PROBE        = 0x10
	MSG_TRUNC        = 0x20
	MSG_DONTWAIT     = 0x40
	MSG_EOR          = 0x80
	MSG_WAITALL      = 0x100
	MSG_FIN          = 0x200
	MSG_SYN          = 0x400
	MSG_CONFIRM      = 0x800
	MSG_RST          = 0x1000
	MSG_ERRQUEUE     = 0x2000
	MSG_NOSIGNAL     = 0x4000
	MSG_MORE         = 0x8000
	MSG_WAITFORONE   = 0x10000
	MSG_BATCH        = 0x40000
	MSG_ZEROCOPY     = 0x4000000
	MSG_FASTOPEN     = 0x20000000
	MSG_CMSG_CLOEXEC = 0x40000000
)

// shutdown(2) how.
//
// include/linux/net.h
const (
	SHUT_RD   = 0
	SHUT_WR   = 1
	SHUT_RDWR = 2
)

// Control-message types at SOL_SOCKET, and listen(2)'s default cap.
//
// include/linux/socket.h
const (
	SCM_RIGHTS      = 0x01
	SCM_CREDENTIALS = 0x02

	SOMAXCONN = 4096
)

// SockaddrInet4 is struct sockaddr_in (16 bytes). Port and Addr are in
// network byte order, hence bytes.
//
// include/uapi/linux/in.h
type SockaddrInet4 struct {
	Family uint16 // AF_INET
	Port   [2]byte
	Addr   [4]byte
	Zero   [8]byte
}

// SockaddrInet6 is struct sockaddr_in6 (28 bytes).
//
// include/uapi/linux/in6.h
type SockaddrInet6 struct {
	Family   uint16 // AF_INET6
	Port     [2]byte
	Flowinfo uint32 // network byte order
	Addr     [16]byte
	ScopeID  uint32
}

// UnixPathMax is the size of SockaddrUnix.Path (UNIX_PATH_MAX).
const UnixPathMax = 108

// SockaddrUnix is struct sockaddr_un (110 bytes). An abstract address has
// Path[0] == 0; the address length, not a NUL, ends the path.
//
// include/uapi/linux/un.h
type SockaddrUnix struct {
	Family uint16 // AF_UNIX
	Path   [UnixPathMax]byte
}

// SockaddrStorageSize is the size of struct __kernel_sockaddr_storage, the
// largest address any family uses.
//
// include/uapi/linux/socket.h
const SockaddrStorageSize = 128

// Linger is struct linger (SO_LINGER, 8 bytes).
//
// include/linux/socket.h
type Linger struct {
	Onoff  int32
	Linger int32
}

// Ucred is struct ucred (SO_PEERCRED, SCM_CREDENTIALS, 12 bytes).
//
// include/linux/socket.h
type Ucred struct {
	Pid int32
	Uid uint32
	Gid uint32
}

// Msghdr is struct user_msghdr, what sendmsg(2) and recvmsg(2) take
// (56 bytes).
//
// include/linux/socket.h
type Msghdr struct {
	Name       uint64 // pointer to the address
	Namelen    uint32
	_          uint32
	Iov        uint64 // pointer to []Iovec
	Iovlen     uint64
	Control    uint64
	Controllen uint64
	Flags      int32
	_          int32
}

// Mmsghdr is struct mmsghdr (sendmmsg(2), recvmmsg(2), 64 bytes).
//
// include/linux/socket.h
type Mmsghdr struct {
	Hdr Msghdr
	Len uint32
	_   uint32
}

// Cmsghdr is struct cmsghdr (16 bytes); data follows, and each message is
// padded to 8 bytes.
//
// include/linux/socket.h
type Cmsghdr struct {
	Len   uint64
	Level int32
	Type  int32
}
