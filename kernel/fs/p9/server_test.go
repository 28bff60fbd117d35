package p9

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"unigo.dev/unigo/kernel/abi/linux"
)

// fakeServer is a 9P2000.L server over a host directory for hosted tests,
// in the manner of QEMU's local fsdev: fids are paths, open fids hold host
// files, errors are the host's errno. It records what the client sent.
type fakeServer struct {
	root    string
	msize   uint32 // the most the server accepts
	version string // what Rversion says (default 9P2000.L)
	fids    map[uint32]*sfid
	count   map[uint8]int // requests by type
	names   []string      // every name the client sent
	tamper  func(typ uint8, rep []byte) []byte
}

type sfid struct {
	path string // relative to root; "" is the root
	f    *os.File
	ents []string // an open directory's entries (".", "..", sorted names)
}

func newServer(root string) *fakeServer {
	return &fakeServer{root: root, msize: msize, version: protoVersion, fids: map[uint32]*sfid{}, count: map[uint8]int{}}
}

func (sv *fakeServer) host(p string) string { return filepath.Join(sv.root, p) }

// exchange is the session transport: it serves the request in the
// session's request buffer.
func (sv *fakeServer) exchange(s *session, n int) (int, linux.Errno) {
	req := append([]byte(nil), s.reqBuf()[:n]...)
	rep := sv.serve(req)
	if sv.tamper != nil {
		rep = sv.tamper(req[4], rep)
	}
	return copy(s.repBuf(), rep), 0
}

func errnoOf(err error) uint32 {
	var en syscall.Errno
	if errors.As(err, &en) {
		return uint32(en)
	}
	return uint32(linux.EIO)
}

func qidOf(st *syscall.Stat_t) qid {
	q := qid{path: st.Ino}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		q.typ = qtDir
	case syscall.S_IFLNK:
		q.typ = qtSymlink
	}
	return q
}

func (sv *fakeServer) name(d *dec) string {
	n := string(d.str())
	sv.names = append(sv.names, n)
	return n
}

// serve answers one request.
func (sv *fakeServer) serve(req []byte) []byte {
	d := dec{b: req}
	d.u32()
	typ := d.u8()
	tag := d.u16()
	sv.count[typ]++
	out := make([]byte, sv.msize)
	e := enc{b: out}
	e.start(typ+1, tag)
	fail := func(err error) []byte {
		e.start(msgRlerror, tag)
		e.u32(errnoOf(err))
		n, _ := e.finish()
		return out[:n]
	}
	fid := func() (*sfid, error) {
		f, ok := sv.fids[d.u32()]
		if !ok {
			return nil, syscall.EBADF
		}
		return f, nil
	}
	switch typ {
	case msgTversion:
		m := d.u32()
		d.str()
		if m > sv.msize {
			m = sv.msize
		}
		sv.fids = map[uint32]*sfid{}
		e.u32(m)
		e.strs(sv.version)
	case msgTattach:
		newfid := d.u32()
		var st syscall.Stat_t
		if err := syscall.Lstat(sv.root, &st); err != nil {
			return fail(err)
		}
		sv.fids[newfid] = &sfid{}
		e.qid(qidOf(&st))
	case msgTwalk:
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		newfid := d.u32()
		nw := int(d.u16())
		p := f.path
		var qids []qid
		for k := 0; k < nw; k++ {
			name := sv.name(&d)
			if name == ".." || name == "." || strings.Contains(name, "/") {
				return fail(syscall.EINVAL) // QEMU confines walks too
			}
			p = filepath.Join(p, name)
			var st syscall.Stat_t
			if err := syscall.Lstat(sv.host(p), &st); err != nil {
				if k == 0 {
					return fail(err)
				}
				break
			}
			qids = append(qids, qidOf(&st))
		}
		if len(qids) == nw {
			sv.fids[newfid] = &sfid{path: p}
		}
		e.u16(uint16(len(qids)))
		for _, q := range qids {
			e.qid(q)
		}
	case msgTgetattr:
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		var st syscall.Stat_t
		if f.f != nil {
			err = syscall.Fstat(int(f.f.Fd()), &st)
		} else {
			err = syscall.Lstat(sv.host(f.path), &st)
		}
		if err != nil {
			return fail(err)
		}
		putAttr(&e, &attr{valid: getattrBasic, qid: qidOf(&st), mode: st.Mode, uid: st.Uid, gid: st.Gid,
			nlink: st.Nlink, rdev: st.Rdev, size: uint64(st.Size), blksize: uint64(st.Blksize), blocks: uint64(st.Blocks),
			atimeSec: uint64(st.Atim.Sec), atimeNsec: uint64(st.Atim.Nsec), mtimeSec: uint64(st.Mtim.Sec),
			mtimeNsec: uint64(st.Mtim.Nsec), ctimeSec: uint64(st.Ctim.Sec), ctimeNsec: uint64(st.Ctim.Nsec)})
	case msgTsetattr:
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		valid, mode := d.u32(), d.u32()
		d.u32()
		d.u32()
		size := d.u64()
		if valid&setattrMode != 0 {
			if err := os.Chmod(sv.host(f.path), os.FileMode(mode&0o777)); err != nil {
				return fail(err)
			}
		}
		if valid&setattrSize != 0 {
			if err := os.Truncate(sv.host(f.path), int64(size)); err != nil {
				return fail(err)
			}
		}
	case msgTlopen:
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		flags := int(d.u32())
		h, err := os.OpenFile(sv.host(f.path), flags&(syscall.O_ACCMODE|syscall.O_DIRECTORY), 0)
		if err != nil {
			return fail(err)
		}
		f.f = h
		if flags&syscall.O_DIRECTORY != 0 {
			names, err := h.Readdirnames(-1)
			if err != nil {
				return fail(err)
			}
			sort.Strings(names)
			f.ents = append([]string{".", ".."}, names...)
		}
		var st syscall.Stat_t
		syscall.Fstat(int(h.Fd()), &st)
		e.qid(qidOf(&st))
		e.u32(0)
	case msgTread:
		f, err := fid()
		if err != nil || f.f == nil {
			return fail(syscall.EBADF)
		}
		off, count := d.u64(), d.u32()
		if count > sv.msize-readHdr {
			count = sv.msize - readHdr
		}
		buf := make([]byte, count)
		k, err := f.f.ReadAt(buf, int64(off))
		if err != nil && err != io.EOF {
			return fail(err)
		}
		e.u32(uint32(k))
		e.bytes(buf[:k])
	case msgTwrite:
		f, err := fid()
		if err != nil || f.f == nil {
			return fail(syscall.EBADF)
		}
		off, count := d.u64(), d.u32()
		k, err := f.f.WriteAt(d.take(int(count)), int64(off))
		if err != nil {
			return fail(err)
		}
		e.u32(uint32(k))
	case msgTreaddir:
		f, err := fid()
		if err != nil || f.ents == nil {
			return fail(syscall.EBADF)
		}
		off, count := d.u64(), d.u32()
		body := make([]byte, count)
		be := enc{b: body}
		for k := int(off); k < len(f.ents); k++ {
			var st syscall.Stat_t
			p := filepath.Join(f.path, f.ents[k])
			if f.ents[k] == ".." {
				p = filepath.Dir(f.path)
			}
			if err := syscall.Lstat(sv.host(p), &st); err != nil {
				continue // removed since opendir
			}
			mark := be.n
			be.qid(qidOf(&st))
			be.u64(uint64(k + 1))
			be.u8(uint8(st.Mode >> 12 & 0xf))
			be.strs(f.ents[k])
			if be.bad {
				be.n, be.bad = mark, false
				break
			}
		}
		e.u32(uint32(be.n))
		e.bytes(body[:be.n])
	case msgTmkdir, msgTmknod, msgTsymlink:
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		p := sv.host(filepath.Join(f.path, sv.name(&d)))
		switch typ {
		case msgTmkdir:
			mode := d.u32()
			if err = os.Mkdir(p, 0); err == nil {
				err = os.Chmod(p, os.FileMode(mode&0o777))
			}
		case msgTmknod:
			mode := d.u32()
			if mode&syscall.S_IFMT != syscall.S_IFREG {
				return fail(syscall.EPERM)
			}
			var h *os.File
			if h, err = os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0); err == nil {
				h.Close()
				err = os.Chmod(p, os.FileMode(mode&0o777))
			}
		case msgTsymlink:
			err = os.Symlink(string(d.str()), p)
		}
		if err != nil {
			return fail(err)
		}
		var st syscall.Stat_t
		syscall.Lstat(p, &st)
		e.qid(qidOf(&st))
	case msgTreadlink:
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		t, err := os.Readlink(sv.host(f.path))
		if err != nil {
			return fail(err)
		}
		e.strs(t)
	case msgTlink:
		dir, err := fid()
		if err != nil {
			return fail(err)
		}
		f, err := fid()
		if err != nil {
			return fail(err)
		}
		if err := os.Link(sv.host(f.path), sv.host(filepath.Join(dir.path, sv.name(&d)))); err != nil {
			return fail(err)
		}
	case msgTrenameat:
		od, err := fid()
		if err != nil {
			return fail(err)
		}
		oldp := filepath.Join(od.path, sv.name(&d))
		nd, err := fid()
		if err != nil {
			return fail(err)
		}
		newp := filepath.Join(nd.path, sv.name(&d))
		if err := os.Rename(sv.host(oldp), sv.host(newp)); err != nil {
			return fail(err)
		}
		for _, f := range sv.fids { // fids follow their files, as in QEMU
			if f.path == oldp || strings.HasPrefix(f.path, oldp+"/") {
				f.path = newp + strings.TrimPrefix(f.path, oldp)
			}
		}
	case msgTunlinkat:
		dir, err := fid()
		if err != nil {
			return fail(err)
		}
		p := sv.host(filepath.Join(dir.path, sv.name(&d)))
		if d.u32()&linux.AT_REMOVEDIR != 0 {
			err = syscall.Rmdir(p)
		} else {
			err = syscall.Unlink(p)
		}
		if err != nil {
			return fail(err)
		}
	case msgTfsync:
		f, err := fid()
		if err != nil || f.f == nil {
			return fail(syscall.EBADF)
		}
		f.f.Sync()
	case msgTstatfs:
		var st syscall.Statfs_t
		if err := syscall.Statfs(sv.root, &st); err != nil {
			return fail(err)
		}
		e.u32(v9fsMagic)
		e.u32(uint32(st.Bsize))
		for _, v := range []uint64{st.Blocks, st.Bfree, st.Bavail, st.Files, st.Ffree, 0} {
			e.u64(v)
		}
		e.u32(255)
	case msgTclunk:
		k := d.u32()
		f, ok := sv.fids[k]
		if !ok {
			return fail(syscall.EBADF)
		}
		if f.f != nil {
			f.f.Close()
		}
		delete(sv.fids, k)
	default:
		return fail(syscall.EOPNOTSUPP)
	}
	n, ok := e.finish()
	if !ok {
		return fail(syscall.EMSGSIZE)
	}
	return out[:n]
}
