package p9

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// The file system: vfs inodes keyed by the server's qid path, each with a
// node in its private word holding the fids that stand for it on the
// server. Nothing of the files' content is cached: every read and write
// goes to the host, and attributes are refreshed from the host whenever a
// path walk reaches the inode and after every change the guest makes.

// FS is the 9P file system (mount type "9p"), listed in the generated
// kernel/core/components.go.
var FS = vfs.FileSystem{
	Name:     "9p",
	Mount:    mount,
	Lookup:   lookup,
	Open:     open,
	ReadDir:  readDir,
	Read:     read,
	Write:    write,
	Truncate: truncate,
	Create:   create,
	Symlink:  symlink,
	Readlink: readlink,
	Link:     link,
	Remove:   remove,
	Rename:   rename,
	SetAttr:  setAttr,
	Fsync:    fsync,
	Sync:     syncFS,
	Evict:    evict,
	Statfs:   statFS,
	Unmount:  unmount,
}

// v9fsMagic is statfs's f_type for 9P (V9FS_MAGIC).
const v9fsMagic = 0x01021997

// node is a 9P inode's private state, in kernel memory.
type node struct {
	fid    uint32 // walked, never opened: walks, getattr, setattr, readlink, link
	rfid   uint32 // opened for reading (directories: for readdir), or noFid
	wfid   uint32 // opened for writing, or noFid
	iounit uint32
	rdIdx  int64  // directories: the index of the entry after the last listed
	rdOff  uint64 // and the server's cookie to read it from
}

const nodeSize = unsafe.Sizeof(node{})

func nodeOf(i vfs.Ino) *node {
	p := vfs.Priv(i)
	if p == 0 {
		return nil
	}
	return (*node)(mm.Ptr(p))
}

func sess(m *vfs.MountPoint) *session { return &sessions[m.Priv] }

// attrTo fills a vfs inode's attributes from an Rgetattr.
func attrTo(v *vfs.Attr, a *attr) {
	major, minor := devMajorMinor(a.rdev)
	v.Ino = a.qid.path
	v.Mode = a.mode
	v.Nlink = uint32(a.nlink)
	v.UID, v.GID = a.uid, a.gid
	v.Rdev = newEncodeDev(major, minor)
	v.Size = int64(a.size)
	v.Blocks = int64(a.blocks)
	v.Atime = int64(a.atimeSec)*1e9 + int64(a.atimeNsec)
	v.Mtime = int64(a.mtimeSec)*1e9 + int64(a.mtimeNsec)
	v.Ctime = int64(a.ctimeSec)*1e9 + int64(a.ctimeNsec)
}

// refresh reads i's attributes from the server again.
func refresh(s *session, i vfs.Ino) linux.Errno {
	n := nodeOf(i)
	if n == nil {
		return linux.EIO
	}
	var a attr
	if e := s.getattr(n.fid, &a); e != 0 {
		return e
	}
	attrTo(vfs.Attrs(i), &a)
	return 0
}

// inode returns the referenced inode for a walked fid whose attributes
// are a. It takes over fid: a fresh inode keeps it; a cached one keeps
// the newest walk (so its fid follows the path last used to reach it) and
// its old walk fid is clunked.
func inode(m *vfs.MountPoint, s *session, fid uint32, a *attr) (vfs.Ino, linux.Errno) {
	i, fresh, e := vfs.Iget(m, a.qid.path)
	if e != 0 {
		s.clunk(fid)
		return 0, e
	}
	attrTo(vfs.Attrs(i), a)
	if !fresh {
		if n := nodeOf(i); n != nil {
			old := n.fid
			n.fid = fid
			s.clunk(old)
			return i, 0
		}
	}
	va, ok := kmem.Alloc(nodeSize)
	if !ok {
		s.clunk(fid)
		if fresh {
			vfs.Drop(i)
		} else {
			vfs.Unref(i)
		}
		return 0, linux.ENOMEM
	}
	*(*node)(mm.Ptr(va)) = node{fid: fid, rfid: noFid, wfid: noFid}
	vfs.SetPriv(i, va)
	return i, 0
}

// walkTo walks name in dir to a new fid and reads its attributes.
func walkTo(s *session, dir vfs.Ino, name []byte, a *attr) (uint32, linux.Errno) {
	d := nodeOf(dir)
	if d == nil {
		return 0, linux.EIO
	}
	fid, e := s.allocFid()
	if e != 0 {
		return 0, e
	}
	if _, e := s.walk(d.fid, fid, name); e != 0 {
		s.freeFid(fid)
		return 0, e
	}
	if e := s.getattr(fid, a); e != 0 {
		s.clunk(fid)
		return 0, e
	}
	return fid, 0
}

// mount attaches to the device whose mount tag is the mount's source.
func mount(m *vfs.MountPoint) (vfs.Ino, linux.Errno) {
	s, ok := find(m.Src())
	if !ok {
		return 0, linux.ENODEV
	}
	if s.mounted {
		return 0, linux.EBUSY
	}
	if e := s.start(); e != 0 {
		return 0, e
	}
	if e := s.version(); e != 0 {
		return 0, e
	}
	fid, e := s.allocFid()
	if e != 0 {
		return 0, e
	}
	if _, e := s.attach(fid, 0); e != 0 {
		s.freeFid(fid)
		return 0, e
	}
	var a attr
	if e := s.getattr(fid, &a); e != 0 {
		s.clunk(fid)
		return 0, e
	}
	if a.mode&linux.S_IFMT != linux.S_IFDIR {
		s.clunk(fid)
		return 0, linux.ENOTDIR
	}
	m.Priv = uintptr(s.index())
	i, e := inode(m, s, fid, &a)
	if e != 0 {
		return 0, e
	}
	s.root = fid
	s.dirIno = 0
	s.mounted = true
	klog.Info("9p").B(s.tag[:s.tagLen]).S(": 9P2000.L, msize ").U(uint64(s.msize)).End()
	return i, 0
}

func (s *session) index() int {
	return int((uintptr(unsafe.Pointer(s)) - uintptr(unsafe.Pointer(&sessions[0]))) / unsafe.Sizeof(sessions[0]))
}

func lookup(m *vfs.MountPoint, dir vfs.Ino, name []byte) (vfs.Ino, linux.Errno) {
	s := sess(m)
	var a attr
	fid, e := walkTo(s, dir, name, &a)
	if e != 0 {
		return 0, e
	}
	return inode(m, s, fid, &a)
}

// openFid returns i's fid opened for reading or writing, opening one (a
// clone of the walk fid) the first time; open(2) gets here first, so later
// reads and writes find it open.
func openFid(s *session, n *node, writing, dir bool) (uint32, linux.Errno) {
	p, flags := &n.rfid, uint32(linux.O_RDONLY)
	if writing {
		p, flags = &n.wfid, linux.O_WRONLY
	}
	if dir {
		flags |= linux.O_DIRECTORY
	}
	if *p != noFid {
		return *p, 0
	}
	fid, e := openNew(s, n, flags)
	if e != 0 {
		return 0, e
	}
	*p = fid
	return fid, 0
}

// openNew opens a clone of n's walk fid with flags.
func openNew(s *session, n *node, flags uint32) (uint32, linux.Errno) {
	fid, e := s.allocFid()
	if e != 0 {
		return 0, e
	}
	if _, e := s.walk(n.fid, fid, nil); e != 0 {
		s.freeFid(fid)
		return 0, e
	}
	iounit, e := s.lopen(fid, flags)
	if e != 0 {
		s.clunk(fid)
		return 0, e
	}
	n.iounit = iounit
	return fid, 0
}

// open opens the fids open(2) needs: the file is opened on the host now,
// with the host's permission checks, and stays usable when its name goes.
// The fids are the inode's, shared by its open files, and kept until the
// inode is evicted.
func open(m *vfs.MountPoint, i vfs.Ino, flags uint32) linux.Errno {
	s := sess(m)
	n := nodeOf(i)
	if n == nil {
		return linux.EIO
	}
	if vfs.IsDir(i) {
		_, e := openFid(s, n, false, true)
		return e
	}
	switch flags & linux.O_ACCMODE {
	case linux.O_RDONLY:
		_, e := openFid(s, n, false, false)
		return e
	case linux.O_WRONLY:
		_, e := openFid(s, n, true, false)
		return e
	}
	if n.rfid != noFid && n.wfid != noFid {
		return 0
	}
	if n.rfid == noFid && n.wfid == noFid {
		fid, e := openNew(s, n, linux.O_RDWR)
		if e != 0 {
			return e
		}
		n.rfid, n.wfid = fid, fid
		return 0
	}
	if _, e := openFid(s, n, false, false); e != 0 {
		return e
	}
	_, e := openFid(s, n, true, false)
	return e
}

// readDir lists a directory. Cookies are entry indexes (the server's are
// the host's telldir values, up to 63 bits on ext4, which the vfs's
// positions cannot carry): the session caches one Rreaddir batch, and each
// directory's node remembers where its listing stopped, so sequential
// listings, even interleaved with others, read each batch once; a seek
// backwards reads the directory again from its start.
func readDir(m *vfs.MountPoint, dir vfs.Ino, cookie int64) (vfs.Dirent, int64, bool, linux.Errno) {
	s := sess(m)
	n := nodeOf(dir)
	if n == nil {
		return vfs.Dirent{}, 0, false, linux.EIO
	}
	fid, e := openFid(s, n, false, true)
	if e != 0 {
		return vfs.Dirent{}, 0, false, e
	}
	if cookie == 0 || s.dirIno != dir || cookie < s.dirIdx {
		var off uint64
		s.dirIdx = 0
		if cookie != 0 && cookie == n.rdIdx {
			off, s.dirIdx = n.rdOff, cookie
		}
		if e := s.dirFill(dir, fid, off); e != 0 {
			return vfs.Dirent{}, 0, false, e
		}
	}
	for batches := 0; batches < 1<<16; batches++ {
		d := dec{b: unsafe.Slice((*byte)(mm.Ptr(s.dirBuf)), s.dirLen)}
		d.n = s.dirPos
		for {
			pos := d.n
			de, ok := d.nextDirent()
			if !ok {
				break
			}
			s.dirOff = de.off
			if isDot(de.name) {
				s.dirPos = d.n
				continue
			}
			if s.dirIdx == cookie {
				s.dirPos = pos // a repeated cookie gets this entry again
				n.rdIdx, n.rdOff = cookie+1, de.off
				var ent vfs.Dirent
				ent.SetName(de.name)
				ent.Ino = de.qid.path
				ent.Type = de.typ
				return ent, cookie + 1, true, 0
			}
			s.dirIdx++
			s.dirPos = d.n
		}
		if d.bad {
			s.dirIno = 0
			return vfs.Dirent{}, 0, false, s.protoError(msgTreaddir)
		}
		if s.dirLen == 0 {
			return vfs.Dirent{}, 0, false, 0 // the end
		}
		// The batch is used up: the next one starts after its last entry.
		if e := s.dirFill(dir, fid, s.dirOff); e != 0 {
			return vfs.Dirent{}, 0, false, e
		}
	}
	return vfs.Dirent{}, 0, false, s.protoError(msgTreaddir)
}

// dirFill reads the batch of entries of dir (open as fid) after the
// server's cookie off into the readdir cache.
func (s *session) dirFill(dir vfs.Ino, fid uint32, off uint64) linux.Errno {
	k, e := s.readdir(fid, off)
	if e != 0 {
		s.dirIno = 0
		return e
	}
	s.dirIno, s.dirLen, s.dirPos, s.dirOff = dir, k, 0, off
	return 0
}

func isDot(name []byte) bool {
	return len(name) == 1 && name[0] == '.' || len(name) == 2 && name[0] == '.' && name[1] == '.'
}

func read(m *vfs.MountPoint, i vfs.Ino, off int64, b []byte) (int, linux.Errno) {
	return transfer(m, i, off, b, false)
}

func write(m *vfs.MountPoint, i vfs.Ino, off int64, b []byte) (int, linux.Errno) {
	done, e := transfer(m, i, off, b, true)
	if e == 0 {
		refresh(sess(m), i) // size, blocks, times
	}
	return done, e
}

// transfer reads (or writes) b at off in calls of at most the session's
// I/O size. It stops early at the end of the file (a short read) or when
// the host's file system is full (a short write); an error after some
// bytes moved is reported as the short count, as Linux does.
func transfer(m *vfs.MountPoint, i vfs.Ino, off int64, b []byte, write bool) (int, linux.Errno) {
	s := sess(m)
	n := nodeOf(i)
	if n == nil {
		return 0, linux.EIO
	}
	fid, e := openFid(s, n, write, false)
	if e != 0 {
		return 0, e
	}
	max := s.maxIO(n.iounit)
	done := 0
	for done < len(b) {
		chunk := b[done:]
		if len(chunk) > max {
			chunk = chunk[:max]
		}
		var k int
		if write {
			k, e = s.write(fid, off+int64(done), chunk)
		} else {
			k, e = s.read(fid, off+int64(done), chunk)
		}
		if e != 0 {
			if done > 0 {
				break
			}
			return 0, e
		}
		done += k
		if k < len(chunk) {
			break
		}
	}
	return done, 0
}

func truncate(m *vfs.MountPoint, i vfs.Ino, size int64) linux.Errno {
	s := sess(m)
	n := nodeOf(i)
	if n == nil {
		return linux.EIO
	}
	sa := setattr{valid: setattrSize, size: uint64(size)}
	if e := s.setattr(n.fid, &sa); e != 0 {
		return e
	}
	return refresh(s, i)
}

// created finishes a create: the new entry name in dir gets its inode; the
// directory's attributes (mtime, link count) are read again.
func created(m *vfs.MountPoint, s *session, dir vfs.Ino, name []byte) (vfs.Ino, linux.Errno) {
	s.dirIno = 0
	refresh(s, dir)
	return lookup(m, dir, name)
}

func create(m *vfs.MountPoint, dir vfs.Ino, name []byte, mode, rdev, uid, gid uint32) (vfs.Ino, linux.Errno) {
	s := sess(m)
	d := nodeOf(dir)
	if d == nil {
		return 0, linux.EIO
	}
	var e linux.Errno
	if mode&linux.S_IFMT == linux.S_IFDIR {
		_, e = s.mkdir(d.fid, name, mode&0o7777, gid)
	} else {
		_, e = s.mknod(d.fid, name, mode, rdev, gid)
	}
	if e != 0 {
		return 0, e
	}
	return created(m, s, dir, name)
}

func symlink(m *vfs.MountPoint, dir vfs.Ino, name, target []byte, uid, gid uint32) (vfs.Ino, linux.Errno) {
	s := sess(m)
	d := nodeOf(dir)
	if d == nil {
		return 0, linux.EIO
	}
	if _, e := s.symlink(d.fid, name, target, gid); e != 0 {
		return 0, e
	}
	return created(m, s, dir, name)
}

func readlink(m *vfs.MountPoint, i vfs.Ino, buf []byte) (int, linux.Errno) {
	n := nodeOf(i)
	if n == nil {
		return 0, linux.EIO
	}
	return sess(m).readlink(n.fid, buf)
}

func link(m *vfs.MountPoint, dir vfs.Ino, name []byte, i vfs.Ino) linux.Errno {
	s := sess(m)
	d, n := nodeOf(dir), nodeOf(i)
	if d == nil || n == nil {
		return linux.EIO
	}
	if e := s.link(d.fid, n.fid, name); e != 0 {
		return e
	}
	s.dirIno = 0
	refresh(s, dir)
	refresh(s, i)
	return 0
}

// dropLink counts a removed or replaced name of i in its cached attributes
// (the server can no longer be asked: its fid names a path that is gone).
func dropLink(i vfs.Ino) {
	a := vfs.Attrs(i)
	switch {
	case a.Mode&linux.S_IFMT == linux.S_IFDIR:
		a.Nlink = 0
	case a.Nlink > 0:
		a.Nlink--
	}
}

func remove(m *vfs.MountPoint, dir vfs.Ino, name []byte, i vfs.Ino) linux.Errno {
	s := sess(m)
	d := nodeOf(dir)
	if d == nil {
		return linux.EIO
	}
	var flags uint32
	if vfs.Attrs(i).Mode&linux.S_IFMT == linux.S_IFDIR {
		flags = linux.AT_REMOVEDIR
	}
	if e := s.unlinkat(d.fid, name, flags); e != 0 {
		return e
	}
	s.dirIno = 0
	dropLink(i)
	refresh(s, dir)
	return 0
}

func rename(m *vfs.MountPoint, oldDir vfs.Ino, oldName []byte, i vfs.Ino, newDir vfs.Ino, newName []byte, target vfs.Ino, flags uint32) linux.Errno {
	if flags&^linux.RENAME_NOREPLACE != 0 {
		return linux.EINVAL // 9P2000.L renames cannot exchange
	}
	s := sess(m)
	od, nd := nodeOf(oldDir), nodeOf(newDir)
	if od == nil || nd == nil {
		return linux.EIO
	}
	if e := s.renameat(od.fid, oldName, nd.fid, newName); e != 0 {
		return e
	}
	s.dirIno = 0
	if target != 0 {
		dropLink(target)
	}
	refresh(s, oldDir)
	if newDir != oldDir {
		refresh(s, newDir)
	}
	refresh(s, i) // ctime; the server moved the fid with the file
	return 0
}

func setAttr(m *vfs.MountPoint, i vfs.Ino, what uint32) linux.Errno {
	s := sess(m)
	n := nodeOf(i)
	if n == nil {
		return linux.EIO
	}
	a := vfs.Attrs(i)
	var sa setattr
	if what&vfs.AttrMode != 0 {
		sa.valid |= setattrMode
		sa.mode = a.Mode & 0o7777
	}
	if what&vfs.AttrOwner != 0 {
		sa.valid |= setattrUID | setattrGID
		sa.uid, sa.gid = a.UID, a.GID
	}
	if what&vfs.AttrTimes != 0 {
		sa.valid |= setattrAtime | setattrAtimeSet | setattrMtime | setattrMtimeSet
		sa.atimeSec, sa.atimeNsec = uint64(a.Atime/1e9), uint64(a.Atime%1e9)
		sa.mtimeSec, sa.mtimeNsec = uint64(a.Mtime/1e9), uint64(a.Mtime%1e9)
	}
	e := s.setattr(n.fid, &sa)
	refresh(s, i) // the host's view, whether or not it took the change
	return e
}

func fsync(m *vfs.MountPoint, i vfs.Ino, dataOnly bool) linux.Errno {
	s := sess(m)
	n := nodeOf(i)
	if n == nil {
		return linux.EIO
	}
	fid := n.wfid
	if fid == noFid {
		fid = n.rfid
	}
	if fid == noFid {
		return 0 // nothing written through this inode; nothing to flush
	}
	return s.fsync(fid, dataOnly)
}

// syncFS has nothing to do: the client holds no dirty data, and the host
// flushes its own page cache.
func syncFS(m *vfs.MountPoint) linux.Errno { return 0 }

// evict clunks the inode's fids and frees its node.
func evict(m *vfs.MountPoint, i vfs.Ino) {
	s := sess(m)
	n := nodeOf(i)
	if n == nil {
		return
	}
	if s.dirIno == i {
		s.dirIno = 0
	}
	if n.wfid == n.rfid {
		n.wfid = noFid // one O_RDWR fid serves both
	}
	for _, fid := range [...]uint32{n.rfid, n.wfid, n.fid} {
		if fid != noFid && fid != s.root {
			s.clunk(fid)
		}
	}
	vfs.SetPriv(i, 0)
	kmem.Free(uintptr(unsafe.Pointer(n)), nodeSize)
}

func statFS(m *vfs.MountPoint) (vfs.StatFS, linux.Errno) {
	s := sess(m)
	var sf statfs
	if e := s.statfs(s.root, &sf); e != 0 {
		return vfs.StatFS{}, e
	}
	return vfs.StatFS{
		Type:      v9fsMagic,
		BlockSize: int64(sf.bsize),
		Blocks:    sf.blocks, Free: sf.bfree, Avail: sf.bavail,
		Files: sf.files, FreeFiles: sf.ffree,
		NameMax:  uint64(sf.namelen),
		ReadOnly: m.ReadOnly,
	}, 0
}

// unmount ends the session: clunking the root fid; the device stays set
// up for a later mount.
func unmount(m *vfs.MountPoint) linux.Errno {
	s := sess(m)
	if s.mounted {
		s.clunk(s.root)
		s.mounted = false
	}
	s.dirIno = 0
	return 0
}
