package p9

import "unigo.dev/unigo/kernel/abi/linux"

// The 9P2000.L wire format: little-endian integers, strings as a 16-bit
// length and bytes, every message framed as size[4] type[1] tag[2]. The
// message types and layouts are those of Linux's client
// (include/net/9p/9p.h, net/9p/client.c) and of QEMU's server
// (hw/9pfs/9p.c); docs/shares.md lists them.
//
// Encoding writes into a caller-provided buffer and decoding reads a reply
// in place (strings are slices of it): nothing here allocates, so all of it
// runs in trap context. A decoder never trusts the reply: lengths are
// checked against the buffer and a reply must be consumed exactly.

// Message types (T requests are even, their R replies are type+1).
const (
	msgTlerror    = 6
	msgRlerror    = 7
	msgTstatfs    = 8
	msgTlopen     = 12
	msgTlcreate   = 14
	msgTsymlink   = 16
	msgTmknod     = 18
	msgTreadlink  = 22
	msgTgetattr   = 24
	msgTsetattr   = 26
	msgTreaddir   = 40
	msgTfsync     = 50
	msgTlink      = 70
	msgTmkdir     = 72
	msgTrenameat  = 74
	msgTunlinkat  = 76
	msgTversion   = 100
	msgTattach    = 104
	msgTflush     = 108
	msgTwalk      = 110
	msgTread      = 116
	msgTwrite     = 118
	msgTclunk     = 120
	msgTremove    = 122
	msgRerrorBase = 107 // Rerror of legacy 9P2000: never valid in 9P2000.L
)

// Framing.
const (
	hdrSize   = 7  // size[4] type[1] tag[2]
	qidSize   = 13 // type[1] version[4] path[8]
	noTag     = 0xFFFF
	noFid     = 0xFFFFFFFF
	maxWalk   = 16 // MAXWELEM: names in one Twalk
	readHdr   = hdrSize + 4
	writeHdr  = hdrSize + 4 + 8 + 4
	dirHdr    = hdrSize + 4
	ioHdrSize = 24 // P9_IOHDRSZ: what a read or write message adds to its data
)

// protoVersion is the protocol this client speaks.
const protoVersion = "9P2000.L"

// Qid types (the high byte of a file's mode, as Plan 9 has it).
const (
	qtDir     = 0x80
	qtSymlink = 0x02
)

// Tgetattr request mask and Rgetattr valid bits.
const (
	getattrBasic = 0x000007ff // mode, nlink, uid, gid, rdev, times, ino, size, blocks
)

// Tsetattr valid bits (Linux's P9_ATTR_*).
const (
	setattrMode     = 0x00000001
	setattrUID      = 0x00000002
	setattrGID      = 0x00000004
	setattrSize     = 0x00000008
	setattrAtime    = 0x00000010
	setattrMtime    = 0x00000020
	setattrCtime    = 0x00000040
	setattrAtimeSet = 0x00000080
	setattrMtimeSet = 0x00000100
)

// qid identifies a file on the server: path is unique per file (QEMU
// derives it from the host device and inode number).
type qid struct {
	typ     uint8
	version uint32
	path    uint64
}

// attr is an Rgetattr reply.
type attr struct {
	valid       uint64
	qid         qid
	mode        uint32
	uid, gid    uint32
	nlink       uint64
	rdev        uint64
	size        uint64
	blksize     uint64
	blocks      uint64
	atimeSec    uint64
	atimeNsec   uint64
	mtimeSec    uint64
	mtimeNsec   uint64
	ctimeSec    uint64
	ctimeNsec   uint64
	btimeSec    uint64
	btimeNsec   uint64
	gen         uint64
	dataVersion uint64
}

// setattr is a Tsetattr request's body.
type setattr struct {
	valid     uint32
	mode      uint32
	uid, gid  uint32
	size      uint64
	atimeSec  uint64
	atimeNsec uint64
	mtimeSec  uint64
	mtimeNsec uint64
}

// statfs is an Rstatfs reply.
type statfs struct {
	typ     uint32
	bsize   uint32
	blocks  uint64
	bfree   uint64
	bavail  uint64
	files   uint64
	ffree   uint64
	fsid    uint64
	namelen uint32
}

// enc builds one message in b. Writing past the end of b sets bad; the
// message is then refused by finish.
type enc struct {
	b   []byte
	n   int
	bad bool
}

func (e *enc) start(b []byte, typ uint8, tag uint16) {
	e.b, e.n, e.bad = b, 0, false
	e.u32(0) // size, patched by finish
	e.u8(typ)
	e.u16(tag)
}

func (e *enc) room(k int) bool {
	if e.bad || k < 0 || len(e.b)-e.n < k {
		e.bad = true
		return false
	}
	return true
}

func (e *enc) u8(v uint8) {
	if e.room(1) {
		e.b[e.n] = v
		e.n++
	}
}

func (e *enc) u16(v uint16) {
	if e.room(2) {
		e.b[e.n], e.b[e.n+1] = byte(v), byte(v>>8)
		e.n += 2
	}
}

func (e *enc) u32(v uint32) {
	if e.room(4) {
		put32(e.b[e.n:], v)
		e.n += 4
	}
}

func (e *enc) u64(v uint64) {
	if e.room(8) {
		put32(e.b[e.n:], uint32(v))
		put32(e.b[e.n+4:], uint32(v>>32))
		e.n += 8
	}
}

func (e *enc) bytes(p []byte) {
	if e.room(len(p)) {
		e.n += copy(e.b[e.n:], p)
	}
}

func (e *enc) str(s []byte) {
	if len(s) > 0xFFFF {
		e.bad = true
		return
	}
	e.u16(uint16(len(s)))
	e.bytes(s)
}

func (e *enc) qid(q qid) {
	e.u8(q.typ)
	e.u32(q.version)
	e.u64(q.path)
}

// finish patches the size field and returns the message length, or
// ok=false when the message did not fit.
func (e *enc) finish() (int, bool) {
	if e.bad || e.n > 0xFFFFFFFF {
		return 0, false
	}
	put32(e.b, uint32(e.n))
	return e.n, true
}

func put32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func get32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// dec reads one message from b. Reading past the end sets bad and yields
// zeros; callers check ok() once at the end.
type dec struct {
	b   []byte
	n   int
	bad bool
}

func (d *dec) take(k int) []byte {
	if d.bad || k < 0 || len(d.b)-d.n < k {
		d.bad = true
		return nil
	}
	p := d.b[d.n : d.n+k]
	d.n += k
	return p
}

func (d *dec) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *dec) u16() uint16 {
	if p := d.take(2); p != nil {
		return uint16(p[0]) | uint16(p[1])<<8
	}
	return 0
}

func (d *dec) u32() uint32 {
	if p := d.take(4); p != nil {
		return get32(p)
	}
	return 0
}

func (d *dec) u64() uint64 {
	if p := d.take(8); p != nil {
		return uint64(get32(p)) | uint64(get32(p[4:]))<<32
	}
	return 0
}

func (d *dec) str() []byte { return d.take(int(d.u16())) }

func (d *dec) qid() qid {
	return qid{typ: d.u8(), version: d.u32(), path: d.u64()}
}

// left is the number of unread bytes.
func (d *dec) left() int { return len(d.b) - d.n }

// done reports whether the message was well formed and read to its end.
func (d *dec) done() bool { return !d.bad && d.n == len(d.b) }

// Requests. Each starts a message in b; the caller finishes it.

func (e *enc) tversion(b []byte, msize uint32, version []byte) {
	e.start(b, msgTversion, noTag)
	e.u32(msize)
	e.str(version)
}

func (e *enc) tattach(b []byte, tag uint16, fid, afid uint32, uname, aname []byte, uid uint32) {
	e.start(b, msgTattach, tag)
	e.u32(fid)
	e.u32(afid)
	e.str(uname)
	e.str(aname)
	e.u32(uid)
}

// twalk walks fid to newfid through names (none: a clone of fid).
func (e *enc) twalk(b []byte, tag uint16, fid, newfid uint32, names [][]byte) {
	e.start(b, msgTwalk, tag)
	e.u32(fid)
	e.u32(newfid)
	if len(names) > maxWalk {
		e.bad = true
		return
	}
	e.u16(uint16(len(names)))
	for _, n := range names {
		e.str(n)
	}
}

func (e *enc) tgetattr(b []byte, tag uint16, fid uint32, mask uint64) {
	e.start(b, msgTgetattr, tag)
	e.u32(fid)
	e.u64(mask)
}

func (e *enc) tsetattr(b []byte, tag uint16, fid uint32, s *setattr) {
	e.start(b, msgTsetattr, tag)
	e.u32(fid)
	e.u32(s.valid)
	e.u32(s.mode)
	e.u32(s.uid)
	e.u32(s.gid)
	e.u64(s.size)
	e.u64(s.atimeSec)
	e.u64(s.atimeNsec)
	e.u64(s.mtimeSec)
	e.u64(s.mtimeNsec)
}

// fidOnly builds the requests whose body is one fid (Tclunk, Tremove,
// Treadlink, Tstatfs).
func (e *enc) fidOnly(b []byte, typ uint8, tag uint16, fid uint32) {
	e.start(b, typ, tag)
	e.u32(fid)
}

func (e *enc) tlopen(b []byte, tag uint16, fid, flags uint32) {
	e.start(b, msgTlopen, tag)
	e.u32(fid)
	e.u32(flags)
}

func (e *enc) tlcreate(b []byte, tag uint16, fid uint32, name []byte, flags, mode, gid uint32) {
	e.start(b, msgTlcreate, tag)
	e.u32(fid)
	e.str(name)
	e.u32(flags)
	e.u32(mode)
	e.u32(gid)
}

func (e *enc) tmkdir(b []byte, tag uint16, dfid uint32, name []byte, mode, gid uint32) {
	e.start(b, msgTmkdir, tag)
	e.u32(dfid)
	e.str(name)
	e.u32(mode)
	e.u32(gid)
}

func (e *enc) tmknod(b []byte, tag uint16, dfid uint32, name []byte, mode, major, minor, gid uint32) {
	e.start(b, msgTmknod, tag)
	e.u32(dfid)
	e.str(name)
	e.u32(mode)
	e.u32(major)
	e.u32(minor)
	e.u32(gid)
}

func (e *enc) tsymlink(b []byte, tag uint16, dfid uint32, name, target []byte, gid uint32) {
	e.start(b, msgTsymlink, tag)
	e.u32(dfid)
	e.str(name)
	e.str(target)
	e.u32(gid)
}

func (e *enc) tlink(b []byte, tag uint16, dfid, fid uint32, name []byte) {
	e.start(b, msgTlink, tag)
	e.u32(dfid)
	e.u32(fid)
	e.str(name)
}

func (e *enc) trenameat(b []byte, tag uint16, olddir uint32, oldname []byte, newdir uint32, newname []byte) {
	e.start(b, msgTrenameat, tag)
	e.u32(olddir)
	e.str(oldname)
	e.u32(newdir)
	e.str(newname)
}

func (e *enc) tunlinkat(b []byte, tag uint16, dfid uint32, name []byte, flags uint32) {
	e.start(b, msgTunlinkat, tag)
	e.u32(dfid)
	e.str(name)
	e.u32(flags)
}

// tio builds Tread (data nil, count bytes) and Twrite (data).
func (e *enc) tread(b []byte, tag uint16, fid uint32, off uint64, count uint32) {
	e.start(b, msgTread, tag)
	e.u32(fid)
	e.u64(off)
	e.u32(count)
}

func (e *enc) twrite(b []byte, tag uint16, fid uint32, off uint64, data []byte) {
	e.start(b, msgTwrite, tag)
	e.u32(fid)
	e.u64(off)
	e.u32(uint32(len(data)))
	e.bytes(data)
}

func (e *enc) treaddir(b []byte, tag uint16, fid uint32, off uint64, count uint32) {
	e.start(b, msgTreaddir, tag)
	e.u32(fid)
	e.u64(off)
	e.u32(count)
}

func (e *enc) tfsync(b []byte, tag uint16, fid uint32, datasync uint32) {
	e.start(b, msgTfsync, tag)
	e.u32(fid)
	e.u32(datasync)
}

// Replies.

// reply checks the frame of a reply of n bytes in b to a request of type
// typ with tag and returns a decoder over its body. An Rlerror becomes its
// errno; a malformed frame, a wrong type or tag is EIO (a broken server).
func reply(b []byte, typ uint8, tag uint16) (dec, linux.Errno) {
	if len(b) < hdrSize {
		return dec{}, linux.EIO
	}
	size := get32(b)
	if size < hdrSize || uint64(size) > uint64(len(b)) {
		return dec{}, linux.EIO
	}
	d := dec{b: b[:size]}
	d.n = 4
	rt := d.u8()
	rtag := d.u16()
	if rtag != tag {
		return dec{}, linux.EIO
	}
	if rt == msgRlerror {
		ecode := d.u32()
		if !d.done() || ecode == 0 || ecode > uint32(linux.MaxErrno) {
			return dec{}, linux.EIO
		}
		return dec{}, linux.Errno(ecode)
	}
	if rt != typ+1 {
		return dec{}, linux.EIO
	}
	return d, 0
}

// rversion decodes an Rversion body.
func (d *dec) rversion() (msize uint32, version []byte, ok bool) {
	msize = d.u32()
	version = d.str()
	return msize, version, d.done()
}

// rqid decodes the replies that carry one qid (Rattach, Rmkdir, Rmknod,
// Rsymlink).
func (d *dec) rqid() (qid, bool) {
	q := d.qid()
	return q, d.done()
}

// rlopen decodes Rlopen and Rlcreate.
func (d *dec) rlopen() (q qid, iounit uint32, ok bool) {
	q = d.qid()
	iounit = d.u32()
	return q, iounit, d.done()
}

// rwalk decodes an Rwalk: how many names were walked and the last qid.
func (d *dec) rwalk(asked int) (n int, last qid, ok bool) {
	n = int(d.u16())
	if n > asked {
		return 0, qid{}, false
	}
	for i := 0; i < n; i++ {
		last = d.qid()
	}
	return n, last, d.done()
}

func (d *dec) rgetattr(a *attr) bool {
	a.valid = d.u64()
	a.qid = d.qid()
	a.mode = d.u32()
	a.uid = d.u32()
	a.gid = d.u32()
	a.nlink = d.u64()
	a.rdev = d.u64()
	a.size = d.u64()
	a.blksize = d.u64()
	a.blocks = d.u64()
	a.atimeSec = d.u64()
	a.atimeNsec = d.u64()
	a.mtimeSec = d.u64()
	a.mtimeNsec = d.u64()
	a.ctimeSec = d.u64()
	a.ctimeNsec = d.u64()
	a.btimeSec = d.u64()
	a.btimeNsec = d.u64()
	a.gen = d.u64()
	a.dataVersion = d.u64()
	return d.done()
}

func (d *dec) rstatfs(s *statfs) bool {
	s.typ = d.u32()
	s.bsize = d.u32()
	s.blocks = d.u64()
	s.bfree = d.u64()
	s.bavail = d.u64()
	s.files = d.u64()
	s.ffree = d.u64()
	s.fsid = d.u64()
	s.namelen = d.u32()
	return d.done()
}

// rdata decodes Rread and Rreaddir: count[4] data[count], at most max bytes.
func (d *dec) rdata(max int) ([]byte, bool) {
	n := d.u32()
	if uint64(n) > uint64(max) {
		return nil, false
	}
	p := d.take(int(n))
	return p, d.done()
}

// rwrite decodes an Rwrite: the count written, at most asked.
func (d *dec) rwrite(asked int) (int, bool) {
	n := d.u32()
	if uint64(n) > uint64(asked) || !d.done() {
		return 0, false
	}
	return int(n), true
}

// rreadlink decodes an Rreadlink.
func (d *dec) rreadlink() ([]byte, bool) {
	t := d.str()
	return t, d.done()
}

// rempty checks a reply with no body (Rclunk, Rsetattr, Rfsync, ...).
func (d *dec) rempty() bool { return d.done() }

// dirent is one entry of an Rreaddir's data.
type dirent struct {
	qid  qid
	off  uint64 // the cookie of the entry after this one
	typ  uint8  // DT_*
	name []byte
}

// nextDirent decodes the entry at the front of d (the data of an
// Rreaddir); ok is false at the end or on a malformed entry (bad is set).
func (d *dec) nextDirent(ent *dirent) bool {
	if d.left() == 0 {
		return false
	}
	ent.qid = d.qid()
	ent.off = d.u64()
	ent.typ = d.u8()
	ent.name = d.str()
	return !d.bad
}

// Device numbers: 9P2000.L carries the host's 64-bit dev_t (glibc's
// encoding); Linux's stat reports the "new" 32-bit encoding
// (include/linux/kdev_t.h).

// devMajorMinor splits a 64-bit dev_t.
func devMajorMinor(dev uint64) (major, minor uint32) {
	major = uint32(dev>>8&0xfff | dev>>32&^0xfff)
	minor = uint32(dev&0xff | dev>>12&^0xff)
	return major, minor
}

// newEncodeDev is Linux's new_encode_dev.
func newEncodeDev(major, minor uint32) uint32 {
	return minor&0xff | major<<8 | (minor&^0xff)<<12
}

// newDecodeDev is Linux's new_decode_dev.
func newDecodeDev(dev uint32) (major, minor uint32) {
	return dev >> 8 & 0xfff, dev&0xff | dev>>12&0xfff00
}
