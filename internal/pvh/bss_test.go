package pvh

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildModule builds the module mod made of files (name → source) and
// returns the binary's path.
func buildModule(t *testing.T, mod string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module " + mod + "\n\ngo 1.22\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", mod, err, b)
	}
	return out
}

// dataSegment returns the writable PT_LOAD segment, the .noptrbss section
// and the symbols in it.
func dataSegment(t *testing.T, path string) (elf.ProgHeader, elf.SectionHeader, []elf.Symbol) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".noptrbss")
	if sec == nil {
		t.Fatalf("%s: no .noptrbss", path)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var in []elf.Symbol
	for _, s := range syms {
		if int(s.Section) < len(f.Sections) && f.Sections[s.Section] == sec {
			in = append(in, s)
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 {
			return p.ProgHeader, sec.SectionHeader, in
		}
	}
	t.Fatalf("%s: no writable PT_LOAD", path)
	return elf.ProgHeader{}, elf.SectionHeader{}, nil
}

// A program with a 4 MiB zero array in package k (.noptrbss) and a small one
// in main.
var bigProgram = map[string]string{
	"main.go": `package main

import "x/k"

var small [1000]byte

func main() { small[1] = 2; k.Big[len(k.Big)-1] = 1; println(len(k.Big), small[1]) }
`,
	"k/k.go": "package k\n\nvar Big [4 << 20]byte\n",
}

func TestTrimBSS(t *testing.T) {
	tests := []struct {
		name, mod string
		trim      string // a symbol that must become demand-zero
		keep      string // a symbol that must stay loaded
	}{
		{"large program object", "example.com", "example.com/k.Big", "main.small"},
		{"large kernel object stays loaded", "unigo.dev/unigo/kernel/faketest", "", "unigo.dev/unigo/kernel/faketest/k.Big"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for name, src := range bigProgram {
				files[name] = strings.ReplaceAll(src, "x/k", tc.mod+"/k")
			}
			p := buildModule(t, tc.mod, files)
			before, sec, syms := dataSegment(t, p)
			tr, err := TrimBSS(p)
			if err != nil {
				t.Fatalf("TrimBSS: %v", err)
			}
			after, _, _ := dataSegment(t, p)
			end := sec.Addr + sec.Size
			if tr.End != end || tr.Cut%pageSize != 0 && tr.Cut != end || tr.Cut < sec.Addr {
				t.Fatalf("TrimBSS = [%#x, %#x); want a page-aligned cut in .noptrbss [%#x, %#x)", tr.Cut, tr.End, sec.Addr, end)
			}
			if after.Vaddr+after.Memsz != tr.Cut || after.Filesz != before.Filesz || after.Vaddr != before.Vaddr {
				t.Errorf("segment after trimming: vaddr %#x filesz %#x memsz %#x; want it to end at the cut %#x", after.Vaddr, after.Filesz, after.Memsz, tr.Cut)
			}
			for _, s := range syms {
				switch {
				case s.Name == tc.trim && s.Value < tr.Cut:
					t.Errorf("%s at %#x is below the cut %#x; want it demand-zero", s.Name, s.Value, tr.Cut)
				case s.Name == tc.keep && s.Value+s.Size > tr.Cut:
					t.Errorf("%s at %#x+%#x is above the cut %#x; want it loaded", s.Name, s.Value, s.Size, tr.Cut)
				case s.Value >= tr.Cut && s.Value < end && (s.Size < LargeBSS || isKernelSymbol(s.Name)):
					t.Errorf("%s (%d bytes) at %#x is demand-zero; want only large program objects there", s.Name, s.Size, s.Value)
				}
			}
			// A second run finds the image trimmed and changes nothing.
			again, err := TrimBSS(p)
			if err != nil || again.Cut != tr.Cut || again.End != tr.End {
				t.Errorf("TrimBSS again = %+v, %v; want [%#x, %#x)", again, err, tr.Cut, tr.End)
			}
			if got, _, _ := dataSegment(t, p); got != after {
				t.Errorf("second TrimBSS changed the segment: %+v → %+v", after, got)
			}
		})
	}
}

func TestTrimBSSNotELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	os.WriteFile(p, []byte("not an ELF file"), 0o644)
	if _, err := TrimBSS(p); !errors.Is(err, ErrNotUnigo) {
		t.Errorf("TrimBSS(text file) = %v; want ErrNotUnigo", err)
	}
}

func TestBSSCut(t *testing.T) {
	const start, end = 0x10000, 0x10000 + 3<<20
	sym := func(name string, at, size uint64) elf.Symbol { return elf.Symbol{Name: name, Value: at, Size: size} }
	tests := []struct {
		name string
		syms []elf.Symbol
		cut  uint64
	}{
		{"one large object at the end", []elf.Symbol{
			sym("a.small", start, 0x100), sym("a.big", end-2<<20, 2<<20), sym("runtime.end", end, 0)}, end - 2<<20},
		{"two large objects, padding between", []elf.Symbol{
			sym("a.small", start, 0x100), sym("a.big1", end-2<<20-LargeBSS-32, LargeBSS), sym("a.big2", end-2<<20, 2<<20)},
			(end - 2<<20 - LargeBSS - 32 + pageSize - 1) &^ (pageSize - 1)},
		{"small object last", []elf.Symbol{sym("a.big", start, 2<<20), sym("a.small", end-0x100, 0x100)}, end},
		{"kernel object last", []elf.Symbol{sym("a.big", start, 1<<20), sym("unigo.dev/unigo/kernel/core.socks", start+1<<20, 2<<20)}, end},
		{"vendored kernel object last", []elf.Symbol{sym("vendor/unigo.dev/unigo/kernel/core.socks", end-2<<20, 2<<20)}, end},
		{"kernel object below the large one", []elf.Symbol{
			sym("unigo.dev/unigo/kernel/core.socks", start, 1<<20), sym("a.big", start+1<<20, 2<<20)}, start + 1<<20},
		{"unaccounted gap at the end", []elf.Symbol{sym("a.big", start, 2<<20)}, end},
		{"no symbols", nil, end},
		{"unaligned start rounds up", []elf.Symbol{sym("a.big", end-2<<20-0x40, 2<<20+0x40)}, end - 2<<20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := bssCut(start, end, append([]elf.Symbol(nil), tc.syms...))
			if got.Cut != tc.cut || got.End != end {
				t.Errorf("bssCut = [%#x, %#x); want [%#x, %#x)", got.Cut, got.End, tc.cut, uint64(end))
			}
		})
	}
}
