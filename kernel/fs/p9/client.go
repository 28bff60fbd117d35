package p9

import (
	"math/bits"
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
)

// The 9P2000.L client: one function per request, each building the
// message in the session's request buffer, exchanging it and decoding the
// reply. Errors the server reports (Rlerror) are the host's Linux errno,
// returned as they are; a reply that breaks the protocol is logged and
// becomes EIO.

const reqTag = 1 // one request in flight per session

// rpc exchanges the request in e and checks the reply's frame.
func (s *session) rpc(e *enc, typ uint8, tag uint16) (dec, linux.Errno) {
	n, ok := e.finish()
	if !ok {
		klog.Warn("9p").S("request type ").U(uint64(typ)).S(" does not fit in msize").End()
		return dec{}, linux.EIO
	}
	w, err := exchange(s, n)
	if err != 0 {
		return dec{}, err
	}
	if w > int(s.msize) {
		w = int(s.msize)
	}
	d, err := reply(s.repBuf()[:w], typ, tag)
	if err == badReply {
		return dec{}, s.protoError(typ)
	}
	return d, err
}

// protoError logs a reply that broke the protocol and returns EIO.
func (s *session) protoError(typ uint8) linux.Errno {
	klog.Warn("9p").B(s.tag[:s.tagLen]).S(": malformed reply to request type ").U(uint64(typ)).End()
	return linux.EIO
}

// simple exchanges a request whose reply has no body.
func (s *session) simple(e *enc, typ uint8) linux.Errno {
	d, err := s.rpc(e, typ, reqTag)
	if err != 0 {
		return err
	}
	if !d.rempty() {
		return s.protoError(typ)
	}
	return 0
}

// qidReply exchanges a request whose reply is one qid.
func (s *session) qidReply(e *enc, typ uint8) (qid, linux.Errno) {
	d, err := s.rpc(e, typ, reqTag)
	if err != 0 {
		return qid{}, err
	}
	q, ok := d.rqid()
	if !ok {
		return qid{}, s.protoError(typ)
	}
	return q, 0
}

// Fids: a bitmap of maxFids in kernel memory.

func (s *session) fidWord(w uint32) *uint64 {
	return (*uint64)(mm.Ptr(s.fids + uintptr(w)*8))
}

// allocFid returns a free fid.
func (s *session) allocFid() (uint32, linux.Errno) {
	const words = maxFids / 64
	for k := uint32(0); k < words; k++ {
		w := (s.fidHint + k) % words
		p := s.fidWord(w)
		if *p != ^uint64(0) {
			b := uint32(bits.TrailingZeros64(^*p))
			*p |= 1 << b
			s.fidHint = w
			return w*64 + b, 0
		}
	}
	return 0, linux.ENFILE
}

func (s *session) freeFid(fid uint32) {
	if fid < maxFids {
		*s.fidWord(fid / 64) &^= 1 << (fid % 64)
	}
}

// resetFids frees every fid (a new Tversion ends the old session's).
func (s *session) resetFids() {
	mm.Zero(s.fids, maxFids/8)
	s.fidHint = 0
}

// Requests.

// version negotiates the protocol and msize; it starts a new session.
func (s *session) version() linux.Errno {
	s.msize = msize
	e := enc{b: s.reqBuf()}
	e.tversion(msize, protoVersion)
	d, err := s.rpc(&e, msgTversion, noTag)
	if err != 0 {
		return err
	}
	m, v, ok := d.rversion()
	if !ok {
		return s.protoError(msgTversion)
	}
	if string(v) != protoVersion {
		klog.Error("9p").B(s.tag[:s.tagLen]).S(": the server speaks ").B(v).S(", not " + protoVersion).End()
		return linux.EPROTONOSUPPORT
	}
	if m < 4096 || m > msize {
		klog.Error("9p").B(s.tag[:s.tagLen]).S(": the server offers msize ").U(uint64(m)).End()
		return linux.EPROTO
	}
	s.msize = m
	s.resetFids()
	return 0
}

// attach makes fid the root of the share, acting as uid.
func (s *session) attach(fid, uid uint32) (qid, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.tattach(reqTag, fid, noFid, "root", "", uid)
	return s.qidReply(&e, msgTattach)
}

// walk makes newfid name in directory fid (name nil: a clone of fid).
func (s *session) walk(fid, newfid uint32, name []byte) (qid, linux.Errno) {
	var names [1][]byte
	k := 0
	if name != nil {
		names[0] = name
		k = 1
	}
	e := enc{b: s.reqBuf()}
	e.twalk(reqTag, fid, newfid, names[:k])
	d, err := s.rpc(&e, msgTwalk, reqTag)
	if err != 0 {
		return qid{}, err
	}
	n, q, ok := d.rwalk(k)
	if !ok {
		return qid{}, s.protoError(msgTwalk)
	}
	if n != k {
		return qid{}, linux.ENOENT // a partial walk creates no fid
	}
	return q, 0
}

func (s *session) getattr(fid uint32, a *attr) linux.Errno {
	e := enc{b: s.reqBuf()}
	e.tgetattr(reqTag, fid, getattrBasic)
	d, err := s.rpc(&e, msgTgetattr, reqTag)
	if err != 0 {
		return err
	}
	if !d.rgetattr(a) {
		return s.protoError(msgTgetattr)
	}
	return 0
}

func (s *session) setattr(fid uint32, sa *setattr) linux.Errno {
	e := enc{b: s.reqBuf()}
	e.tsetattr(reqTag, fid, sa)
	return s.simple(&e, msgTsetattr)
}

// clunk releases fid (the fid is free afterwards whatever the server says).
func (s *session) clunk(fid uint32) {
	e := enc{b: s.reqBuf()}
	e.fidOnly(msgTclunk, reqTag, fid)
	s.simple(&e, msgTclunk)
	s.freeFid(fid)
}

// lopen opens fid with Linux open flags; it returns the I/O unit.
func (s *session) lopen(fid, flags uint32) (uint32, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.tlopen(reqTag, fid, flags)
	d, err := s.rpc(&e, msgTlopen, reqTag)
	if err != 0 {
		return 0, err
	}
	_, iounit, ok := d.rlopen()
	if !ok {
		return 0, s.protoError(msgTlopen)
	}
	return iounit, 0
}

// maxIO is the most data one Tread or Twrite carries.
func (s *session) maxIO(iounit uint32) int {
	n := int(s.msize) - ioHdrSize
	if iounit != 0 && int(iounit) < n {
		n = int(iounit)
	}
	return n
}

// read reads once at off into b (len(b) <= maxIO).
func (s *session) read(fid uint32, off int64, b []byte) (int, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.tread(reqTag, fid, uint64(off), uint32(len(b)))
	d, err := s.rpc(&e, msgTread, reqTag)
	if err != 0 {
		return 0, err
	}
	data, ok := d.rdata(len(b))
	if !ok {
		return 0, s.protoError(msgTread)
	}
	return copy(b, data), 0
}

// write writes b once at off (len(b) <= maxIO).
func (s *session) write(fid uint32, off int64, b []byte) (int, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.twrite(reqTag, fid, uint64(off), b)
	d, err := s.rpc(&e, msgTwrite, reqTag)
	if err != 0 {
		return 0, err
	}
	n, ok := d.rwrite(len(b))
	if !ok {
		return 0, s.protoError(msgTwrite)
	}
	return n, 0
}

// readdir reads the entries of open directory fid from cookie off into
// the session's directory buffer and returns their length (0: the end).
func (s *session) readdir(fid uint32, off uint64) (int, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.treaddir(reqTag, fid, off, dirBufSize)
	d, err := s.rpc(&e, msgTreaddir, reqTag)
	if err != 0 {
		return 0, err
	}
	data, ok := d.rdata(dirBufSize)
	if !ok {
		return 0, s.protoError(msgTreaddir)
	}
	return copy(unsafe.Slice((*byte)(mm.Ptr(s.dirBuf)), dirBufSize), data), 0
}

func (s *session) mkdir(dfid uint32, name []byte, mode, gid uint32) (qid, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.tmkdir(reqTag, dfid, name, mode, gid)
	return s.qidReply(&e, msgTmkdir)
}

func (s *session) mknod(dfid uint32, name []byte, mode, rdev, gid uint32) (qid, linux.Errno) {
	major, minor := newDecodeDev(rdev)
	e := enc{b: s.reqBuf()}
	e.tmknod(reqTag, dfid, name, mode, major, minor, gid)
	return s.qidReply(&e, msgTmknod)
}

func (s *session) symlink(dfid uint32, name, target []byte, gid uint32) (qid, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.tsymlink(reqTag, dfid, name, target, gid)
	return s.qidReply(&e, msgTsymlink)
}

func (s *session) link(dfid, fid uint32, name []byte) linux.Errno {
	e := enc{b: s.reqBuf()}
	e.tlink(reqTag, dfid, fid, name)
	return s.simple(&e, msgTlink)
}

func (s *session) renameat(olddir uint32, oldname []byte, newdir uint32, newname []byte) linux.Errno {
	e := enc{b: s.reqBuf()}
	e.trenameat(reqTag, olddir, oldname, newdir, newname)
	return s.simple(&e, msgTrenameat)
}

func (s *session) unlinkat(dfid uint32, name []byte, flags uint32) linux.Errno {
	e := enc{b: s.reqBuf()}
	e.tunlinkat(reqTag, dfid, name, flags)
	return s.simple(&e, msgTunlinkat)
}

// readlink copies the target of symlink fid into buf.
func (s *session) readlink(fid uint32, buf []byte) (int, linux.Errno) {
	e := enc{b: s.reqBuf()}
	e.fidOnly(msgTreadlink, reqTag, fid)
	d, err := s.rpc(&e, msgTreadlink, reqTag)
	if err != 0 {
		return 0, err
	}
	t, ok := d.rreadlink()
	if !ok {
		return 0, s.protoError(msgTreadlink)
	}
	return copy(buf, t), 0
}

func (s *session) fsync(fid uint32, dataOnly bool) linux.Errno {
	var ds uint32
	if dataOnly {
		ds = 1
	}
	e := enc{b: s.reqBuf()}
	e.tfsync(reqTag, fid, ds)
	return s.simple(&e, msgTfsync)
}

func (s *session) statfs(fid uint32, st *statfs) linux.Errno {
	e := enc{b: s.reqBuf()}
	e.fidOnly(msgTstatfs, reqTag, fid)
	d, err := s.rpc(&e, msgTstatfs, reqTag)
	if err != 0 {
		return err
	}
	if !d.rstatfs(st) {
		return s.protoError(msgTstatfs)
	}
	return 0
}
