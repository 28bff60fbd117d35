package core

import (
	"bytes"
	"debug/elf"
	"testing"
)

// TestVDSOImage parses the vDSO image with debug/elf as the Go runtime's
// loader would see it: __vdso_clock_gettime, a global function of version
// LINUX_2.6, whose value plus the load address is the function.
func TestVDSOImage(t *testing.T) {
	tests := []struct {
		name     string
		base, fn uintptr
	}{
		{"function above the image", 0x10000, 0x10400},
		{"function below the image (the value wraps)", 0x2000000, 0x401000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, vdsoSize)
			buildVDSO(b, tc.base, tc.fn)
			f, err := elf.NewFile(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("elf.NewFile = %v", err)
			}
			if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
				t.Errorf("header = %v %v %v; want ET_DYN EM_X86_64 ELFCLASS64", f.Type, f.Machine, f.Class)
			}
			var load, dyn *elf.Prog
			for _, p := range f.Progs {
				switch p.Type {
				case elf.PT_LOAD:
					load = p
				case elf.PT_DYNAMIC:
					dyn = p
				}
			}
			if load == nil || dyn == nil {
				t.Fatalf("program headers %v; want PT_LOAD and PT_DYNAMIC", f.Progs)
			}
			if load.Off != 0 || load.Vaddr != 0 || load.Memsz != uint64(vdsoSize) {
				t.Errorf("PT_LOAD off %d vaddr %d memsz %d; want 0 0 %d", load.Off, load.Vaddr, load.Memsz, vdsoSize)
			}
			// debug/elf finds the dynamic symbols through section
			// headers, which a vDSO need not have: walk the dynamic
			// table as the runtime does.
			le := func(off uint64, n int) uint64 {
				var v uint64
				for k := n - 1; k >= 0; k-- {
					v = v<<8 | uint64(b[off+uint64(k)])
				}
				return v
			}
			tags := map[uint64]uint64{}
			for off := dyn.Off; ; off += 16 {
				tag := le(off, 8)
				if tag == 0 {
					break
				}
				tags[tag] = le(off+8, 8)
			}
			for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_STRTAB, elf.DT_SYMTAB, elf.DT_VERDEF} {
				if _, ok := tags[uint64(tag)]; !ok {
					t.Errorf("dynamic table lacks %v", tag)
				}
			}
			str := func(off uint64) string {
				s := b[tags[uint64(elf.DT_STRTAB)]+off:]
				return string(s[:bytes.IndexByte(s, 0)])
			}
			hash := tags[uint64(elf.DT_HASH)]
			nbucket := le(hash, 4)
			if nbucket != 1 {
				t.Fatalf("nbucket = %d; want 1", nbucket)
			}
			sym := le(hash+8, 4)
			symOff := tags[uint64(elf.DT_SYMTAB)] + 24*sym
			if name := str(le(symOff, 4)); name != "__vdso_clock_gettime" {
				t.Errorf("bucket 0's symbol = %q; want __vdso_clock_gettime", name)
			}
			info := b[symOff+4]
			if elf.ST_BIND(info) != elf.STB_GLOBAL || elf.ST_TYPE(info) != elf.STT_FUNC || le(symOff+6, 2) == 0 {
				t.Errorf("symbol info %#x shndx %d; want a defined global function", info, le(symOff+6, 2))
			}
			if got := uint64(tc.base) + le(symOff+8, 8); uintptr(got) != tc.fn {
				t.Errorf("load address + st_value = %#x; want %#x", got, tc.fn)
			}
			vd := tags[uint64(elf.DT_VERDEF)]
			if ndx, h := le(vd+4, 2), le(vd+8, 4); ndx != 2 || h != vdsoHashLinux26 {
				t.Errorf("verdef index %d hash %#x; want 2 %#x", ndx, h, vdsoHashLinux26)
			}
			if name := str(le(vd+le(vd+12, 4), 4)); name != "LINUX_2.6" {
				t.Errorf("version name = %q; want LINUX_2.6", name)
			}
		})
	}
}

// TestVDSOHash checks the version hash against the ELF hash function.
func TestVDSOHash(t *testing.T) {
	var h uint32
	for _, c := range []byte("LINUX_2.6") {
		h = h<<4 + uint32(c)
		g := h & 0xf0000000
		if g != 0 {
			h ^= g >> 24
		}
		h &^= g
	}
	if h != vdsoHashLinux26 {
		t.Errorf("ELF hash of LINUX_2.6 = %#x; want %#x", h, vdsoHashLinux26)
	}
}
