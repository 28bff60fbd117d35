package vfs

import "unigo.dev/unigo/kernel/abi/linux"

// Resolution flags.
const (
	Follow    = 1 << iota // follow a symlink in the last component
	Directory             // the result must be a directory
)

// Resolve walks path from start (or the root for an absolute path),
// following symlinks in intermediate components and, with Follow, in the
// last one.
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
			return 0, linux.ENAMETOOLONG
		}
		if !IsDir(cur) {
			return 0, linux.ENOTDIR
		}
		next, e := Lookup(cur, name)
		if e != 0 {
			return 0, e
		}
		if in(next).mode&linux.S_IFMT == linux.S_IFLNK && (!last || flags&Follow != 0 || len(path) > 0) {
			*depth++
			if *depth > maxSymlink {
				return 0, linux.ELOOP
			}
			target, _ := Readlink(next)
			f := Follow
			if last {
				f = flags
			}
			next, e = resolve(cur, target, f|Follow, depth)
			if e != 0 {
				return 0, e
			}
		}
		cur = next
	}
	if flags&Directory != 0 && !IsDir(cur) {
		return 0, linux.ENOTDIR
	}
	return cur, 0
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
// that directory and the last component (which may be "." or "..").
// A path ending in "/" keeps its last name and reports trailingSlash.
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
		}
	}
	if !IsDir(dir) {
		return 0, nil, false, linux.ENOTDIR
	}
	return dir, last, trailingSlash, 0
}

// PathOf writes the absolute path of directory dir into buf and returns
// it (for getcwd). ok is false if it does not fit.
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
		p := in(d).parent
		var name []byte
		for e := in(p).data; e != 0; e = de(e).next {
			if de(e).ino == d {
				name = deName(e)
				break
			}
		}
		if name == nil {
			return nil, false // unlinked
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
