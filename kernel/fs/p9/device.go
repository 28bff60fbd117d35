package p9

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/virtio"
	"unigo.dev/unigo/kernel/drivers/virtio/virtq"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// The virtio 9P transport (VIRTIO 1.2 §5.11): one request queue; a request
// is a T-message in a device-readable buffer followed by a device-writable
// buffer for the R-message. The configuration space holds the mount tag
// (tag_len le16, then the tag) that names the share.
//
// One request is in flight per device: the vfs serializes the operations
// of a mount, and a device serves one mount. Messages go through two
// physically contiguous bounce buffers of msize bytes each (the request
// and the reply); the calling thread sleeps until the device's interrupt.

const (
	maxDevs      = 8
	maxTag       = 64     // vfs.MountPoint.Source holds 64 bytes
	featMountTag = 1 << 0 // VIRTIO_9P_F_MOUNT_TAG
	queueSize    = 8      // one request (two descriptors) in flight
	msize        = 128 << 10
	dirBufSize   = 8 << 10 // one Treaddir's worth of entries
	maxFids      = 1 << 15
)

// Driver is the virtio-9p driver the core offers 9P devices to (listed in
// the generated kernel/core/components.go).
var Driver = virtio.Driver{Name: "9p", DeviceID: virtio.ID9P, Probe: probe, Interrupt: interrupt}

// session is one 9P connection: a virtio-9p device and, once mounted, the
// state of the mount. Fields are integers and kernel addresses only (no Go
// pointers, so updates need no write barriers), except t, set at boot.
type session struct {
	t      virtio.Transport
	tag    [maxTag]byte
	tagLen int

	ready bool // queue and buffers set up, DRIVER_OK
	q     virtq.Queue
	req   uintptr // request buffer (kernel address), msize bytes
	rep   uintptr // reply buffer
	msize uint32  // negotiated

	mounted bool
	broken  bool   // the server broke the protocol: every request fails
	root    uint32 // the attach fid
	fids    uintptr
	fidHint uint32

	// The readdir cache: one Rreaddir batch of directory dirIno; the entry
	// at byte dirPos has index dirIdx (dots not counted); dirOff is the
	// server's cookie of the last entry parsed.
	dirBuf uintptr
	dirIno vfs.Ino
	dirLen int
	dirPos int
	dirIdx int64
	dirOff uint64
}

var (
	sessions  [maxDevs]session
	nSessions int
)

// probe takes a virtio-9p device: it negotiates features and reads the
// mount tag. The queue and buffers wait for the first mount (kernel memory
// is not ready at probe time). Boot only.
func probe(t virtio.Transport) (int, bool) {
	if nSessions == maxDevs {
		return 0, false
	}
	t.Reset()
	t.AddStatus(virtio.StatusAcknowledge | virtio.StatusDriver)
	f := t.Features()
	if f&virtio.FVersion1 == 0 || f&featMountTag == 0 {
		klog.Warn("9p").S("device without VIRTIO_F_VERSION_1 or a mount tag: ignored").End()
		t.AddStatus(virtio.StatusFailed)
		return 0, false
	}
	t.SetFeatures(virtio.FVersion1 | featMountTag)
	t.AddStatus(virtio.StatusFeaturesOK)
	if t.Status()&virtio.StatusFeaturesOK == 0 {
		t.AddStatus(virtio.StatusFailed)
		return 0, false
	}
	n := int(t.Config8(0)) | int(t.Config8(1))<<8
	if n == 0 || n > maxTag {
		klog.Warn("9p").S("device with a mount tag of ").I(int64(n)).S(" bytes: ignored (1 to 64)").End()
		t.AddStatus(virtio.StatusFailed)
		return 0, false
	}
	s := &sessions[nSessions]
	for i := 0; i < n; i++ {
		s.tag[i] = t.Config8(uintptr(2 + i))
	}
	s.tagLen = n
	s.t = t
	nSessions++
	klog.Info("9p").S("device ").B(s.tag[:n]).End()
	return nSessions - 1, true
}

// interrupt wakes the thread waiting for device dev's reply.
func interrupt(dev int) {
	s := &sessions[dev]
	s.t.Ack()
	vfs.WakeAll(s.key())
}

// key is the wait key of the session's request.
func (s *session) key() uintptr { return uintptr(unsafe.Pointer(s)) }

// find returns the session of the device with mount tag tag.
func find(tag []byte) (*session, bool) {
	for i := 0; i < nSessions; i++ {
		s := &sessions[i]
		if string(s.tag[:s.tagLen]) == string(tag) {
			return s, true
		}
	}
	return nil, false
}

// start sets up the device's queue and the session's buffers, once.
func (s *session) start() linux.Errno {
	if s.ready {
		return 0
	}
	n := s.t.QueueMax(0)
	if n == 0 {
		return linux.EIO
	}
	if n > queueSize {
		n = queueSize
	}
	qva, ok := kmem.Alloc(mm.PageUp(virtq.Size(n)))
	if !ok {
		return linux.ENOMEM
	}
	if s.req, ok = kmem.Alloc(msize); !ok {
		return linux.ENOMEM
	}
	if s.rep, ok = kmem.Alloc(msize); !ok {
		return linux.ENOMEM
	}
	if s.dirBuf, ok = kmem.Alloc(dirBufSize); !ok {
		return linux.ENOMEM
	}
	if s.fids, ok = kmem.Alloc(maxFids / 8); !ok {
		return linux.ENOMEM
	}
	s.q.Init(n, qva, mm.VirtToPhys(qva))
	s.t.SetupQueue(0, &s.q)
	s.t.AddStatus(virtio.StatusDriverOK)
	s.ready = true
	return 0
}

// exchange sends the request of n bytes in the request buffer and waits
// for the reply; it returns the bytes the server wrote. A variable so that
// hosted tests can put a server behind it.
var exchange = virtioExchange

func virtioExchange(s *session, n int) (int, linux.Errno) {
	bufs := [2]virtq.Buf{
		{PA: mm.VirtToPhys(s.req), Len: uint32(n)},
		{PA: mm.VirtToPhys(s.rep), Len: s.msize, Write: true},
	}
	if _, ok := s.q.Add(bufs[:]); !ok {
		return 0, linux.EIO
	}
	if s.q.NeedNotify() {
		s.t.Notify(0)
	}
	for {
		// Polling first also makes progress when the wait returns at once
		// (a pending signal): the request cannot be abandoned, the device
		// owns the buffers until it answers.
		if _, written, ok := s.q.Next(); ok {
			return int(written), 0
		}
		vfs.WaitOn(s.key())
	}
}

// reqBuf and repBuf are the bounce buffers as byte slices.
func (s *session) reqBuf() []byte { return unsafe.Slice((*byte)(mm.Ptr(s.req)), s.msize) }
func (s *session) repBuf() []byte { return unsafe.Slice((*byte)(mm.Ptr(s.rep)), s.msize) }
