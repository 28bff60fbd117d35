package p9

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
)

// build runs f on a fresh encoder over a 4 KiB buffer and returns the
// finished message.
func build(t *testing.T, f func(e *enc, b []byte)) []byte {
	t.Helper()
	b := make([]byte, 4096)
	var e enc
	f(&e, b)
	n, ok := e.finish()
	if !ok {
		t.Fatal("message did not fit")
	}
	return b[:n]
}

// Requests are checked against bytes written out by hand from the protocol
// description (Linux net/9p/client.c format strings), so encoder bugs cannot
// cancel out against a decoder written the same way.
func TestRequestEncoding(t *testing.T) {
	sa := setattr{valid: setattrMode | setattrSize, mode: 0o644, uid: 1, gid: 2, size: 0x0102030405060708,
		atimeSec: 3, atimeNsec: 4, mtimeSec: 5, mtimeNsec: 6}
	tests := []struct {
		name string
		f    func(e *enc, b []byte)
		want string // hex, spaces ignored
	}{
		{"Tversion", func(e *enc, b []byte) { e.tversion(b, 8192, []byte("9P2000.L")) },
			"15000000 64 ffff 00200000 0800 3950323030302e4c"},
		{"Tattach", func(e *enc, b []byte) { e.tattach(b, 1, 0, noFid, []byte("root"), []byte(""), 0) },
			"1b000000 68 0100 00000000 ffffffff 0400 726f6f74 0000 00000000"},
		{"Twalk clone", func(e *enc, b []byte) { e.twalk(b, 2, 1, 2, nil) },
			"11000000 6e 0200 01000000 02000000 0000"},
		{"Twalk one", func(e *enc, b []byte) { e.twalk(b, 2, 1, 2, [][]byte{[]byte("ab")}) },
			"15000000 6e 0200 01000000 02000000 0100 0200 6162"},
		{"Tgetattr", func(e *enc, b []byte) { e.tgetattr(b, 3, 7, getattrBasic) },
			"13000000 18 0300 07000000 ff07000000000000"},
		{"Tsetattr", func(e *enc, b []byte) { e.tsetattr(b, 4, 9, &sa) },
			"43000000 1a 0400 09000000 09000000 a4010000 01000000 02000000 0807060504030201" +
				"0300000000000000 0400000000000000 0500000000000000 0600000000000000"},
		{"Tclunk", func(e *enc, b []byte) { e.fidOnly(b, msgTclunk, 5, 0x01020304) },
			"0b000000 78 0500 04030201"},
		{"Tlopen", func(e *enc, b []byte) { e.tlopen(b, 6, 3, linux.O_RDWR|linux.O_DIRECTORY) },
			"0f000000 0c 0600 03000000 02000100"},
		{"Tlcreate", func(e *enc, b []byte) { e.tlcreate(b, 7, 3, []byte("f"), 2, 0o100644, 0) },
			"1a000000 0e 0700 03000000 0100 66 02000000 a4810000 00000000"},
		{"Tmkdir", func(e *enc, b []byte) { e.tmkdir(b, 8, 3, []byte("d"), 0o755, 5) },
			"16000000 48 0800 03000000 0100 64 ed010000 05000000"},
		{"Tmknod", func(e *enc, b []byte) { e.tmknod(b, 9, 3, []byte("n"), 0o20666, 1, 3, 0) },
			"1e000000 12 0900 03000000 0100 6e b6210000 01000000 03000000 00000000"},
		{"Tsymlink", func(e *enc, b []byte) { e.tsymlink(b, 10, 3, []byte("l"), []byte("/etc"), 0) },
			"18000000 10 0a00 03000000 0100 6c 0400 2f657463 00000000"},
		{"Tlink", func(e *enc, b []byte) { e.tlink(b, 11, 3, 4, []byte("h")) },
			"12000000 46 0b00 03000000 04000000 0100 68"},
		{"Trenameat", func(e *enc, b []byte) { e.trenameat(b, 12, 3, []byte("a"), 4, []byte("bc")) },
			"16000000 4a 0c00 03000000 0100 61 04000000 0200 6263"},
		{"Tunlinkat", func(e *enc, b []byte) { e.tunlinkat(b, 13, 3, []byte("x"), linux.AT_REMOVEDIR) },
			"12000000 4c 0d00 03000000 0100 78 00020000"},
		{"Tread", func(e *enc, b []byte) { e.tread(b, 14, 3, 0x100000000, 4096) },
			"17000000 74 0e00 03000000 0000000001000000 00100000"},
		{"Twrite", func(e *enc, b []byte) { e.twrite(b, 15, 3, 8, []byte("hi")) },
			"19000000 76 0f00 03000000 0800000000000000 02000000 6869"},
		{"Treaddir", func(e *enc, b []byte) { e.treaddir(b, 16, 3, 0, 8192) },
			"17000000 28 1000 03000000 0000000000000000 00200000"},
		{"Tfsync", func(e *enc, b []byte) { e.tfsync(b, 17, 3, 1) },
			"0f000000 32 1100 03000000 01000000"},
		{"Tstatfs", func(e *enc, b []byte) { e.fidOnly(b, msgTstatfs, 18, 3) },
			"0b000000 08 1200 03000000"},
		{"Treadlink", func(e *enc, b []byte) { e.fidOnly(b, msgTreadlink, 19, 3) },
			"0b000000 16 1300 03000000"},
	}
	for _, tt := range tests {
		got := build(t, tt.f)
		want, err := hex.DecodeString(string(bytes.ReplaceAll([]byte(tt.want), []byte(" "), nil)))
		if err != nil {
			t.Fatalf("%s: bad hex in test: %v", tt.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s = %x; want %x", tt.name, got, want)
		}
	}
}

func TestEncoderOverflow(t *testing.T) {
	for _, size := range []int{0, 3, 7, 10, 20} {
		var e enc
		e.twrite(make([]byte, size), 1, 1, 0, []byte("0123456789"))
		if _, ok := e.finish(); ok {
			t.Errorf("Twrite of 33 bytes into %d bytes: finish ok; want refused", size)
		}
	}
	var e enc
	names := make([][]byte, maxWalk+1)
	for i := range names {
		names[i] = []byte("x")
	}
	e.twalk(make([]byte, 4096), 1, 1, 2, names)
	if _, ok := e.finish(); ok {
		t.Errorf("Twalk with %d names: finish ok; want refused (MAXWELEM is %d)", len(names), maxWalk)
	}
	long := make([]byte, 0x10000)
	e.tmkdir(make([]byte, 0x20000), 1, 1, long, 0, 0)
	if _, ok := e.finish(); ok {
		t.Errorf("Tmkdir with a 64 KiB name: finish ok; want refused")
	}
}

// server-side encoders for replies, used to test the decoders.

func rmsg(t *testing.T, typ uint8, tag uint16, body func(e *enc)) []byte {
	t.Helper()
	b := make([]byte, 4096)
	var e enc
	e.start(b, typ, tag)
	if body != nil {
		body(&e)
	}
	n, ok := e.finish()
	if !ok {
		t.Fatal("reply did not fit")
	}
	return b[:n]
}

func putAttr(e *enc, a *attr) {
	e.u64(a.valid)
	e.qid(a.qid)
	e.u32(a.mode)
	e.u32(a.uid)
	e.u32(a.gid)
	for _, v := range []uint64{a.nlink, a.rdev, a.size, a.blksize, a.blocks, a.atimeSec, a.atimeNsec,
		a.mtimeSec, a.mtimeNsec, a.ctimeSec, a.ctimeNsec, a.btimeSec, a.btimeNsec, a.gen, a.dataVersion} {
		e.u64(v)
	}
}

func TestReplyRoundTrip(t *testing.T) {
	q := qid{typ: qtDir, version: 7, path: 0x1122334455667788}
	a := attr{valid: getattrBasic, qid: q, mode: 0o40755, uid: 1000, gid: 100, nlink: 3, rdev: 0,
		size: 4096, blksize: 4096, blocks: 8, atimeSec: 1, atimeNsec: 2, mtimeSec: 3, mtimeNsec: 4,
		ctimeSec: 5, ctimeNsec: 6, btimeSec: 7, btimeNsec: 8, gen: 9, dataVersion: 10}
	sf := statfs{typ: 0x01021997, bsize: 4096, blocks: 100, bfree: 50, bavail: 40, files: 1000,
		ffree: 900, fsid: 42, namelen: 255}

	t.Run("Rversion", func(t *testing.T) {
		b := rmsg(t, msgTversion+1, noTag, func(e *enc) { e.u32(65536); e.str([]byte(protoVersion)) })
		d, err := reply(b, msgTversion, noTag)
		msize, v, ok := d.rversion()
		if err != 0 || !ok || msize != 65536 || string(v) != protoVersion {
			t.Errorf("rversion = %d %q %v (reply %v); want 65536 %q", msize, v, ok, err, protoVersion)
		}
	})
	t.Run("Rattach", func(t *testing.T) {
		b := rmsg(t, msgTattach+1, 1, func(e *enc) { e.qid(q) })
		d, err := reply(b, msgTattach, 1)
		got, ok := d.rqid()
		if err != 0 || !ok || got != q {
			t.Errorf("rqid = %+v %v (reply %v); want %+v", got, ok, err, q)
		}
	})
	t.Run("Rwalk", func(t *testing.T) {
		q2 := qid{path: 99}
		b := rmsg(t, msgTwalk+1, 2, func(e *enc) { e.u16(2); e.qid(q); e.qid(q2) })
		d, err := reply(b, msgTwalk, 2)
		n, last, ok := d.rwalk(2)
		if err != 0 || !ok || n != 2 || last != q2 {
			t.Errorf("rwalk = %d %+v %v (reply %v); want 2 %+v", n, last, ok, err, q2)
		}
	})
	t.Run("Rgetattr", func(t *testing.T) {
		b := rmsg(t, msgTgetattr+1, 3, func(e *enc) { putAttr(e, &a) })
		if len(b) != hdrSize+153 {
			t.Fatalf("Rgetattr is %d bytes; want %d", len(b), hdrSize+153)
		}
		d, err := reply(b, msgTgetattr, 3)
		var got attr
		if err != 0 || !d.rgetattr(&got) || got != a {
			t.Errorf("rgetattr = %+v (reply %v); want %+v", got, err, a)
		}
	})
	t.Run("Rlopen", func(t *testing.T) {
		b := rmsg(t, msgTlopen+1, 4, func(e *enc) { e.qid(q); e.u32(8168) })
		d, err := reply(b, msgTlopen, 4)
		got, iounit, ok := d.rlopen()
		if err != 0 || !ok || got != q || iounit != 8168 {
			t.Errorf("rlopen = %+v %d %v; want %+v 8168", got, iounit, ok, q)
		}
	})
	t.Run("Rread", func(t *testing.T) {
		b := rmsg(t, msgTread+1, 5, func(e *enc) { e.u32(5); e.bytes([]byte("hello")) })
		d, err := reply(b, msgTread, 5)
		data, ok := d.rdata(5)
		if err != 0 || !ok || string(data) != "hello" {
			t.Errorf("rdata = %q %v; want hello", data, ok)
		}
	})
	t.Run("Rwrite", func(t *testing.T) {
		b := rmsg(t, msgTwrite+1, 6, func(e *enc) { e.u32(3) })
		d, err := reply(b, msgTwrite, 6)
		n, ok := d.rwrite(10)
		if err != 0 || !ok || n != 3 {
			t.Errorf("rwrite = %d %v; want 3", n, ok)
		}
	})
	t.Run("Rreadlink", func(t *testing.T) {
		b := rmsg(t, msgTreadlink+1, 7, func(e *enc) { e.str([]byte("/etc/passwd")) })
		d, err := reply(b, msgTreadlink, 7)
		s, ok := d.rreadlink()
		if err != 0 || !ok || string(s) != "/etc/passwd" {
			t.Errorf("rreadlink = %q %v", s, ok)
		}
	})
	t.Run("Rstatfs", func(t *testing.T) {
		b := rmsg(t, msgTstatfs+1, 8, func(e *enc) {
			e.u32(sf.typ)
			e.u32(sf.bsize)
			for _, v := range []uint64{sf.blocks, sf.bfree, sf.bavail, sf.files, sf.ffree, sf.fsid} {
				e.u64(v)
			}
			e.u32(sf.namelen)
		})
		d, err := reply(b, msgTstatfs, 8)
		var got statfs
		if err != 0 || !d.rstatfs(&got) || got != sf {
			t.Errorf("rstatfs = %+v; want %+v", got, sf)
		}
	})
	t.Run("Rreaddir", func(t *testing.T) {
		want := []dirent{
			{qid: q, off: 1, typ: linux.DT_DIR, name: []byte(".")},
			{qid: qid{path: 5}, off: 0x7fffffffffffffff, typ: linux.DT_REG, name: []byte("file.txt")},
		}
		var ents []byte
		{
			buf := make([]byte, 512)
			e := enc{b: buf}
			for _, d := range want {
				e.qid(d.qid)
				e.u64(d.off)
				e.u8(d.typ)
				e.str(d.name)
			}
			ents = buf[:e.n]
		}
		b := rmsg(t, msgTreaddir+1, 9, func(e *enc) { e.u32(uint32(len(ents))); e.bytes(ents) })
		d, err := reply(b, msgTreaddir, 9)
		data, ok := d.rdata(len(ents))
		if err != 0 || !ok {
			t.Fatalf("rdata: %v %v", err, ok)
		}
		dd := dec{b: data}
		var got []dirent
		var ent dirent
		for dd.nextDirent(&ent) {
			ent.name = append([]byte(nil), ent.name...)
			got = append(got, ent)
		}
		if dd.bad || !reflect.DeepEqual(got, want) {
			t.Errorf("dirents = %+v (bad %v); want %+v", got, dd.bad, want)
		}
	})
	t.Run("Rlerror", func(t *testing.T) {
		b := rmsg(t, msgRlerror, 10, func(e *enc) { e.u32(uint32(linux.ENOENT)) })
		if _, err := reply(b, msgTwalk, 10); err != linux.ENOENT {
			t.Errorf("Rlerror ENOENT: reply = %v; want ENOENT", err)
		}
	})
	t.Run("Rclunk", func(t *testing.T) {
		b := rmsg(t, msgTclunk+1, 11, nil)
		d, err := reply(b, msgTclunk, 11)
		if err != 0 || !d.rempty() {
			t.Errorf("Rclunk: %v %v", err, d.rempty())
		}
	})
}

// A broken or hostile server must not crash the kernel nor be believed:
// every malformed reply is refused (EIO or ok=false).
func TestMalformedReplies(t *testing.T) {
	q := qid{path: 1}
	good := rmsg(t, msgTattach+1, 1, func(e *enc) { e.qid(q) })

	// Every truncation of a valid reply is refused, whatever the size field says.
	for n := 0; n < len(good); n++ {
		b := append([]byte(nil), good[:n]...)
		d, err := reply(b, msgTattach, 1)
		if err == 0 {
			if _, ok := d.rqid(); ok {
				t.Errorf("Rattach truncated to %d bytes accepted", n)
			}
		}
		if n >= 4 {
			put32(b, uint32(n)) // a consistent size field, body still short
			d, err := reply(b, msgTattach, 1)
			if err == 0 {
				if _, ok := d.rqid(); ok {
					t.Errorf("Rattach with size %d accepted", n)
				}
			}
		}
	}

	tests := []struct {
		name  string
		b     []byte
		typ   uint8
		tag   uint16
		check func(d *dec) bool // the body decoder; nil: reply must fail
	}{
		{"size beyond buffer", func() []byte { b := append([]byte(nil), good...); put32(b, uint32(len(b)+1)); return b }(),
			msgTattach, 1, nil},
		{"size below header", func() []byte { b := append([]byte(nil), good...); put32(b, 6); return b }(),
			msgTattach, 1, nil},
		{"wrong tag", good, msgTattach, 2, nil},
		{"wrong type", good, msgTwalk, 1, nil},
		{"legacy Rerror", rmsg(t, msgRerrorBase, 1, func(e *enc) { e.str([]byte("no")) }), msgTattach, 1, nil},
		{"Rlerror zero", rmsg(t, msgRlerror, 1, func(e *enc) { e.u32(0) }), msgTattach, 1, nil},
		{"Rlerror huge", rmsg(t, msgRlerror, 1, func(e *enc) { e.u32(100000) }), msgTattach, 1, nil},
		{"Rlerror trailing", rmsg(t, msgRlerror, 1, func(e *enc) { e.u32(2); e.u8(0) }), msgTattach, 1, nil},
		{"trailing byte", rmsg(t, msgTattach+1, 1, func(e *enc) { e.qid(q); e.u8(0) }), msgTattach, 1,
			func(d *dec) bool { _, ok := d.rqid(); return ok }},
		{"Rwalk more qids than names", rmsg(t, msgTwalk+1, 1, func(e *enc) { e.u16(2); e.qid(q); e.qid(q) }), msgTwalk, 1,
			func(d *dec) bool { _, _, ok := d.rwalk(1); return ok }},
		{"Rwalk count beyond data", rmsg(t, msgTwalk+1, 1, func(e *enc) { e.u16(1) }), msgTwalk, 1,
			func(d *dec) bool { _, _, ok := d.rwalk(1); return ok }},
		{"Rread more than asked", rmsg(t, msgTread+1, 1, func(e *enc) { e.u32(3); e.bytes([]byte("abc")) }), msgTread, 1,
			func(d *dec) bool { _, ok := d.rdata(2); return ok }},
		{"Rread count beyond data", rmsg(t, msgTread+1, 1, func(e *enc) { e.u32(100); e.bytes([]byte("abc")) }), msgTread, 1,
			func(d *dec) bool { _, ok := d.rdata(1000); return ok }},
		{"Rwrite more than sent", rmsg(t, msgTwrite+1, 1, func(e *enc) { e.u32(11) }), msgTwrite, 1,
			func(d *dec) bool { _, ok := d.rwrite(10); return ok }},
		{"Rreadlink string beyond data", rmsg(t, msgTreadlink+1, 1, func(e *enc) { e.u16(50); e.bytes([]byte("/x")) }), msgTreadlink, 1,
			func(d *dec) bool { _, ok := d.rreadlink(); return ok }},
		{"Rgetattr short", rmsg(t, msgTgetattr+1, 1, func(e *enc) { e.u64(0); e.qid(q) }), msgTgetattr, 1,
			func(d *dec) bool { var a attr; return d.rgetattr(&a) }},
		{"Rversion bad string", rmsg(t, msgTversion+1, noTag, func(e *enc) { e.u32(8192); e.u16(9); e.bytes([]byte("9P2000.L")) }), msgTversion, noTag,
			func(d *dec) bool { _, _, ok := d.rversion(); return ok }},
	}
	for _, tt := range tests {
		d, err := reply(tt.b, tt.typ, tt.tag)
		if tt.check == nil {
			if err == 0 {
				t.Errorf("%s: reply accepted; want an error", tt.name)
			}
			continue
		}
		if err != 0 {
			t.Errorf("%s: reply = %v; want the frame accepted and the body refused", tt.name, err)
			continue
		}
		if tt.check(&d) {
			t.Errorf("%s: body accepted; want refused", tt.name)
		}
	}

	// A malformed directory entry stops the walk and marks the data bad.
	data := []byte{0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 9, 0, 'a'}
	d := dec{b: data}
	var ent dirent
	if d.nextDirent(&ent) || !d.bad {
		t.Errorf("dirent with name length 9 over 1 byte: accepted")
	}
}

func TestDevEncoding(t *testing.T) {
	tests := []struct {
		dev          uint64 // glibc dev_t
		major, minor uint32
		linux        uint32 // new_encode_dev
	}{
		{0x0103, 1, 3, 0x0103},
		{0xfe00, 254, 0, 0xfe00},
		{0x1000<<32 | 0x0512, 0x1005, 0x12, 0},
		{0x0000000000112305, 0x123, 0x105, 0},
	}
	for _, tt := range tests {
		ma, mi := devMajorMinor(tt.dev)
		if ma != tt.major || mi != tt.minor {
			t.Errorf("devMajorMinor(%#x) = %d, %d; want %d, %d", tt.dev, ma, mi, tt.major, tt.minor)
		}
		enc := newEncodeDev(ma, mi)
		if tt.linux != 0 && enc != tt.linux {
			t.Errorf("newEncodeDev(%d, %d) = %#x; want %#x", ma, mi, enc, tt.linux)
		}
		if ma < 4096 && mi < 1<<20 {
			if dma, dmi := newDecodeDev(enc); dma != ma || dmi != mi {
				t.Errorf("newDecodeDev(newEncodeDev(%d, %d)) = %d, %d", ma, mi, dma, dmi)
			}
		}
	}
}
