package ext2

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/fs/bcache"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// The vfs.FileSystem operations.

const renameExchange = 2 // RENAME_EXCHANGE

func isDirMode(mode uint32) bool { return mode&linux.S_IFMT == linux.S_IFDIR }

func lookupOp(m *vfs.MountPoint, dir vfs.Ino, name []byte) (vfs.Ino, linux.Errno) {
	num, e := fsOf(m).lookupNum(dir, name)
	if e != 0 {
		return 0, e
	}
	return iget(m, num)
}

func readDirOp(m *vfs.MountPoint, dir vfs.Ino, cookie int64) (vfs.Dirent, int64, bool, linux.Errno) {
	return fsOf(m).readDir(dir, cookie)
}

func readOp(m *vfs.MountPoint, i vfs.Ino, off int64, b []byte) (int, linux.Errno) {
	return fsOf(m).read(i, off, b)
}

func writeOp(m *vfs.MountPoint, i vfs.Ino, off int64, b []byte) (int, linux.Errno) {
	f := fsOf(m)
	if f.ro {
		return 0, linux.EROFS
	}
	return f.write(i, off, b)
}

func truncateOp(m *vfs.MountPoint, i vfs.Ino, size int64) linux.Errno {
	f := fsOf(m)
	if f.ro {
		return linux.EROFS
	}
	return f.truncate(i, size)
}

// newInode allocates and initialises an inode of the given mode for a
// child of dir and returns it referenced (not yet linked anywhere).
func (f *fsys) newInode(m *vfs.MountPoint, dir vfs.Ino, mode, rdev, uid, gid uint32) (vfs.Ino, linux.Errno) {
	f.changed()
	num, e := f.allocInode(node(dir).num, isDirMode(mode))
	if e != 0 {
		return 0, e
	}
	i, fresh, e := vgetInode(m, uint64(num))
	if e != 0 {
		f.freeInode(num, isDirMode(mode))
		return 0, e
	}
	if !fresh {
		// A free inode cannot be cached: the bitmap is wrong.
		unref(i)
		corrupt(f, "allocated an inode that is in use:", num)
		return 0, linux.EIO
	}
	va, ok := kmem.Alloc(inodeSize)
	if !ok {
		discard(i)
		f.freeInode(num, isDirMode(mode))
		return 0, linux.ENOMEM
	}
	setPriv(i, va)
	a, n := attrs(i), node(i)
	t := now()
	f.gen++
	*n = inode{num: num, gen: f.gen, crtime: t}
	*a = vfs.Attr{Ino: uint64(num), Mode: mode, Nlink: 1, UID: uid, GID: gid, Atime: t, Mtime: t, Ctime: t}
	if mode&linux.S_IFMT == linux.S_IFCHR || mode&linux.S_IFMT == linux.S_IFBLK {
		a.Rdev = rdev
	}
	if isDirMode(mode) {
		a.Nlink = 2
		if e := f.initDir(a, n, node(dir).num); e != 0 {
			f.storeInode(a, n, true)
			a.Nlink = 0
			unref(i) // evictOp frees it
			return 0, e
		}
	}
	if e := f.storeInode(a, n, true); e != 0 {
		a.Nlink = 0
		unref(i)
		return 0, e
	}
	return i, 0
}

// link adds the new inode i to dir under name, or frees it on failure.
func (f *fsys) linkNew(dir vfs.Ino, name []byte, i vfs.Ino) linux.Errno {
	a := attrs(i)
	if e := f.addEntry(dir, name, node(i).num, a.Mode); e != 0 {
		a.Nlink = 0
		unref(i) // evictOp frees it
		f.writeInode(dir)
		return e
	}
	if isDirMode(a.Mode) {
		attrs(dir).Nlink++
	}
	return f.writeInode(dir)
}

func createOp(m *vfs.MountPoint, dir vfs.Ino, name []byte, mode, rdev, uid, gid uint32) (vfs.Ino, linux.Errno) {
	f := fsOf(m)
	if f.ro {
		return 0, linux.EROFS
	}
	if len(name) > nameMax {
		return 0, linux.ENAMETOOLONG
	}
	if isDirMode(mode) && attrs(dir).Nlink >= linkMax {
		return 0, linux.EMLINK
	}
	i, e := f.newInode(m, dir, mode, rdev, uid, gid)
	if e != 0 {
		return 0, e
	}
	if e := f.linkNew(dir, name, i); e != 0 {
		return 0, e
	}
	return i, 0
}

func symlinkOp(m *vfs.MountPoint, dir vfs.Ino, name, target []byte, uid, gid uint32) (vfs.Ino, linux.Errno) {
	f := fsOf(m)
	if f.ro {
		return 0, linux.EROFS
	}
	if len(name) > nameMax {
		return 0, linux.ENAMETOOLONG
	}
	if len(target)+1 > int(f.bsize) {
		return 0, linux.ENAMETOOLONG
	}
	i, e := f.newInode(m, dir, linux.S_IFLNK|0o777, 0, uid, gid)
	if e != 0 {
		return 0, e
	}
	a, n := attrs(i), node(i)
	if len(target) <= fastLinkMax {
		for k, c := range target {
			n.block[k/4] |= uint32(c) << (8 * (k % 4))
		}
	} else {
		pblk, _, e := f.bmap(a, n, 0, true)
		if e == 0 {
			var b bcache.Buf
			if b, e = f.c.GetZero(uint64(pblk), bcache.Meta); e == 0 {
				copy(f.c.Bytes(b), target)
				f.c.Release(b)
			}
		}
		if e != 0 {
			a.Nlink = 0
			unref(i)
			return 0, e
		}
	}
	a.Size = int64(len(target))
	f.writeInode(i)
	if e := f.linkNew(dir, name, i); e != 0 {
		return 0, e
	}
	return i, 0
}

func readlinkOp(m *vfs.MountPoint, i vfs.Ino, buf []byte) (int, linux.Errno) {
	return fsOf(m).readlink(i, buf)
}

func linkOp(m *vfs.MountPoint, dir vfs.Ino, name []byte, i vfs.Ino) linux.Errno {
	f := fsOf(m)
	if f.ro {
		return linux.EROFS
	}
	a := attrs(i)
	if a.Nlink >= linkMax {
		return linux.EMLINK
	}
	if len(name) > nameMax {
		return linux.ENAMETOOLONG
	}
	f.changed()
	if e := f.addEntry(dir, name, node(i).num, a.Mode); e != 0 {
		f.writeInode(dir)
		return e
	}
	a.Nlink++
	a.Ctime = now()
	f.writeInode(i)
	return f.writeInode(dir)
}

func removeOp(m *vfs.MountPoint, dir vfs.Ino, name []byte, i vfs.Ino) linux.Errno {
	f := fsOf(m)
	if f.ro {
		return linux.EROFS
	}
	a := attrs(i)
	if node(i).flags&(flagImmutable|flagAppend) != 0 {
		return linux.EPERM
	}
	isDir := isDirMode(a.Mode)
	if isDir {
		empty, e := f.emptyDir(i)
		if e != 0 {
			return e
		}
		if !empty {
			return linux.ENOTEMPTY
		}
	}
	f.changed()
	if _, e := f.removeEntry(dir, name); e != 0 {
		return e
	}
	if isDir {
		a.Nlink = 0
		if d := attrs(dir); d.Nlink > 2 {
			d.Nlink--
		}
	} else if a.Nlink > 0 {
		a.Nlink--
	}
	a.Ctime = now()
	f.writeInode(i)
	f.maybeOrphan(i)
	return f.writeInode(dir)
}

func renameOp(m *vfs.MountPoint, oldDir vfs.Ino, oldName []byte, i vfs.Ino, newDir vfs.Ino, newName []byte, target vfs.Ino, flags uint32) linux.Errno {
	f := fsOf(m)
	if f.ro {
		return linux.EROFS
	}
	if len(newName) > nameMax {
		return linux.ENAMETOOLONG
	}
	a := attrs(i)
	iDir := isDirMode(a.Mode)
	od, nd := attrs(oldDir), attrs(newDir)
	moved := oldDir != newDir
	t := now()
	if flags&renameExchange != 0 {
		if target == 0 {
			return linux.ENOENT
		}
		ta := attrs(target)
		tDir := isDirMode(ta.Mode)
		if moved && iDir && !tDir && nd.Nlink >= linkMax || moved && tDir && !iDir && od.Nlink >= linkMax {
			return linux.EMLINK
		}
		f.changed()
		if e := f.retarget(oldDir, oldName, node(target).num, ta.Mode); e != 0 {
			return e
		}
		if e := f.retarget(newDir, newName, node(i).num, a.Mode); e != 0 {
			return e
		}
		if moved {
			if iDir {
				f.setParent(i, node(newDir).num)
			}
			if tDir {
				f.setParent(target, node(oldDir).num)
			}
			if iDir && !tDir {
				od.Nlink--
				nd.Nlink++
			}
			if tDir && !iDir {
				nd.Nlink--
				od.Nlink++
			}
		}
		a.Ctime, ta.Ctime = t, t
		f.writeInode(target)
		f.writeInode(i)
		if moved {
			f.writeInode(newDir)
		}
		return f.writeInode(oldDir)
	}
	if target != 0 {
		ta := attrs(target)
		tDir := isDirMode(ta.Mode)
		if tDir {
			empty, e := f.emptyDir(target)
			if e != 0 {
				return e
			}
			if !empty {
				return linux.ENOTEMPTY
			}
		}
		f.changed()
		if e := f.retarget(newDir, newName, node(i).num, a.Mode); e != 0 {
			return e
		}
		if tDir {
			ta.Nlink = 0
			nd.Nlink--
		} else if ta.Nlink > 0 {
			ta.Nlink--
		}
		ta.Ctime = t
		f.writeInode(target)
		f.maybeOrphan(target)
	} else {
		if iDir && moved && nd.Nlink >= linkMax {
			return linux.EMLINK
		}
		f.changed()
		if e := f.addEntry(newDir, newName, node(i).num, a.Mode); e != 0 {
			f.writeInode(newDir)
			return e
		}
	}
	if _, e := f.removeEntry(oldDir, oldName); e != 0 {
		return e
	}
	if iDir && moved {
		f.setParent(i, node(newDir).num)
		od.Nlink--
		nd.Nlink++
	}
	a.Ctime = t
	f.writeInode(i)
	if moved {
		f.writeInode(newDir)
	}
	return f.writeInode(oldDir)
}

func setAttrOp(m *vfs.MountPoint, i vfs.Ino, what uint32) linux.Errno {
	f := fsOf(m)
	if f.ro {
		return linux.EROFS
	}
	return f.writeInode(i)
}

// maybeOrphan files an inode whose last link went: it is freed when the
// vfs evicts it (no references left) or, if it is still open then, at
// unmount.
func (f *fsys) maybeOrphan(i vfs.Ino) {
	n := node(i)
	if attrs(i).Nlink != 0 || n.orphan {
		return
	}
	n.orphan, n.self = true, i
	n.oprev, n.onext = 0, f.orphans
	if f.orphans != 0 {
		(*inode)(mm.Ptr(f.orphans)).oprev = priv(i)
	}
	f.orphans = priv(i)
}

func (f *fsys) unorphan(n *inode) {
	if !n.orphan {
		return
	}
	if n.oprev != 0 {
		(*inode)(mm.Ptr(n.oprev)).onext = n.onext
	} else {
		f.orphans = n.onext
	}
	if n.onext != 0 {
		(*inode)(mm.Ptr(n.onext)).oprev = n.oprev
	}
	n.orphan, n.onext, n.oprev = false, 0, 0
}

// evictOp drops an inode from the cache; one without links loses its
// blocks and its inode number here (spec: i_dtime set, bitmap bit cleared).
func evictOp(m *vfs.MountPoint, i vfs.Ino) {
	p := priv(i)
	if p == 0 {
		return
	}
	f := fsOf(m)
	if !f.unmounted {
		f.release(i)
	}
	kmem.Free(p, inodeSize)
	setPriv(i, 0)
}

// release frees the storage of an inode without links.
func (f *fsys) release(i vfs.Ino) {
	a, n := attrs(i), node(i)
	f.unorphan(n)
	if a.Nlink == 0 && !f.ro && n.num >= f.firstIno && n.dtime == 0 {
		f.changed()
		switch a.Mode & linux.S_IFMT {
		case linux.S_IFREG, linux.S_IFDIR:
			f.truncateBlocks(a, n, 0)
		case linux.S_IFLNK:
			if !f.fastSymlink(a, n) {
				f.truncateBlocks(a, n, 0)
			}
		}
		f.releaseXattr(a, n)
		n.block = [nBlocks]uint32{}
		a.Size = 0
		a.Blocks = 0
		n.dtime = uint32(now() / 1e9)
		if n.dtime == 0 {
			n.dtime = 1 // a zero dtime means "in use" to e2fsck
		}
		f.storeInode(a, n, false)
		f.freeInode(n.num, isDirMode(a.Mode))
	}
}
