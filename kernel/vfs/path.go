package vfs

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
)

// Resolution flags.
const (
	Follow    = 1 << iota // follow a symlink in the last component
	Directory             // the result must be a directory
)

// Resolve walks path from start (or the root for an absolute path),
// following symlinks in intermediate components and, with Follow, in the
// last one, and returns a reference to the result (drop it with [Unref]).
func Resolve(start Ino, path []byte, flags int) (Ino, linux.Errno) {
	depth := 0
	return resolve(start, path, flags, &depth)
}

func resolve(start Ino, path []byte, flags int, depth *int) (Ino, linux.Errno) {
	if len(path) == 0 {
		return 0, linux.ENOENT
	}
	if len(path) >= PathMax {
		return 0, linux.ENAMETOOLONG
	}
	cur := start
	if path[0] == '/' {
		cur = root
	}
	if path[len(path)-1] == '/' {
		flags |= Directory // a trailing slash names a directory
	}
	Ref(cur)
	for len(path) > 0 {
		for len(path) > 0 && path[0] == '/' {
			path = path[1:]
		}
		if len(path) == 0 {
			break
		}
		end := 0
		for end < len(path) && path[end] != '/' {
			end++
		}
		name := path[:end]
		path = path[end:]
		last := len(path) == 0 || onlySlashes(path)
		if len(name) > NameMax {
			Unref(cur)
			return 0, linux.ENAMETOOLONG
		}
		if !IsDir(cur) {
			Unref(cur)
			return 0, linux.ENOTDIR
		}
		next, e := Lookup(cur, name)
		if e != 0 {
			Unref(cur)
			return 0, e
		}
		if in(next).Mode&linux.S_IFMT == linux.S_IFLNK && (!last || flags&Follow != 0 || len(path) > 0) {
			*depth++
			if *depth > maxSymlink {
				Unref(next)
				Unref(cur)
				return 0, linux.ELOOP
			}
			f := Follow
			if last {
				f = flags
			}
			link := next
			next, e = followLink(cur, link, f|Follow, depth)
			Unref(link)
			if e != 0 {
				Unref(cur)
				return 0, e
			}
		}
		Unref(cur)
		cur = next
	}
	if flags&Directory != 0 && !IsDir(cur) {
		Unref(cur)
		return 0, linux.ENOTDIR
	}
	return cur, 0
}

// followLink resolves the target of symlink link relative to dir. The
// caller holds link, so a ramfs target stays put while it is walked.
func followLink(dir, link Ino, flags int, depth *int) (Ino, linux.Errno) {
	n := in(link)
	if n.mnt == 0 {
		return resolve(dir, unsafe.Slice((*byte)(mm.Ptr(n.data)), n.cap), flags, depth)
	}
	buf, ok := kmem.Alloc(PathMax)
	if !ok {
		return 0, linux.ENOMEM
	}
	b := unsafe.Slice((*byte)(mm.Ptr(buf)), PathMax)
	k, e := Readlink(link, b)
	var i Ino
	if e == 0 {
		i, e = resolve(dir, b[:k], flags, depth)
	}
	kmem.Free(buf, PathMax)
	return i, e
}

func onlySlashes(p []byte) bool {
	for _, c := range p {
		if c != '/' {
			return false
		}
	}
	return true
}

// ResolveParent resolves all but the last component of path and returns
// a reference to that directory (drop it with [Unref]) and the last
// component (which may be "." or ".."). A path ending in "/" keeps its
// last name and reports trailingSlash.
func ResolveParent(start Ino, path []byte) (dir Ino, last []byte, trailingSlash bool, e linux.Errno) {
	if len(path) == 0 {
		return 0, nil, false, linux.ENOENT
	}
	if len(path) >= PathMax {
		return 0, nil, false, linux.ENAMETOOLONG
	}
	end := len(path)
	for end > 0 && path[end-1] == '/' {
		end--
	}
	trailingSlash = end < len(path)
	if end == 0 { // "/" or "///"
		Ref(root)
		return root, dotName[:1], true, 0
	}
	begin := end
	for begin > 0 && path[begin-1] != '/' {
		begin--
	}
	last = path[begin:end]
	if len(last) > NameMax {
		return 0, nil, false, linux.ENAMETOOLONG
	}
	dir = start
	if begin > 0 {
		prefix := path[:begin]
		if onlySlashes(prefix) {
			dir = root
		} else {
			dir, e = Resolve(start, prefix, Follow|Directory)
			if e != 0 {
				return 0, nil, false, e
			}
			return dir, last, trailingSlash, 0
		}
	}
	if !IsDir(dir) {
		return 0, nil, false, linux.ENOTDIR
	}
	Ref(dir)
	return dir, last, trailingSlash, 0
}

// PathOf writes the absolute path of directory dir into buf and returns
// it (for getcwd). ok is false if it does not fit or dir was removed.
func PathOf(dir Ino, buf []byte) ([]byte, bool) {
	if dir == root {
		if len(buf) < 1 {
			return nil, false
		}
		buf[0] = '/'
		return buf[:1], true
	}
	pos := len(buf)
	for d := dir; d != root; {
		if n := in(d); n.mnt != 0 && mounts[n.mnt-1].root == d {
			d = mounts[n.mnt-1].point // a mount root is named by its mount point
		}
		p := in(d).parent
		if p == 0 || in(d).Nlink == 0 {
			return nil, false // unlinked
		}
		var name []byte
		if in(p).mnt == 0 {
			for e := in(p).data; e != 0; e = de(e).next {
				if de(e).child == d {
					name = deName(e)
					break
				}
			}
		} else {
			for c, ok := int64(2), true; ok; {
				var ent Dirent
				var e linux.Errno
				if ent, c, ok, e = ReadDir(p, c); e != 0 {
					return nil, false
				}
				if ok && ent.Ino == in(d).Ino {
					name = ent.Name()
					break
				}
			}
		}
		if name == nil {
			return nil, false
		}
		if pos < len(name)+1 {
			return nil, false
		}
		pos -= len(name)
		copy(buf[pos:], name)
		pos--
		buf[pos] = '/'
		d = p
	}
	return buf[pos:], true
}
