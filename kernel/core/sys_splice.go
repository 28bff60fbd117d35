package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/vfs"
)

// sysSplice implements Linux syscall splice(2). One side must be a pipe;
// the data moves directly between the pipe's ring and the other file (no
// intermediate buffer): from a pipe, only what the destination accepted
// is consumed; into a pipe, at most its free space is read. Go's net
// package splices between sockets through a private pipe (io.Copy of two
// TCP connections).
//
// Limit: while a read into a pipe blocks, a second writer to the same
// pipe would write into the region being filled; Go never shares its
// splice pipes.
func sysSplice(a sysArgs) uintptr {
	in, _, ok1 := fileOf(a[0])
	out, _, ok2 := fileOf(a[2])
	if !ok1 || !ok2 {
		return errno(linux.EBADF)
	}
	n, flags := a[4], a[5]
	if flags&^(linux.SPLICE_F_MOVE|linux.SPLICE_F_NONBLOCK|linux.SPLICE_F_MORE|linux.SPLICE_F_GIFT) != 0 {
		return errno(linux.EINVAL)
	}
	inPipe := in.kind == kindPipeRead
	outPipe := out.kind == kindPipeWrite || (out.kind == kindPipeRead && out.rdwrFIFO)
	if !inPipe && !outPipe {
		return errno(linux.EINVAL)
	}
	if inPipe && outPipe && in.obj == out.obj {
		return errno(linux.EINVAL)
	}
	var inOff, outOff int64
	if e := spliceOffset(in, a[1], inPipe, &inOff); e != 0 {
		return errno(e)
	}
	if e := spliceOffset(out, a[3], outPipe, &outOff); e != 0 {
		return errno(e)
	}
	if n == 0 {
		return 0
	}
	nb := flags&linux.SPLICE_F_NONBLOCK != 0
	var r uintptr
	if inPipe {
		r = spliceFromPipe(&pipes[in.obj], out, a[3] != 0, &outOff, n, nb || nonblock(in))
	} else {
		r = spliceToPipe(in, &pipes[out.obj], a[1] != 0, &inOff, n, nb || nonblock(out))
	}
	if int(r) > 0 {
		if a[1] != 0 {
			put64(a[1], uint64(inOff))
		}
		if a[3] != 0 {
			put64(a[3], uint64(outOff))
		}
	}
	return r
}

// spliceOffset reads an optional offset: pipes and other unseekable files
// take none.
func spliceOffset(f *file, p uintptr, pipe bool, off *int64) linux.Errno {
	if p == 0 {
		return 0
	}
	if pipe || !positioned(f) {
		return linux.ESPIPE
	}
	if !userRange(p, 8, true) {
		return linux.EFAULT
	}
	*off = int64(get64(p))
	if *off < 0 {
		return linux.EINVAL
	}
	return 0
}

// spliceFromPipe writes up to n bytes of pipe p to out.
func spliceFromPipe(p *pipe, out *file, explicit bool, off *int64, n uintptr, nb bool) uintptr {
	for p.wpos == p.rpos {
		if p.writers == 0 {
			return 0
		}
		if nb {
			return errno(linux.EAGAIN)
		}
		if waitOn(waitKeyPipe, 0) == wakeSignal {
			return errno(linux.EINTR)
		}
	}
	start := p.rpos % pipeSize
	chunk := min(uintptr(p.wpos-p.rpos), pipeSize-uintptr(start), n)
	b := unsafeSlice(p.buf+uintptr(start), chunk)
	var w uintptr
	switch {
	case explicit:
		k, e := vfsWrite(out, b, *off)
		if e != 0 && k == 0 {
			return errno(e)
		}
		*off += int64(k)
		w = uintptr(k)
	default:
		if out.kind == kindVFS && out.flags&linux.O_APPEND != 0 {
			out.off = vfs.Size(out.ino)
		}
		if out.kind == kindVFS {
			k, e := vfsWrite(out, b, out.off)
			if e != 0 && k == 0 {
				return errno(e)
			}
			out.off += int64(k)
			w = uintptr(k)
		} else {
			w = fileWrite(out, b)
			if int(w) < 0 {
				return w
			}
		}
	}
	p.rpos += uint64(w)
	notify(p.wfile)
	notify(p.rfile)
	wakeAll(waitKeyPipe)
	return w
}

// spliceToPipe reads up to n bytes from in into pipe p.
func spliceToPipe(in *file, p *pipe, explicit bool, off *int64, n uintptr, nb bool) uintptr {
	for p.wpos-p.rpos == pipeSize {
		if p.readers == 0 {
			sendSignal(cur(), sigPIPE)
			return errno(linux.EPIPE)
		}
		if nb {
			return errno(linux.EAGAIN)
		}
		if waitOn(waitKeyPipe, 0) == wakeSignal {
			return errno(linux.EINTR)
		}
	}
	if p.readers == 0 {
		sendSignal(cur(), sigPIPE)
		return errno(linux.EPIPE)
	}
	if p.buf == 0 {
		pa, ok := allocPages(pipeSize / 4096)
		if !ok {
			return errno(linux.ENOMEM)
		}
		p.buf = directMapBase + pa
	}
	start := p.wpos % pipeSize
	chunk := min(pipeSize-uintptr(p.wpos-p.rpos), pipeSize-uintptr(start), n)
	b := unsafeSlice(p.buf+uintptr(start), chunk)
	var r uintptr
	if in.kind == kindVFS {
		pos := in.off
		if explicit {
			pos = *off
		}
		k, e := vfsRead(in, b, pos)
		if e != 0 && k == 0 {
			return errno(e)
		}
		if explicit {
			*off += int64(k)
		} else {
			in.off += int64(k)
		}
		r = uintptr(k)
	} else {
		r = fileRead(in, b)
		if int(r) < 0 {
			return r
		}
	}
	p.wpos += uint64(r)
	if r > 0 {
		notify(p.rfile)
		notify(p.wfile)
		wakeAll(waitKeyPipe)
	}
	return r
}
