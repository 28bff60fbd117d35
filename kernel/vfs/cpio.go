package vfs

import "unigo.dev/unigo/kernel/abi/linux"

// Unpacking an initramfs: the cpio "newc" format (magic 070701; see the
// Linux kernel's Documentation/driver-api/early-userspace/buffer-format.rst).

const (
	cpioHeaderLen = 110
	cpioTrailer   = "TRAILER!!!"
)

func hex8(b []byte) (uint32, bool) {
	var v uint32
	for _, c := range b[:8] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}

func align4(n int) int { return (n + 3) &^ 3 }

// CpioError says where an archive went wrong.
type CpioError struct {
	Offset int
	Errno  linux.Errno
}

// UnpackCpio extracts a newc archive into the tree under dir: directories
// (merged with existing ones), regular files (replacing), symlinks and
// device nodes. Missing parent directories are created. It returns the
// number of entries and, on failure, where.
func UnpackCpio(dir Ino, a []byte) (int, CpioError) {
	off := 0
	n := 0
	for {
		if off+cpioHeaderLen > len(a) {
			return n, CpioError{off, linux.EINVAL}
		}
		h := a[off : off+cpioHeaderLen]
		if string(h[:6]) != "070701" && string(h[:6]) != "070702" {
			return n, CpioError{off, linux.EINVAL}
		}
		var f [13]uint32
		for k := range f {
			v, ok := hex8(h[6+8*k:])
			if !ok {
				return n, CpioError{off, linux.EINVAL}
			}
			f[k] = v
		}
		mode, mtime, size, rmaj, rmin, namesize := f[1], f[5], int(f[6]), f[9], f[10], int(f[11])
		nameStart := off + cpioHeaderLen
		if namesize < 1 || nameStart+namesize > len(a) {
			return n, CpioError{off, linux.EINVAL}
		}
		name := a[nameStart : nameStart+namesize-1]
		dataStart := align4(nameStart + namesize)
		if dataStart+size > len(a) {
			return n, CpioError{off, linux.EINVAL}
		}
		data := a[dataStart : dataStart+size]
		off = align4(dataStart + size)
		if string(name) == cpioTrailer {
			return n, CpioError{}
		}
		for len(name) > 0 && (name[0] == '/' || (len(name) > 1 && name[0] == '.' && name[1] == '/')) {
			if name[0] == '/' {
				name = name[1:]
			} else {
				name = name[2:]
			}
		}
		if len(name) == 0 || string(name) == "." {
			continue
		}
		if e := unpackOne(dir, name, mode, int64(mtime)*1e9, data, rmaj<<8|rmin); e != 0 {
			return n, CpioError{off, e}
		}
		n++
	}
}

func unpackOne(top Ino, name []byte, mode uint32, mtime int64, data []byte, rdev uint32) linux.Errno {
	// Create missing parents.
	d := top
	Ref(d)
	e := unpackIn(&d, name, mode, mtime, data, rdev)
	Unref(d)
	return e
}

// unpackIn creates name under *d, moving *d (a held reference) down the
// parents it creates.
func unpackIn(dp *Ino, name []byte, mode uint32, mtime int64, data []byte, rdev uint32) linux.Errno {
	d := *dp
	for {
		slash := -1
		for k, c := range name {
			if c == '/' {
				slash = k
				break
			}
		}
		if slash < 0 {
			break
		}
		comp := name[:slash]
		name = name[slash+1:]
		if len(comp) == 0 {
			continue
		}
		next, e := Lookup(d, comp)
		if e == linux.ENOENT {
			next, e = Create(d, comp, linux.S_IFDIR|0o755, 0, 0, 0)
		}
		if e != 0 {
			return e
		}
		Unref(d)
		d = next
		*dp = d
		if !IsDir(d) {
			return linux.ENOTDIR
		}
	}
	if len(name) == 0 {
		return 0
	}
	existing, e := Lookup(d, name)
	if e == 0 {
		dir := IsDir(existing)
		if mode&linux.S_IFMT == linux.S_IFDIR && dir {
			Chmod(existing, mode)
			SetTimes(existing, mtime, mtime)
			Unref(existing)
			return 0
		}
		Unref(existing)
		if dir {
			if e := Rmdir(d, name); e != 0 {
				return e
			}
		} else if e := Unlink(d, name); e != 0 {
			return e
		}
	}
	var i Ino
	switch mode & linux.S_IFMT {
	case linux.S_IFLNK:
		i, e = Symlink(d, name, data, 0, 0)
	case linux.S_IFREG:
		i, e = Create(d, name, mode, 0, 0, 0)
		if e == 0 && len(data) > 0 {
			if _, e = Write(i, 0, data); e != 0 {
				Unref(i)
			}
		}
	case linux.S_IFDIR, linux.S_IFCHR, linux.S_IFBLK, linux.S_IFIFO:
		i, e = Create(d, name, mode, rdev, 0, 0)
	default:
		return 0 // sockets: skipped
	}
	if e != 0 {
		return e
	}
	SetTimes(i, mtime, mtime)
	Unref(i)
	return 0
}
