package pvh

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Demand-zero BSS.
//
// QEMU's ELF loader (and Firecracker's) places every PT_LOAD segment at its
// physical address and zero-fills it up to p_memsz, so a program's BSS costs
// guest RAM whether or not it is ever touched: Go 1.26's crypto/tls pulls in
// crypto/internal/fips140/drbg.memory, a 32 MiB zero array, which alone made
// a net/http server need over 40 MiB of guest memory. [TrimBSS] shortens the
// writable segment's p_memsz so that the VMM loads only the part that must be
// present at boot; the kernel maps the rest of the BSS, up to the linker's
// runtime.end, as anonymous demand-zero memory before the Go runtime starts
// (kernel/core/mem.go, docs/adr/0011-demand-zero-bss.md).
//
// Only a tail of .noptrbss made of large objects (at least [LargeBSS] bytes
// each) that belong to no kernel package is trimmed: the kernel's own
// variables are used before it has page tables and a fault handler, and
// small objects are not worth a page fault. The Go linker sorts each data
// section by size, so the large objects are at the end.

// LargeBSS is the size from which a program's zero-initialised object may
// become demand-zero.
const LargeBSS = 64 << 10

// kernelPrefixes name the packages whose variables must stay loaded.
var kernelPrefixes = []string{"unigo.dev/unigo/kernel/", "vendor/unigo.dev/unigo/kernel/"}

// BSSTrim describes what [TrimBSS] did: the writable segment now loads
// [Start-of-segment, Cut) and [Cut, End) is demand-zero. Cut == End when
// nothing was trimmed.
type BSSTrim struct {
	Cut, End uint64
	// First is the name of the lowest demand-zero object ("" if none).
	First string
}

// Bytes is the size of the demand-zero range.
func (t BSSTrim) Bytes() uint64 { return t.End - t.Cut }

// TrimBSS shortens the memory size of the image's writable PT_LOAD segment
// to the end of what must be loaded at boot (see the package comment on
// demand-zero BSS) and reports the demand-zero range. An image whose BSS
// tail holds no large program object is left unchanged. Running it again is
// harmless: it finds the segment already trimmed.
func TrimBSS(path string) (BSSTrim, error) {
	f, err := elf.Open(path)
	if err != nil {
		return BSSTrim{}, fmt.Errorf("%w: %s: %v", ErrNotUnigo, path, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return BSSTrim{}, fmt.Errorf("%w: %s: not an x86-64 ELF file", ErrNotUnigo, path)
	}
	sec := f.Section(".noptrbss")
	if sec == nil || sec.Type != elf.SHT_NOBITS {
		return BSSTrim{}, nil // not a Go program's layout: load it all
	}
	end := sec.Addr + sec.Size
	seg := -1
	for i, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 && p.Vaddr <= sec.Addr && sec.Addr <= p.Vaddr+p.Memsz {
			seg = i
		}
	}
	if seg < 0 {
		return BSSTrim{}, fmt.Errorf("%w: %s: .noptrbss at %#x is in no writable PT_LOAD segment", ErrNotUnigo, path, sec.Addr)
	}
	p := f.Progs[seg]
	loaded := p.Vaddr + p.Memsz
	if loaded < end && loaded%pageSize == 0 && loaded >= sec.Addr {
		return BSSTrim{Cut: loaded, End: end}, nil // trimmed before
	}
	if loaded != end {
		return BSSTrim{}, nil // something follows .noptrbss: leave it alone
	}
	syms, err := f.Symbols()
	if err != nil {
		return BSSTrim{}, fmt.Errorf("%w: %s: reading symbols: %v", ErrNotUnigo, path, err)
	}
	var in []elf.Symbol
	for _, s := range syms {
		if int(s.Section) < len(f.Sections) && f.Sections[s.Section] == sec {
			in = append(in, s)
		}
	}
	t := bssCut(sec.Addr, end, in)
	if t.Cut == end {
		return BSSTrim{Cut: end, End: end}, nil
	}
	memsz := t.Cut - p.Vaddr
	if memsz < p.Filesz {
		return BSSTrim{}, fmt.Errorf("%w: %s: BSS cut %#x falls inside the file data of the segment at %#x", ErrNotUnigo, path, t.Cut, p.Vaddr)
	}
	phoff, phentsize := progHeaderTable(path)
	if phoff == 0 {
		return BSSTrim{}, fmt.Errorf("%w: %s: cannot locate the program header table", ErrNotUnigo, path)
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return BSSTrim{}, err
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], memsz)
	if _, err := w.WriteAt(b[:], int64(phoff+uint64(seg)*phentsize+40)); err != nil { // p_memsz
		w.Close()
		return BSSTrim{}, err
	}
	return t, w.Close()
}

const pageSize = 4096

// bssCut finds the demand-zero tail of .noptrbss [start, end): walking down
// from end, it extends over large non-kernel objects while they are
// contiguous (up to alignment padding) and stops at the first other one.
// The cut is rounded up to a page; Cut == End means nothing to trim.
func bssCut(start, end uint64, syms []elf.Symbol) BSSTrim {
	sort.Slice(syms, func(i, j int) bool { return syms[i].Value > syms[j].Value })
	cut, first := end, ""
	for _, s := range syms {
		if s.Value >= cut || s.Size == 0 && s.Value+64 >= cut {
			continue // a marker symbol or one inside the tail
		}
		if s.Value+s.Size+64 < cut || s.Size < LargeBSS || isKernelSymbol(s.Name) {
			break // a gap we cannot account for, or an object to keep
		}
		cut, first = s.Value, s.Name
	}
	cut = max((cut+pageSize-1)&^(pageSize-1), start)
	if cut >= end {
		return BSSTrim{Cut: end, End: end}
	}
	return BSSTrim{Cut: cut, End: end, First: first}
}

func isKernelSymbol(name string) bool {
	for _, p := range kernelPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// progHeaderTable returns the file offset and entry size of the program
// header table (0 when the header is unreadable).
func progHeaderTable(path string) (off, entsize uint64) {
	r, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer r.Close()
	var h [64]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return 0, 0
	}
	le := binary.LittleEndian
	return le.Uint64(h[0x20:]), uint64(le.Uint16(h[0x36:]))
}
