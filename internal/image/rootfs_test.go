package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"unigo.dev/unigo/internal/pvh"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// hello builds (once) a stock Go program for linux/amd64, with the PVH
// note patched in (entry main.main), and returns a fresh copy.
func hello(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imagetest")
		if err != nil {
			buildErr = err
			return
		}
		src := filepath.Join(dir, "main.go")
		os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644)
		builtPath = filepath.Join(dir, "hello")
		cmd := exec.Command("go", "build", "-o", builtPath, src)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
			return
		}
		_, buildErr = pvh.Patch(builtPath, "main.main")
	})
	if buildErr != nil {
		t.Fatalf("building test program: %v", buildErr)
	}
	data, err := os.ReadFile(builtPath)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

type sectionData struct {
	name string
	addr uint64
	data []byte
}

func sections(t *testing.T, f *elf.File) []sectionData {
	t.Helper()
	var out []sectionData
	for _, s := range f.Sections {
		d := sectionData{name: s.Name, addr: s.Addr}
		if s.Type != elf.SHT_NOBITS {
			var err error
			if d.data, err = s.Data(); err != nil {
				t.Fatalf("section %s: %v", s.Name, err)
			}
		}
		out = append(out, d)
	}
	return out
}

func TestAddRootfs(t *testing.T) {
	p := hello(t)
	entry, err := pvh.Check(p)
	if err != nil {
		t.Fatal(err)
	}
	memBefore, _ := pvh.MinMemoryMiB(p)
	before, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	secsBefore := sections(t, before)
	var loadEnd uint64
	for _, pr := range before.Progs {
		if pr.Type == elf.PT_LOAD {
			loadEnd = max(loadEnd, pr.Paddr+pr.Memsz)
		}
	}
	stBefore, _ := os.Stat(p)

	archive := bytes.Repeat([]byte("0707"), 3<<20/4+1) // 3 MiB + 4 bytes
	seg, err := AddRootfs(p, bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("AddRootfs: %v", err)
	}
	wantSeg := Segment{Offset: alignUp(uint64(stBefore.Size()), 4096), Addr: alignUp(loadEnd, 4096), Size: uint64(len(archive))}
	if seg != wantSeg {
		t.Errorf("AddRootfs = %+v; want %+v", seg, wantSeg)
	}

	after, err := elf.Open(p)
	if err != nil {
		t.Fatalf("debug/elf cannot parse the patched image: %v", err)
	}
	defer after.Close()
	if len(after.Progs) != len(before.Progs)+1 {
		t.Fatalf("%d program headers; want %d", len(after.Progs), len(before.Progs)+1)
	}
	for i, pr := range before.Progs {
		want := pr.ProgHeader
		if want.Type == elf.PT_PHDR {
			want.Filesz = uint64(len(after.Progs)) * 56
			want.Memsz = want.Filesz
		}
		if got := after.Progs[i].ProgHeader; got != want {
			t.Errorf("program header %d = %+v; want %+v", i, got, want)
		}
	}
	last := after.Progs[len(after.Progs)-1]
	wantPh := elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R | FlagRootfs, Off: seg.Offset, Vaddr: seg.Addr, Paddr: seg.Addr,
		Filesz: seg.Size, Memsz: seg.Size, Align: 0x1000}
	if last.ProgHeader != wantPh {
		t.Errorf("rootfs header = %+v; want %+v", last.ProgHeader, wantPh)
	}
	if last.Off%last.Align != last.Vaddr%last.Align {
		t.Errorf("p_offset %#x and p_vaddr %#x differ modulo p_align", last.Off, last.Vaddr)
	}
	got := make([]byte, last.Filesz)
	if _, err := last.ReadAt(got, 0); err != nil || !bytes.Equal(got, archive) {
		t.Errorf("segment data differs from the archive (err %v)", err)
	}
	if b, err := ReadRootfs(p); err != nil || !bytes.Equal(b, archive) {
		t.Errorf("ReadRootfs differs from the archive (err %v)", err)
	}

	// Every section keeps its name, address and bytes (the section header
	// table moved out of the way).
	secsAfter := sections(t, after)
	if len(secsAfter) != len(secsBefore) {
		t.Fatalf("%d sections; want %d", len(secsAfter), len(secsBefore))
	}
	for i := range secsBefore {
		b, a := secsBefore[i], secsAfter[i]
		if a.name != b.name || a.addr != b.addr || !bytes.Equal(a.data, b.data) {
			t.Errorf("section %d is %s at %#x (%d bytes); want %s at %#x (%d bytes)", i, a.name, a.addr, len(a.data), b.name, b.addr, len(b.data))
		}
	}
	if e, err := pvh.Check(p); err != nil || e != entry {
		t.Errorf("pvh.Check after = %#x, %v; want %#x", e, err, entry)
	}
	memAfter, _ := pvh.MinMemoryMiB(p)
	if wantMem := int((seg.Addr+seg.Size+(1<<20)-1)>>20) + 1; memAfter != wantMem || memAfter < memBefore+3 {
		t.Errorf("MinMemoryMiB = %d (was %d); want %d", memAfter, memBefore, wantMem)
	}

	// At most one root file system.
	data, _ := os.ReadFile(p)
	if _, err := AddRootfs(p, strings.NewReader("x")); !errors.Is(err, ErrHasRootfs) {
		t.Errorf("second AddRootfs error = %v; want ErrHasRootfs", err)
	}
	if again, _ := os.ReadFile(p); !bytes.Equal(again, data) {
		t.Error("rejected AddRootfs changed the file")
	}

	if readelf, err := exec.LookPath("readelf"); err == nil {
		var stderr bytes.Buffer
		cmd := exec.Command(readelf, "-lSnW", p)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		wantLine := strings.Fields(fmt.Sprintf("LOAD 0x%06x 0x%016x 0x%016x 0x%06x 0x%06x R 0x1000", seg.Offset, seg.Addr, seg.Addr, seg.Size, seg.Size))
		if err != nil || stderr.Len() > 0 || !containsFields(string(out), wantLine) || !strings.Contains(string(out), "Xen") {
			t.Errorf("readelf -lSnW: %v, stderr %q; want a line %q and the Xen note\n%s", err, stderr.String(), strings.Join(wantLine, " "), out)
		}
	}
	// The ELF entry is untouched and Linux maps the extra segment too.
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		out, err := exec.Command(p).CombinedOutput()
		if err != nil || string(out) != "hi\n" {
			t.Errorf("patched program on Linux: %q, %v; want \"hi\\n\"", out, err)
		}
	}
}

// containsFields reports whether a line of out has exactly the fields want.
func containsFields(out string, want []string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(want, " ") {
			return true
		}
	}
	return false
}

// TestAddRootfsNoRoom: a program header table followed directly by a note
// section cannot grow; the file is left alone.
func TestAddRootfsNoRoom(t *testing.T) {
	p := hello(t)
	data, _ := os.ReadFile(p)
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	note := f.Section(".note.go.buildid")
	phnum := len(f.Progs)
	f.Close()
	// Move the table so that it ends where the note begins.
	le := binary.LittleEndian
	oldOff := le.Uint64(data[0x20:])
	newOff := note.Offset - uint64(phnum)*56
	copy(data[newOff:], append([]byte(nil), data[oldOff:oldOff+uint64(phnum)*56]...))
	le.PutUint64(data[0x20:], newOff)
	le.PutUint64(data[0x28:], 0) // no section headers in the way
	le.PutUint16(data[0x3c:], 0)
	os.WriteFile(p, data, 0o755)
	if _, err := AddRootfs(p, strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "no room for one more program header") {
		t.Errorf("AddRootfs error = %v; want no room", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(after, data) {
		t.Error("rejected AddRootfs changed the file")
	}
}

func TestAddRootfsNotELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	os.WriteFile(p, []byte("not an image"), 0o644)
	if _, err := AddRootfs(p, strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "not an ELF file") {
		t.Errorf("AddRootfs(text) error = %v", err)
	}
	if _, ok, err := Rootfs(p); ok || err == nil {
		t.Errorf("Rootfs(text) = %v, %v; want an error", ok, err)
	}
}
