package bootinfo

import (
	"encoding/binary"
	"unsafe"
)

// arena is fake physical memory for hosted tests: buf stands for the
// physical addresses [base, base+len(buf)).
type arena struct {
	buf  []byte
	base uintptr
}

func newArena(base, size uintptr) *arena {
	return &arena{buf: make([]byte, size), base: base}
}

// phys returns a window onto the arena. The arena must stay reachable while
// the window is used (Phys holds only integers).
func (a *arena) phys() Phys {
	return Phys{
		Off: uintptr(unsafe.Pointer(&a.buf[0])) - a.base,
		Lo:  a.base,
		Hi:  a.base + uintptr(len(a.buf)),
	}
}

func (a *arena) at(pa uintptr, n int) []byte {
	off := pa - a.base
	return a.buf[off : off+uintptr(n)]
}

func (a *arena) put8(pa uintptr, v uint8)   { a.at(pa, 1)[0] = v }
func (a *arena) put16(pa uintptr, v uint16) { binary.LittleEndian.PutUint16(a.at(pa, 2), v) }
func (a *arena) put32(pa uintptr, v uint32) { binary.LittleEndian.PutUint32(a.at(pa, 4), v) }
func (a *arena) put64(pa uintptr, v uint64) { binary.LittleEndian.PutUint64(a.at(pa, 8), v) }

func (a *arena) putString(pa uintptr, s string) {
	copy(a.at(pa, len(s)+1), s+"\x00")
}

type memEntry struct {
	addr, size uint64
	typ        uint32
}

// pvhImage describes a start_info to lay out in an arena.
type pvhImage struct {
	magic, version uint32
	mem            []memEntry
	mods           []Module // Start, End, Cmdline
	cmdline        uintptr
	rsdp           uintptr
}

// Where buildPVH puts things: start_info, the memory map and the module list
// (Firecracker puts start_info at 0x6000 and the map right after it).
const (
	pvhStart   = 0x6000
	pvhMemmap  = 0x6040
	pvhModlist = 0x7000
)

func (a *arena) putPVH(p pvhImage) {
	a.put32(pvhStart+0x00, p.magic)
	a.put32(pvhStart+0x04, p.version)
	a.put32(pvhStart+0x0c, uint32(len(p.mods)))
	if len(p.mods) > 0 {
		a.put64(pvhStart+0x10, pvhModlist)
	}
	a.put64(pvhStart+0x18, uint64(p.cmdline))
	a.put64(pvhStart+0x20, uint64(p.rsdp))
	if len(p.mem) > 0 {
		a.put64(pvhStart+0x28, pvhMemmap)
	}
	a.put32(pvhStart+0x30, uint32(len(p.mem)))
	for k, e := range p.mem {
		pa := uintptr(pvhMemmap + 24*k)
		a.put64(pa, e.addr)
		a.put64(pa+8, e.size)
		a.put32(pa+16, e.typ)
	}
	for k, m := range p.mods {
		pa := uintptr(pvhModlist + 32*k)
		a.put64(pa, uint64(m.Start))
		a.put64(pa+8, uint64(m.End-m.Start))
		a.put64(pa+16, uint64(m.Cmdline))
	}
}

// Where buildLinux puts the zero page (Firecracker: 0x7000).
const zeroPage = 0x7000

type linuxImage struct {
	noMagic       bool
	mem           []memEntry
	cmdline       uint64
	ramdisk, size uint64
	rsdp          uint64
	sentinel      uint8
}

func (a *arena) putLinux(l linuxImage) {
	bp := uintptr(zeroPage)
	if !l.noMagic {
		a.put16(bp+0x1fe, 0xaa55)
		a.put32(bp+0x202, 0x53726448)
	}
	a.put8(bp+0x1e8, uint8(len(l.mem)))
	for k, e := range l.mem {
		pa := bp + 0x2d0 + uintptr(20*k)
		a.put64(pa, e.addr)
		a.put64(pa+8, e.size)
		a.put32(pa+16, e.typ)
	}
	a.put32(bp+0x228, uint32(l.cmdline))
	a.put32(bp+0x0c8, uint32(l.cmdline>>32))
	a.put32(bp+0x218, uint32(l.ramdisk))
	a.put32(bp+0x0c0, uint32(l.ramdisk>>32))
	a.put32(bp+0x21c, uint32(l.size))
	a.put32(bp+0x0c4, uint32(l.size>>32))
	a.put64(bp+0x070, l.rsdp)
	a.put8(bp+0x1ef, l.sentinel)
}
