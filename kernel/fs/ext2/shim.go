package ext2

// TEMPORARY: a stand-in for the vfs inode cache (vfs.Iget, Attrs, Priv,
// SetPriv, Unref) until "vfs: mounts" lands; then these helpers call the
// vfs directly.

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

type shimEnt struct {
	attr  vfs.Attr
	priv  uintptr
	refs  int32
	key   uint64
	mount uintptr
	next  uintptr
}

var shimHead uintptr

func ent(i vfs.Ino) *shimEnt { return (*shimEnt)(mm.Ptr(uintptr(i))) }

func vgetInode(m *vfs.MountPoint, key uint64) (vfs.Ino, bool, linux.Errno) {
	mp := uintptr(unsafe.Pointer(m))
	for p := shimHead; p != 0; p = ent(vfs.Ino(p)).next {
		x := ent(vfs.Ino(p))
		if x.mount == mp && x.key == key {
			x.refs++
			return vfs.Ino(p), false, 0
		}
	}
	va, ok := kmem.Alloc(unsafe.Sizeof(shimEnt{}))
	if !ok {
		return 0, false, linux.ENOMEM
	}
	x := ent(vfs.Ino(va))
	x.key, x.mount, x.refs, x.next = key, mp, 1, shimHead
	shimHead = va
	return vfs.Ino(va), true, 0
}

func attrs(i vfs.Ino) *vfs.Attr    { return &ent(i).attr }
func priv(i vfs.Ino) uintptr       { return ent(i).priv }
func setPriv(i vfs.Ino, v uintptr) { ent(i).priv = v }

func shimRemove(i vfs.Ino) {
	for p := &shimHead; *p != 0; p = &ent(vfs.Ino(*p)).next {
		if *p == uintptr(i) {
			*p = ent(i).next
			kmem.Free(uintptr(i), unsafe.Sizeof(shimEnt{}))
			return
		}
	}
}

func shimMount(i vfs.Ino) *vfs.MountPoint { return (*vfs.MountPoint)(mm.Ptr(ent(i).mount)) }

func unref(i vfs.Ino) {
	x := ent(i)
	x.refs--
	if x.refs == 0 && x.attr.Nlink == 0 {
		evictOp(shimMount(i), i)
		shimRemove(i)
	}
}

// discard drops a fresh inode whose driver state could not be set up.
func discard(i vfs.Ino) {
	if p := priv(i); p != 0 {
		kmem.Free(p, inodeSize)
		setPriv(i, 0)
	}
	attrs(i).Nlink = 0
	unref(i)
}

// shimEvictAll evicts every unreferenced inode of m (unmount in tests).
func shimEvictAll(m *vfs.MountPoint) int {
	mp := uintptr(unsafe.Pointer(m))
	busy := 0
	for p := shimHead; p != 0; {
		x := ent(vfs.Ino(p))
		next := x.next
		if x.mount == mp {
			if x.refs == 0 {
				evictOp(m, vfs.Ino(p))
				shimRemove(vfs.Ino(p))
			} else {
				busy++
			}
		}
		p = next
	}
	return busy
}
