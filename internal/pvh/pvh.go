// Package pvh turns a linked Go program into a PVH-bootable image and checks
// images for it.
//
// QEMU, Firecracker and cloud-hypervisor boot a 64-bit ELF directly when it
// carries a Xen PVH note: an ELF note named "Xen\0" of type
// XEN_ELFNOTE_PHYS32_ENTRY (18) whose 8-byte descriptor holds the physical
// address of a 32-bit entry point (Xen docs/misc/pvh.pandoc). The Go linker
// cannot emit such a note, but it always writes a ".note.go.buildid" note in
// a PT_NOTE segment within the first page. [Patch] overwrites that note in
// place, keeping its total size, with
//
//	note 1: namesz 4, descsz 8, type 18, "Xen\0", uint64 entry address
//	note 2: namesz 6, descsz n, type 0x756e69, "unigo\0\0\0", n zero bytes
//
// The second (filler) note pads to the original size so that no other byte
// of the file moves. The section header keeps its name and range, so
// `readelf -n` lists both notes under ".note.go.buildid". (The Go build ID
// is lost from the note; `go version -m` still works from .go.buildinfo.)
package pvh

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// Note constants.
const (
	// TypePhys32Entry is XEN_ELFNOTE_PHYS32_ENTRY.
	TypePhys32Entry = 18
	// TypeFiller is the type of the padding note ("uni" in ASCII).
	TypeFiller = 0x756e69
)

// Entry symbols of the kernel's 32-bit PVH entry point, for programs built
// in module mode and for standard-library test binaries (whose kernel copy
// is vendored under GOROOT/src/vendor).
const (
	EntrySymbol       = "unigo.dev/unigo/kernel/arch/amd64.pvhEntry32"
	VendorEntrySymbol = "vendor/" + EntrySymbol
)

// buildIDSection is the note section the Go linker writes.
const buildIDSection = ".note.go.buildid"

// ErrNotUnigo is wrapped by errors for files that are not unigo images.
var ErrNotUnigo = errors.New("not a unigo image")

// Patch writes the PVH note into the ELF file at path. The entry address is
// that of the first of symbols found in the symbol table (an assembly
// function's ABI0 symbol "name.abi0" is preferred over "name"). With no
// symbols given it uses [EntrySymbol] and [VendorEntrySymbol]. It returns the
// entry address it wrote.
func Patch(path string, symbols ...string) (uint32, error) {
	if len(symbols) == 0 {
		symbols = []string{EntrySymbol, VendorEntrySymbol}
	}
	f, err := elf.Open(path)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrNotUnigo, path, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return 0, fmt.Errorf("%w: %s: not an x86-64 ELF file", ErrNotUnigo, path)
	}
	vaddr, err := findSymbol(f, symbols)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrNotUnigo, path, err)
	}
	paddr, ok := physAddr(f, vaddr)
	if !ok {
		return 0, fmt.Errorf("%w: %s: entry %#x is in no executable PT_LOAD segment", ErrNotUnigo, path, vaddr)
	}
	if paddr >= 1<<32 {
		return 0, fmt.Errorf("%w: %s: 32-bit entry at physical address %#x is above 4 GiB", ErrNotUnigo, path, paddr)
	}
	sec := f.Section(buildIDSection)
	if sec == nil || sec.Type != elf.SHT_NOTE {
		return 0, fmt.Errorf("%w: %s: no %s note to replace (was it linked by the Go linker without -buildid=?)", ErrNotUnigo, path, buildIDSection)
	}
	notes, err := buildNotes(sec.Size, paddr)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", path, err)
	}
	if !inNoteSegment(f, sec.Offset, sec.Size) {
		return 0, fmt.Errorf("%w: %s: %s is not inside a PT_NOTE segment with 4-byte alignment", ErrNotUnigo, path, buildIDSection)
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	if _, err := w.WriteAt(notes, int64(sec.Offset)); err != nil {
		w.Close()
		return 0, err
	}
	return uint32(paddr), w.Close()
}

// buildNotes returns size bytes holding the PVH note and the filler note.
func buildNotes(size, entry uint64) ([]byte, error) {
	const pvhLen = 12 + 4 + 8
	const fillerHdr = 12 + 8 // header + "unigo\0" padded to 8
	if size < pvhLen || size%4 != 0 || (size != pvhLen && size < pvhLen+fillerHdr) {
		return nil, fmt.Errorf("%w: %s has %d bytes, cannot hold the PVH note", ErrNotUnigo, buildIDSection, size)
	}
	b := make([]byte, size)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 4)
	le.PutUint32(b[4:], 8)
	le.PutUint32(b[8:], TypePhys32Entry)
	copy(b[12:], "Xen\x00")
	le.PutUint64(b[16:], entry)
	if size > pvhLen {
		f := b[pvhLen:]
		le.PutUint32(f[0:], 6)
		le.PutUint32(f[4:], uint32(size-pvhLen-fillerHdr))
		le.PutUint32(f[8:], TypeFiller)
		copy(f[12:], "unigo\x00")
	}
	return b, nil
}

// findSymbol returns the value of the first symbol found, preferring ABI0.
func findSymbol(f *elf.File, names []string) (uint64, error) {
	syms, err := f.Symbols()
	if err != nil {
		return 0, fmt.Errorf("reading symbols: %v", err)
	}
	byName := make(map[string]uint64, len(names)*2)
	for _, n := range names {
		byName[n], byName[n+".abi0"] = 0, 0
	}
	found := map[string]bool{}
	for _, s := range syms {
		if _, ok := byName[s.Name]; ok && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			byName[s.Name] = s.Value
			found[s.Name] = true
		}
	}
	for _, n := range names {
		for _, c := range []string{n + ".abi0", n} {
			if found[c] {
				return byName[c], nil
			}
		}
	}
	return 0, fmt.Errorf("no kernel entry symbol %s (was the program built by unigo?)", names[0])
}

// physAddr translates a virtual address in an executable PT_LOAD segment.
func physAddr(f *elf.File, vaddr uint64) (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && p.Vaddr <= vaddr && vaddr < p.Vaddr+p.Memsz {
			return vaddr - p.Vaddr + p.Paddr, true
		}
	}
	return 0, false
}

func inNoteSegment(f *elf.File, off, size uint64) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_NOTE && p.Align <= 4 && p.Off <= off && off+size <= p.Off+p.Filesz {
			return true
		}
	}
	return false
}

// Check reports the 32-bit PVH entry address of the image at path, or an
// error wrapping [ErrNotUnigo] when the file is not an x86-64 ELF image with
// a PVH note pointing into executable code.
func Check(path string) (entry uint32, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrNotUnigo, path, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return 0, fmt.Errorf("%w: %s: not an x86-64 ELF file", ErrNotUnigo, path)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return 0, fmt.Errorf("%w: %s: reading notes: %v", ErrNotUnigo, path, err)
		}
		for _, n := range parseNotes(data, p.Align) {
			if n.typ != TypePhys32Entry || !bytes.Equal(n.name, []byte("Xen\x00")) || len(n.desc) < 4 {
				continue
			}
			var addr uint64
			if len(n.desc) >= 8 {
				addr = binary.LittleEndian.Uint64(n.desc)
			} else {
				addr = uint64(binary.LittleEndian.Uint32(n.desc))
			}
			if addr >= 1<<32 || !inExecPaddr(f, addr) {
				return 0, fmt.Errorf("%w: %s: PVH entry %#x is outside the executable segments", ErrNotUnigo, path, addr)
			}
			return uint32(addr), nil
		}
	}
	return 0, fmt.Errorf("%w: %s: no PVH (Xen PHYS32_ENTRY) note", ErrNotUnigo, path)
}

func inExecPaddr(f *elf.File, paddr uint64) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && p.Paddr <= paddr && paddr < p.Paddr+p.Memsz {
			return true
		}
	}
	return false
}

type note struct {
	name, desc []byte
	typ        uint32
}

// parseNotes splits a PT_NOTE segment into notes; the descriptor is aligned
// to align (4 or 8), as QEMU and Linux read it.
func parseNotes(b []byte, align uint64) []note {
	if align < 4 {
		align = 4
	}
	pad := func(n uint64) uint64 { return (n + align - 1) &^ (align - 1) }
	var out []note
	for off := uint64(0); off+12 <= uint64(len(b)); {
		namesz := uint64(binary.LittleEndian.Uint32(b[off:]))
		descsz := uint64(binary.LittleEndian.Uint32(b[off+4:]))
		typ := binary.LittleEndian.Uint32(b[off+8:])
		nameOff := off + 12
		descOff := nameOff + pad(namesz)
		end := descOff + pad(descsz)
		if namesz > uint64(len(b)) || descsz > uint64(len(b)) || descOff+descsz > uint64(len(b)) {
			break
		}
		out = append(out, note{name: b[nameOff : nameOff+namesz], desc: b[descOff : descOff+descsz], typ: typ})
		off = end
	}
	return out
}

// MinMemoryMiB returns the guest memory an image needs at the least: its
// loaded segments (which the VMM places at their physical addresses) plus
// 1 MiB for the kernel's boot structures and the program's first pages.
func MinMemoryMiB(path string) (int, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var end uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Paddr+p.Memsz > end {
			end = p.Paddr + p.Memsz
		}
	}
	return int((end+(1<<20)-1)>>20) + 1, nil
}
