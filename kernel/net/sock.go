package net

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"unigo.dev/unigo/kernel/net/netcall"
)

// The socket bridge: each kernel socket the program uses for TCP or UDP
// has a gVisor endpoint here. One goroutine (bridge.run) does all the
// work: it takes the kernel's events (OpPoll), reacts to gVisor's
// readiness callbacks, and moves data between the kernel's socket rings
// and the endpoints. Nothing here blocks; the goroutine sleeps in the
// netpoller on the kernel's eventfd (run).

const (
	afInet  = syscall.AF_INET
	afInet6 = syscall.AF_INET6
)

type sockState uint8

const (
	sNew sockState = iota
	sBound
	sListening
	sConnecting
	sConnected
	sClosed // endpoint closed, released
)

type socket struct {
	b     *bridge
	id    uint32
	ev    netcall.Event // the kernel's latest description
	ep    tcpip.Endpoint
	wq    waiter.Queue
	entry waiter.Entry
	state sockState
	dirty bool // on bridge.dirty (bridge.mu)
	// rxSignal (bridge.mu): gVisor signalled readable (or hang-up, error)
	// since the bridge last took the dirty list; rxIdle: the last Read
	// found nothing, and no signal came since. streamIO reads only when
	// not rxIdle.
	rxSignal bool
	rxIdle   bool

	pending   []byte // stream: bytes pulled from the kernel that gVisor has not taken
	txFull    bool   // the kernel was told gVisor is full (StateTxFull)
	shared    bool   // pending is in a bridge buffer (scratch, tx): streamIO takes or copies it
	txData    bool   // stream: the kernel's send ring may hold data (EvSend seen, not drained)
	rxBlocked bool   // the kernel's receive ring is full
	eof       bool   // the kernel knows the receive side ended
	dead      bool   // stream: the connection failed (reset, refused, ...)
	shutWr    bool   // ep.Shutdown(write) done
	closing   bool   // the program closed it
	held      []held // accepted connections the kernel has no room for yet
}

type held struct {
	ep   tcpip.Endpoint
	wq   *waiter.Queue
	peer tcpip.FullAddress
}

type bridge struct {
	st    *stack.Stack
	link  *link
	socks map[uint32]*socket
	evfd  *os.File // the kernel's eventfd (set before run starts)

	mu       sync.Mutex
	dirty    []*socket
	sleeping bool // waiting for the eventfd: markDirty must wake it

	events  [64]netcall.Event
	batch   []netcall.Event
	scratch []byte
	tx      []byte // OpPoll's tx buffer: the data of this pass's EvSend events
}

func newBridge(st *stack.Stack, l *link) *bridge {
	return &bridge{st: st, link: l, socks: map[uint32]*socket{},
		scratch: make([]byte, 64<<10), tx: make([]byte, netcall.PollTxSize)}
}

// run is the bridge goroutine: it waits in the runtime's netpoller for
// the kernel's eventfd, which becomes readable when the kernel has work;
// OpPoll consumes the signal, so the eventfd is never read. gVisor's
// callbacks (goroutines of this runtime) wake it without the kernel
// (wake).
func (b *bridge) run() {
	err := waitLoop(b.evfd, func() bool {
		b.mu.Lock()
		b.sleeping = false
		b.mu.Unlock()
		for {
			b.pollKernel()
			b.serviceDirty()
			if b.sleep() {
				return false // wait for the eventfd or a wake
			}
		}
	})
	logf("event channel: %v", err)
}

// waitLoop calls work whenever f becomes readable or a goroutine set f's
// read deadline in the past (which makes the netpoller ready the waiting
// goroutine at once, without a system call); work reports whether to
// stop. It returns f's error, or nil when work stopped.
func waitLoop(f *os.File, work func() bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	stop := false
	read := func(uintptr) bool {
		stop = work()
		return stop
	}
	for {
		err := rc.Read(read)
		if stop {
			return nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		// A wake: clear the deadline and work again.
		f.SetReadDeadline(time.Time{})
	}
}

// pastDeadline is a read deadline that has passed: setting it readies a
// goroutine waiting in the netpoller for the eventfd.
var pastDeadline = time.Unix(1, 0)

// wake readies the sleeping bridge from a goroutine: the runtime makes it
// runnable directly, without a system call or a netpoller round.
func (b *bridge) wake() {
	b.evfd.SetReadDeadline(pastDeadline)
}

// sleep reports whether the bridge may wait for the eventfd: nothing is
// dirty. From then on markDirty wakes it.
func (b *bridge) sleep() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dirty) > 0 {
		return false
	}
	b.sleeping = true
	return true
}

// pollKernel takes all the kernel's socket work and received frames.
//
// The kernel coalesces a socket's events, so a socket's later send can
// stand before another socket's bind in the queue. Linux semantics need
// every bind, listen and close the program made to take effect before any
// data moves, so the work runs in phases: first the setup of every socket
// (in queue order: a close frees a port before a later bind takes it),
// then received frames, then connects and data.
func (b *bridge) pollKernel() {
	b.batch = b.batch[:0]
	// The first OpPoll also brings the frames that wait, into the link's
	// receive buffer (PollRecv says more wait than fitted), and the data
	// the program sent, into b.tx (act hands it to the sockets).
	var rx []byte
	if b.link != nil {
		rx = b.link.rx
	}
	tx := bytesPtr(b.tx)
	more := false
	for {
		r, e := call5(netcall.OpPoll, ptr(&b.events[0]), uintptr(len(b.events)), bytesPtr(rx), uintptr(len(rx)), tx)
		if e != 0 {
			logf("poll: %v", e)
			return
		}
		more = r&netcall.PollRecv != 0
		n := int(r &^ netcall.PollRecv)
		b.batch = append(b.batch, b.events[:n]...)
		if n < len(b.events) {
			break
		}
		rx, tx = nil, 0
	}
	for i := range b.batch {
		b.setup(&b.batch[i])
	}
	if b.link != nil {
		frames := b.link.rx[0] != 0 || b.link.rx[1] != 0
		if frames {
			b.link.deliverAll(b.link.rx)
		}
		if more {
			b.link.receive()
			frames = true
		}
		if frames {
			// gVisor's TCP segment processor was readied by the
			// frames: let it run now, so that the sockets it marks
			// dirty are serviced below without a wake-up (one yield
			// per batch: the bridge goes to the back of the run
			// queue, nothing is starved).
			runtime.Gosched()
		}
	}
	for i := range b.batch {
		b.act(&b.batch[i])
	}
}

// rxEvents are the readiness events after which a stream socket's Read
// may find something.
const rxEvents = waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr

func (b *bridge) markDirty(s *socket, mask waiter.EventMask) {
	b.mu.Lock()
	if mask&rxEvents != 0 {
		s.rxSignal = true
	}
	if !s.dirty {
		s.dirty = true
		b.dirty = append(b.dirty, s)
	}
	wake := b.sleeping
	b.sleeping = false
	b.mu.Unlock()
	if wake {
		b.wake()
	}
}

func (b *bridge) serviceDirty() {
	for {
		b.mu.Lock()
		list := b.dirty
		b.dirty = nil
		for _, s := range list {
			s.dirty = false
			if s.rxSignal {
				s.rxSignal, s.rxIdle = false, false
			}
		}
		b.mu.Unlock()
		if len(list) == 0 {
			return
		}
		for _, s := range list {
			b.service(s)
		}
	}
}

func netProto(family uint16) tcpip.NetworkProtocolNumber {
	if family == afInet {
		return ipv4.ProtocolNumber
	}
	return ipv6.ProtocolNumber
}

// endpoint creates s's gVisor endpoint.
func (b *bridge) endpoint(s *socket) tcpip.Error {
	tp := tcp.ProtocolNumber
	if s.ev.Type == syscall.SOCK_DGRAM {
		tp = udp.ProtocolNumber
	}
	ep, err := b.st.NewEndpoint(tp, netProto(s.ev.Family), &s.wq)
	if err != nil {
		return err
	}
	s.ep = ep
	s.watch()
	return nil
}

// watch registers for gVisor's readiness callbacks.
func (s *socket) watch() {
	s.entry = waiter.NewFunctionEntry(waiter.ReadableEvents|waiter.WritableEvents|waiter.EventHUp|waiter.EventErr,
		func(m waiter.EventMask) { s.b.markDirty(s, m) })
	s.wq.EventRegister(&s.entry)
}

// setup applies the first phase of a kernel event: the endpoint, its
// options, bind, listen, and closes that free a port.
func (b *bridge) setup(ev *netcall.Event) {
	s := b.socks[ev.ID]
	if s == nil {
		if ev.Ops == netcall.EvClose {
			// Closed before the stack ever saw it bound or connected.
			call(netcall.OpRelease, uintptr(ev.ID), 0, 0, 0)
			return
		}
		s = &socket{b: b, id: ev.ID}
		b.socks[ev.ID] = s
	}
	debugf("socket %#x: ops %#x flags %#x", ev.ID, ev.Ops, ev.Flags)
	first := s.ep == nil
	s.ev = *ev
	if first {
		if err := b.endpoint(s); err != nil {
			b.fail(s, err)
			return
		}
	}
	ops := ev.Ops
	if first || ops&netcall.EvOpts != 0 {
		s.applyOptions()
	}
	if ops&netcall.EvBind != 0 && s.state == sNew {
		b.bind(s)
	}
	if ops&netcall.EvListen != 0 && ops&netcall.EvClose == 0 {
		b.listen(s)
	}
	if ops&netcall.EvClose != 0 {
		s.closing = true
		if s.ev.Type == syscall.SOCK_DGRAM {
			b.dgramIO(s) // what the program sent before closing still goes
		}
		if s.ev.Type == syscall.SOCK_DGRAM || s.state != sConnected && s.state != sConnecting {
			b.maybeClose(s) // frees its port now
		}
	}
}

// act applies the second phase: connects, flow control, data.
func (b *bridge) act(ev *netcall.Event) {
	s := b.socks[ev.ID]
	if s == nil || s.state == sClosed || s.ep == nil {
		return
	}
	if ev.Ops&netcall.EvConnect != 0 {
		b.connect(s)
	}
	if ev.Ops&netcall.EvRecvSpace != 0 {
		s.rxBlocked = false
	}
	if ev.Ops&(netcall.EvRecvSpace|netcall.EvShutdown) != 0 {
		s.rxIdle = false
	}
	if ev.Ops&netcall.EvSend != 0 {
		s.txData = true // more than OpPoll brought
	}
	if ev.TxLen > 0 {
		data := b.tx[ev.TxOff : ev.TxOff+ev.TxLen]
		if len(s.pending) > 0 || s.state != sConnected {
			// Behind older data, or not ready to send: keep a copy
			// (b.tx is the next OpPoll's).
			s.pending, s.shared = append(s.pending, data...), false
		} else {
			s.pending, s.shared = data, true // streamIO takes or copies it
		}
	}
	b.service(s)
}

// applyOptions gives the endpoint the kernel's view of the options.
func (s *socket) applyOptions() {
	o := s.ep.SocketOptions()
	f := s.ev.Flags
	o.SetReuseAddress(f&netcall.FlagReuseAddr != 0)
	o.SetReusePort(f&netcall.FlagReusePort != 0)
	o.SetKeepAlive(f&netcall.FlagKeepAlive != 0)
	o.SetBroadcast(f&netcall.FlagBroadcast != 0)
	if s.ev.Family == afInet6 && s.state == sNew {
		o.SetV6Only(f&netcall.FlagV6Only != 0)
	}
	if s.ev.Type == syscall.SOCK_STREAM {
		o.SetDelayOption(f&netcall.FlagNoDelay == 0)
		if s.ev.KeepIdle > 0 {
			v := tcpip.KeepaliveIdleOption(time.Duration(s.ev.KeepIdle) * time.Second)
			s.ep.SetSockOpt(&v)
		}
		if s.ev.KeepIntvl > 0 {
			v := tcpip.KeepaliveIntervalOption(time.Duration(s.ev.KeepIntvl) * time.Second)
			s.ep.SetSockOpt(&v)
		}
		if s.ev.KeepCnt > 0 {
			s.ep.SetSockOptInt(tcpip.KeepaliveCountOption, int(s.ev.KeepCnt))
		}
		if s.ev.Linger >= 0 {
			o.SetLinger(tcpip.LingerOption{Enabled: true, Timeout: time.Duration(s.ev.Linger) * time.Second})
		} else {
			o.SetLinger(tcpip.LingerOption{})
		}
	}
	if s.ev.RcvBuf > 0 {
		o.SetReceiveBufferSize(int64(s.ev.RcvBuf)*2, true)
	}
	if s.ev.SndBuf > 0 {
		o.SetSendBufferSize(int64(s.ev.SndBuf)*2, true)
	}
}

func (b *bridge) bind(s *socket) bool {
	if s.state != sNew {
		return true
	}
	addr := fullAddr(&s.ev.Local)
	if err := s.ep.Bind(addr); err != nil {
		port := addr.Port
		if _, inUse := err.(*tcpip.ErrPortInUse); inUse && s.ev.Type == syscall.SOCK_STREAM && s.ev.Ops&netcall.EvConnect != 0 {
			// The kernel's choice of an ephemeral port collides with a
			// connection gVisor still keeps (TIME-WAIT): let gVisor pick.
			addr.Port = 0
			err = s.ep.Bind(addr)
		}
		if err != nil {
			logf("bind %v port %d: %v", addr.Addr, port, err)
			b.fail(s, err)
			return false
		}
		b.reportLocal(s, netcall.StateLocal)
	}
	s.state = sBound
	return true
}

func (b *bridge) listen(s *socket) {
	if s.state == sListening {
		s.ep.Listen(int(s.ev.Backlog))
		return
	}
	if !b.bind(s) {
		return
	}
	if err := s.ep.Listen(int(s.ev.Backlog)); err != nil {
		b.fail(s, err)
		return
	}
	s.state = sListening
}

func (b *bridge) connect(s *socket) {
	if s.ev.Type == syscall.SOCK_DGRAM {
		if !b.bind(s) {
			return
		}
		if saFamily(&s.ev.Remote) == 0 {
			s.ep.Disconnect()
			return
		}
		if err := s.ep.Connect(fullAddr(&s.ev.Remote)); err != nil {
			b.fail(s, err)
			return
		}
		b.reportLocal(s, netcall.StateLocal)
		s.state = sConnected
		return
	}
	if s.state != sNew && s.state != sBound {
		return
	}
	if !b.bind(s) {
		return
	}
	err := s.ep.Connect(fullAddr(&s.ev.Remote))
	switch err.(type) {
	case nil:
		s.state = sConnected
		b.reportLocal(s, netcall.StateConnected)
	case *tcpip.ErrConnectStarted:
		s.state = sConnecting
	default:
		b.fail(s, err)
	}
}

// reportLocal tells the kernel the endpoint's addresses.
func (b *bridge) reportLocal(s *socket, state uintptr) {
	var a netcall.Addrs
	if l, err := s.ep.GetLocalAddress(); err == nil {
		a.Local = sockaddr(s.ev.Family, l)
	} else {
		a.Local = s.ev.Local
	}
	a.Remote = s.ev.Remote
	if r, err := s.ep.GetRemoteAddress(); err == nil {
		a.Remote = sockaddr(s.ev.Family, r)
	}
	call(netcall.OpState, uintptr(s.id), state, 0, ptr(&a))
}

// fail reports a socket error to the kernel.
func (b *bridge) fail(s *socket, err tcpip.Error) {
	debugf("socket %#x: %v", s.id, err)
	call(netcall.OpState, uintptr(s.id), netcall.StateError, uintptr(errnoOf(err)), 0)
	if s.ev.Type == syscall.SOCK_STREAM {
		s.dead = true
	}
}

// service does whatever s needs now.
func (b *bridge) service(s *socket) {
	if s.state == sClosed {
		return
	}
	switch s.state {
	case sListening:
		b.acceptAll(s)
	case sConnecting:
		b.checkConnect(s)
	}
	if s.ev.Type == syscall.SOCK_DGRAM {
		b.dgramIO(s)
	} else if s.state == sConnected {
		b.streamIO(s)
	}
	if s.closing {
		b.maybeClose(s)
	}
}

func (b *bridge) checkConnect(s *socket) {
	if err := s.ep.LastError(); err != nil {
		s.state = sBound
		b.fail(s, err)
		return
	}
	if _, err := s.ep.GetRemoteAddress(); err != nil {
		if s.ep.Readiness(waiter.EventHUp|waiter.EventErr) != 0 {
			s.state = sBound
			b.fail(s, &tcpip.ErrConnectionRefused{})
		}
		return // still connecting
	}
	s.state = sConnected
	b.reportLocal(s, netcall.StateConnected)
}

// acceptAll moves gVisor's completed connections to the kernel's queue.
func (b *bridge) acceptAll(l *socket) {
	for {
		if len(l.held) == 0 {
			var peer tcpip.FullAddress
			ep, wq, err := l.ep.Accept(&peer)
			if err != nil {
				if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
					logf("accept: %v", err)
				}
				return
			}
			l.held = append(l.held, held{ep, wq, peer})
		}
		h := l.held[0]
		var a netcall.Addrs
		if la, err := h.ep.GetLocalAddress(); err == nil {
			a.Local = sockaddr(l.ev.Family, la)
		}
		a.Remote = sockaddr(l.ev.Family, h.peer)
		r, e := call(netcall.OpAccept, uintptr(l.id), ptr(&a), 0, 0)
		if e == syscall.EAGAIN {
			return // EvAcceptSpace will bring us back
		}
		l.held = l.held[1:]
		if e != 0 {
			h.ep.Abort()
			continue
		}
		c := &socket{b: b, id: uint32(r), ep: h.ep, state: sConnected}
		c.ev = l.ev
		c.ev.ID, c.ev.Ops, c.ev.Local, c.ev.Remote = c.id, 0, a.Local, a.Remote
		// The accepted endpoint signals on the queue gVisor made for it.
		c.entry = waiter.NewFunctionEntry(waiter.ReadableEvents|waiter.WritableEvents|waiter.EventHUp|waiter.EventErr,
			func(m waiter.EventMask) { b.markDirty(c, m) })
		h.wq.EventRegister(&c.entry)
		b.socks[c.id] = c
		b.streamIO(c)
	}
}

// pusher writes received stream data into the kernel's ring.
type pusher struct {
	id   uint32
	full bool
	n    int
}

type errFull struct{}

func (errFull) Error() string { return "socket buffer full" }

func (p *pusher) Write(b []byte) (int, error) {
	r, e := call(netcall.OpPush, uintptr(p.id), bytesPtr(b), uintptr(len(b)), 0)
	if e != 0 {
		p.full = true
		return 0, e
	}
	p.n += int(r)
	if int(r) < len(b) {
		p.full = true
		return int(r), errFull{}
	}
	return len(b), nil
}

func (b *bridge) streamIO(s *socket) {
	// Receive.
	for !s.rxIdle && !s.rxBlocked && !s.eof && !s.dead {
		p := pusher{id: s.id}
		_, err := s.ep.Read(&p, tcpip.ReadOptions{})
		if p.n > 0 {
			s.ep.ModerateRecvBuf(p.n)
		}
		if p.full {
			s.rxBlocked = true
			break
		}
		if err == nil {
			// A Read takes all the data gVisor holds. Unless the
			// connection left ESTABLISHED (a FIN or an error may wait
			// for the next Read), nothing more is there until gVisor
			// signals readable again.
			if s.ep.State() == uint32(tcp.StateEstablished) {
				s.rxIdle = true
				break
			}
			continue
		}
		switch err.(type) {
		case *tcpip.ErrWouldBlock:
			s.rxIdle = true
		case *tcpip.ErrClosedForReceive:
			debugf("socket %#x: end of data", s.id)
			call(netcall.OpState, uintptr(s.id), netcall.StateRecvEOF, 0, 0)
			s.eof = true
		default:
			b.fail(s, err)
		}
		break
	}
	// Send.
	for !s.dead {
		if len(s.pending) == 0 {
			if !s.txData {
				break // the kernel has not said there is more (EvSend)
			}
			r, e := call(netcall.OpPull, uintptr(s.id), bytesPtr(b.scratch), uintptr(len(b.scratch)), 0)
			if e != 0 || r == 0 {
				s.txData = false
				break
			}
			s.pending, s.shared = b.scratch[:r], true
			// Fewer bytes than asked for: the ring is empty now, and the
			// next send brings an EvSend.
			s.txData = int(r) == len(b.scratch)
		}
		var rd bytes.Reader
		rd.Reset(s.pending)
		n, err := s.ep.Write(&rd, tcpip.WriteOptions{})
		s.pending = s.pending[n:]
		if err != nil {
			if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
				s.pending = nil
				b.fail(s, err)
				break
			}
		}
		if len(s.pending) > 0 {
			break // gVisor is full: keep the rest (copied below)
		}
		s.pending = nil
	}
	if s.shared {
		// Off the bridge's buffers, which the next pull or poll reuses.
		if len(s.pending) > 0 {
			s.pending = append([]byte(nil), s.pending...)
		}
		s.shared = false
	}
	// Tell the kernel when gVisor stops or starts taking data again, so
	// that OpPoll leaves the program's data in the kernel's ring while
	// gVisor is full (else pending would grow without bound and writers
	// would never wait).
	if full := len(s.pending) > 0 && !s.dead; full != s.txFull {
		s.txFull = full
		st := uintptr(netcall.StateTxRoom)
		if full {
			st = netcall.StateTxFull
		}
		call(netcall.OpState, uintptr(s.id), st, 0, 0)
	}
	if s.ev.Flags&netcall.FlagShutWrite != 0 && !s.shutWr && len(s.pending) == 0 {
		s.shutWr = true
		debugf("socket %#x: shutdown(write)", s.id)
		s.ep.Shutdown(tcpip.ShutdownWrite)
	}
	if s.ev.Flags&netcall.FlagShutRead != 0 {
		s.ep.Shutdown(tcpip.ShutdownRead)
	}
}

func (b *bridge) dgramIO(s *socket) {
	if s.state == sNew {
		return
	}
	// Receive.
	for {
		w := sliceWriter{buf: b.scratch[:0]}
		res, err := s.ep.Read(&w, tcpip.ReadOptions{NeedRemoteAddr: true})
		if err != nil {
			break
		}
		from := sockaddr(s.ev.Family, res.RemoteAddr)
		call(netcall.OpPush, uintptr(s.id), bytesPtr(w.buf), uintptr(len(w.buf)), ptr(&from))
	}
	// Send.
	for {
		var to netcall.Sockaddr
		r, e := call(netcall.OpPull, uintptr(s.id), bytesPtr(b.scratch), uintptr(len(b.scratch)), ptr(&to))
		if e != 0 {
			break // EAGAIN: no more datagrams
		}
		dst := fullAddr(&to)
		var rd bytes.Reader
		rd.Reset(b.scratch[:r])
		if _, err := s.ep.Write(&rd, tcpip.WriteOptions{To: &dst}); err != nil {
			if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
				call(netcall.OpState, uintptr(s.id), netcall.StateError, uintptr(errnoOf(err)), 0)
			}
		}
	}
}

type sliceWriter struct{ buf []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// maybeClose finishes a socket the program closed once its data is out.
func (b *bridge) maybeClose(s *socket) {
	if len(s.pending) > 0 && !s.dead {
		return // the rest follows when gVisor has room
	}
	for _, h := range s.held {
		h.ep.Abort()
	}
	s.held = nil
	if s.ep != nil {
		debugf("socket %#x: close", s.id)
		s.ep.Close()
	}
	b.release(s)
}

func (b *bridge) release(s *socket) {
	s.state = sClosed
	delete(b.socks, s.id)
	call(netcall.OpRelease, uintptr(s.id), 0, 0, 0)
}

// Addresses.

func saFamily(a *netcall.Sockaddr) uint16 { return binary.LittleEndian.Uint16(a[0:2]) }

// fullAddr converts a kernel sockaddr; the unspecified address becomes
// the empty (wildcard) one.
func fullAddr(a *netcall.Sockaddr) tcpip.FullAddress {
	port := binary.BigEndian.Uint16(a[2:4])
	switch saFamily(a) {
	case afInet:
		ip := [4]byte(a[4:8])
		if ip == ([4]byte{}) {
			return tcpip.FullAddress{Port: port}
		}
		return tcpip.FullAddress{Addr: tcpip.AddrFrom4(ip), Port: port}
	case afInet6:
		ip := [16]byte(a[8:24])
		if ip == ([16]byte{}) {
			return tcpip.FullAddress{Port: port}
		}
		return tcpip.FullAddress{Addr: tcpip.AddrFrom16(ip), Port: port}
	}
	return tcpip.FullAddress{}
}

// sockaddr converts an address for a socket of family (IPv4 addresses
// become v4-mapped for AF_INET6).
func sockaddr(family uint16, fa tcpip.FullAddress) (a netcall.Sockaddr) {
	binary.LittleEndian.PutUint16(a[0:2], family)
	binary.BigEndian.PutUint16(a[2:4], fa.Port)
	switch {
	case family == afInet && fa.Addr.Len() == 4:
		ip := fa.Addr.As4()
		copy(a[4:8], ip[:])
	case family == afInet6 && fa.Addr.Len() == 4:
		ip := fa.Addr.As4()
		a[18], a[19] = 0xff, 0xff
		copy(a[20:24], ip[:])
	case family == afInet6 && fa.Addr.Len() == 16:
		ip := fa.Addr.As16()
		copy(a[8:24], ip[:])
	}
	return a
}

// errnoOf maps gVisor's errors to Linux errno values.
func errnoOf(err tcpip.Error) syscall.Errno {
	switch err.(type) {
	case *tcpip.ErrConnectionRefused:
		return syscall.ECONNREFUSED
	case *tcpip.ErrConnectionReset:
		return syscall.ECONNRESET
	case *tcpip.ErrConnectionAborted, *tcpip.ErrAborted:
		return syscall.ECONNABORTED
	case *tcpip.ErrTimeout:
		return syscall.ETIMEDOUT
	case *tcpip.ErrHostUnreachable, *tcpip.ErrHostDown:
		return syscall.EHOSTUNREACH
	case *tcpip.ErrNetworkUnreachable, *tcpip.ErrNoNet:
		return syscall.ENETUNREACH
	case *tcpip.ErrPortInUse, *tcpip.ErrDuplicateAddress:
		return syscall.EADDRINUSE
	case *tcpip.ErrBadLocalAddress:
		return syscall.EADDRNOTAVAIL
	case *tcpip.ErrClosedForSend:
		return syscall.EPIPE
	case *tcpip.ErrMessageTooLong:
		return syscall.EMSGSIZE
	case *tcpip.ErrInvalidEndpointState:
		return syscall.EINVAL
	case *tcpip.ErrNoBufferSpace:
		return syscall.ENOBUFS
	case *tcpip.ErrAddressFamilyNotSupported:
		return syscall.EAFNOSUPPORT
	case *tcpip.ErrBroadcastDisabled, *tcpip.ErrNotPermitted:
		return syscall.EACCES
	}
	return syscall.EIO
}
