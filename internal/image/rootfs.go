// Package image extends and inspects unigo images: the ELF files that
// package [unigo.dev/unigo/internal/build] writes.
//
// # The root file system segment
//
// A guest's root file system (a cpio archive, see package
// [unigo.dev/unigo/internal/rootfs]) travels inside the image as one extra
// program header, so that any VMM that loads the image's PT_LOAD segments
// (QEMU's PVH loader does) also places the archive in guest memory, and no
// initrd option is needed:
//
//	p_type   PT_LOAD
//	p_flags  PF_R | FlagRootfs (0x00100000, an OS-specific bit of PF_MASKOS)
//	p_vaddr  = p_paddr = the first 4 KiB boundary at or after the highest
//	         end (address + p_memsz) of the other PT_LOAD segments
//	p_offset the archive's place in the file: appended at the end of the
//	         file, 4 KiB aligned (so p_offset ≡ p_vaddr mod p_align)
//	p_filesz = p_memsz = the archive's size
//	p_align  0x1000
//
// When `unigo build` has left the large objects at the end of the BSS out of
// the writable segment (demand-zero, see package
// [unigo.dev/unigo/internal/pvh]), the archive's addresses are inside the
// program's BSS range: the kernel unpacks the archive and unmaps it before it
// maps that range demand-zero, and returns the archive's frames as before
// (docs/adr/0011-demand-zero-bss.md).
//
// An image has at most one such segment. The new entry goes right after the
// existing program header table, which must stay inside the loaded segment
// that maps the ELF header (the kernel and the Go runtime read the table
// from memory); e_phnum and the PT_PHDR segment grow by one entry. The Go
// linker places the program headers at offset 64 and the section header
// table right after them (e_shoff = 64 + e_phnum·56), with the first
// section (.note.go.buildid) near the end of the first page. The section
// header table is not loaded and nothing refers to it by address, so when
// it is in the way [AddRootfs] moves it after the archive (8-byte aligned,
// e_shoff updated) and zeroes its old place. Any section or segment other
// than PT_PHDR and the header-mapping PT_LOAD in the way is an error.
package image

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// FlagRootfs is the p_flags bit of the root file system segment.
const FlagRootfs = 0x00100000

const (
	pageSize  = 0x1000
	phentsize = 56 // sizeof(Elf64_Phdr)
	// Offsets in Elf64_Ehdr.
	offShoff = 0x28
	offPhnum = 0x38
	// Offsets in Elf64_Phdr.
	offFilesz = 32
	offMemsz  = 40
)

// ErrHasRootfs is wrapped by AddRootfs errors for images that already
// carry a root file system.
var ErrHasRootfs = errors.New("image already has a root file system")

// Segment locates the root file system in an image.
type Segment struct {
	Offset uint64 // in the file
	Addr   uint64 // guest physical (and virtual) address
	Size   uint64 // bytes
}

// AddRootfs appends the archive read from r to the image at path as its
// root file system segment (see the package documentation). The file is
// unchanged when the image is rejected.
func AddRootfs(path string, r io.Reader) (Segment, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Segment{}, err
	}
	defer f.Close()
	p, err := plan(f, path)
	if err != nil {
		return Segment{}, err
	}
	fail := func(err error) (Segment, error) {
		return Segment{}, fmt.Errorf("unigo: adding the root file system to %s: %v", path, err)
	}

	// The archive, at the end of the file.
	n, err := io.Copy(io.NewOffsetWriter(f, int64(p.seg.Offset)), r)
	if err != nil {
		f.Truncate(int64(p.fileSize))
		return fail(err)
	}
	p.seg.Size = uint64(n)

	le := binary.LittleEndian
	var hdr [8]byte
	if p.moveShdrs {
		shdrs := make([]byte, p.shSize)
		if _, err := f.ReadAt(shdrs, int64(p.shoff)); err != nil {
			return fail(err)
		}
		newShoff := alignUp(p.seg.Offset+p.seg.Size, 8)
		if _, err := f.WriteAt(shdrs, int64(newShoff)); err != nil {
			return fail(err)
		}
		if _, err := f.WriteAt(make([]byte, p.shSize), int64(p.shoff)); err != nil {
			return fail(err)
		}
		le.PutUint64(hdr[:], newShoff)
		if _, err := f.WriteAt(hdr[:8], offShoff); err != nil {
			return fail(err)
		}
	}

	ph := make([]byte, phentsize)
	le.PutUint32(ph[0:], uint32(elf.PT_LOAD))
	le.PutUint32(ph[4:], uint32(elf.PF_R)|FlagRootfs)
	le.PutUint64(ph[8:], p.seg.Offset)
	le.PutUint64(ph[16:], p.seg.Addr)
	le.PutUint64(ph[24:], p.seg.Addr)
	le.PutUint64(ph[32:], p.seg.Size)
	le.PutUint64(ph[40:], p.seg.Size)
	le.PutUint64(ph[48:], pageSize)
	if _, err := f.WriteAt(ph, int64(p.newPhdr)); err != nil {
		return fail(err)
	}
	if p.phdrIndex >= 0 {
		tableSize := uint64(p.phnum+1) * phentsize
		le.PutUint64(hdr[:], tableSize)
		at := int64(p.phoff) + int64(p.phdrIndex)*phentsize
		if _, err := f.WriteAt(hdr[:], at+offFilesz); err != nil {
			return fail(err)
		}
		if _, err := f.WriteAt(hdr[:], at+offMemsz); err != nil {
			return fail(err)
		}
	}
	le.PutUint16(hdr[:], uint16(p.phnum+1))
	if _, err := f.WriteAt(hdr[:2], offPhnum); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}

	// What we wrote must read back.
	got, ok, err := Rootfs(path)
	if err != nil || !ok || got != p.seg {
		return fail(fmt.Errorf("the patched image does not read back (segment %+v, %v, %v): please report this", got, ok, err))
	}
	return p.seg, nil
}

// patchPlan is what AddRootfs will write, decided before writing anything.
type patchPlan struct {
	seg       Segment // Size is filled in later
	fileSize  uint64
	phoff     uint64
	phnum     int
	phdrIndex int    // index of PT_PHDR in the table, or -1
	newPhdr   uint64 // file offset of the new entry
	shoff     uint64
	shSize    uint64
	moveShdrs bool
}

func plan(f *os.File, path string) (*patchPlan, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("unigo: cannot add a root file system to %s: "+format, append([]any{path}, args...)...)
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, bad("not an ELF file: %v", err)
	}
	if ef.Class != elf.ELFCLASS64 || ef.Data != elf.ELFDATA2LSB || ef.Machine != elf.EM_X86_64 || ef.Type != elf.ET_EXEC {
		return nil, bad("not an x86-64 ELF executable")
	}
	var eh [64]byte
	if _, err := f.ReadAt(eh[:], 0); err != nil {
		return nil, bad("reading the ELF header: %v", err)
	}
	le := binary.LittleEndian
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	p := &patchPlan{
		fileSize:  uint64(st.Size()),
		phoff:     le.Uint64(eh[0x20:]),
		phnum:     int(le.Uint16(eh[offPhnum:])),
		phdrIndex: -1,
		shoff:     le.Uint64(eh[offShoff:]),
		shSize:    uint64(le.Uint16(eh[0x3c:])) * uint64(le.Uint16(eh[0x3a:])),
	}
	if le.Uint16(eh[0x36:]) != phentsize || p.phnum >= 0xffff-1 || p.phnum != len(ef.Progs) {
		return nil, bad("unexpected program header table (%d entries of %d bytes)", p.phnum, le.Uint16(eh[0x36:]))
	}
	if p.shoff != 0 && p.shSize == 0 {
		return nil, bad("extended section numbering is not supported")
	}
	p.newPhdr = p.phoff + uint64(p.phnum)*phentsize
	newEnd := p.newPhdr + phentsize

	var end uint64
	headerLoad := false
	for i, pr := range ef.Progs {
		if pr.Type == elf.PT_PHDR {
			p.phdrIndex = i
		}
		if pr.Type != elf.PT_LOAD {
			continue
		}
		if pr.Flags&FlagRootfs != 0 {
			return nil, fmt.Errorf("unigo: %s: %w: build it again from the package instead of adding another", path, ErrHasRootfs)
		}
		end = max(end, pr.Vaddr+pr.Memsz, pr.Paddr+pr.Memsz)
		if pr.Off <= p.phoff && newEnd <= pr.Off+pr.Filesz {
			headerLoad = true
		}
	}
	if !headerLoad {
		return nil, bad("the program header table at %#x has no room for one more entry inside the loaded segment that holds it", p.phoff)
	}
	for _, pr := range ef.Progs {
		if pr.Type == elf.PT_PHDR || pr.Type == elf.PT_LOAD && pr.Off <= p.phoff && newEnd <= pr.Off+pr.Filesz {
			continue // covers the table by design
		}
		if overlaps(pr.Off, pr.Filesz, p.newPhdr, phentsize) {
			return nil, bad("no room for one more program header: the %v segment at %#x is in the way", pr.Type, pr.Off)
		}
	}
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NULL || s.Type == elf.SHT_NOBITS {
			continue
		}
		if overlaps(s.Offset, s.FileSize, p.newPhdr, phentsize) {
			return nil, bad("no room for one more program header: section %s at %#x is in the way", s.Name, s.Offset)
		}
	}
	p.moveShdrs = p.shoff != 0 && overlaps(p.shoff, p.shSize, p.newPhdr, phentsize)
	p.seg = Segment{Offset: alignUp(p.fileSize, pageSize), Addr: alignUp(end, pageSize)}
	return p, nil
}

// Rootfs returns the root file system segment of the image at path, and
// whether it has one.
func Rootfs(path string) (Segment, bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return Segment{}, false, err
	}
	defer f.Close()
	var seg Segment
	found := false
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Flags&FlagRootfs == 0 {
			continue
		}
		if found {
			return Segment{}, false, fmt.Errorf("unigo: %s has more than one root file system segment", path)
		}
		if p.Vaddr != p.Paddr || p.Filesz != p.Memsz {
			return Segment{}, false, fmt.Errorf("unigo: %s: malformed root file system segment at %#x", path, p.Off)
		}
		seg, found = Segment{Offset: p.Off, Addr: p.Paddr, Size: p.Filesz}, true
	}
	return seg, found, nil
}

// ReadRootfs returns the root file system archive of the image at path
// (nil when it has none).
func ReadRootfs(path string) ([]byte, error) {
	seg, ok, err := Rootfs(path)
	if err != nil || !ok {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, seg.Size)
	if _, err := f.ReadAt(b, int64(seg.Offset)); err != nil {
		return nil, fmt.Errorf("unigo: %s: reading the root file system: %v", path, err)
	}
	return b, nil
}

func overlaps(off, size, off2, size2 uint64) bool {
	return size > 0 && size2 > 0 && off < off2+size2 && off2 < off+size
}

func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }
