package pvh

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// hello builds (once) a tiny stock Go program for linux/amd64 and returns a
// fresh copy of it in a test temp dir.
func hello(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pvhtest")
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
		}
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

func symbol(t *testing.T, path, name string) uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("no symbol %s", name)
	return 0
}

func TestPatchAndCheck(t *testing.T) {
	p := hello(t)
	before, _ := os.ReadFile(p)
	if _, err := Check(p); !errors.Is(err, ErrNotUnigo) {
		t.Fatalf("Check(unpatched) error = %v; want ErrNotUnigo", err)
	}
	want := symbol(t, p, "main.main")
	got, err := Patch(p, "main.main")
	if err != nil {
		t.Fatalf("Patch: %v", err)
	}
	if uint64(got) != want {
		t.Errorf("Patch = %#x; want main.main at %#x", got, want)
	}
	entry, err := Check(p)
	if err != nil || uint64(entry) != want {
		t.Fatalf("Check = %#x, %v; want %#x, nil", entry, err, want)
	}

	after, _ := os.ReadFile(p)
	if len(after) != len(before) {
		t.Fatalf("patched size = %d; want %d", len(after), len(before))
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(buildIDSection)
	for i := range after {
		if after[i] != before[i] && (uint64(i) < sec.Offset || uint64(i) >= sec.Offset+sec.Size) {
			t.Fatalf("byte %#x outside the note changed", i)
		}
	}
	if sec.Offset+sec.Size > 4096 {
		t.Errorf("note at %#x+%#x is not in the first page", sec.Offset, sec.Size)
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	notes := parseNotes(data, 4)
	if len(notes) != 2 {
		t.Fatalf("got %d notes in %s; want 2", len(notes), buildIDSection)
	}
	if n := notes[0]; n.typ != 18 || string(n.name) != "Xen\x00" || len(n.desc) != 8 || binary.LittleEndian.Uint64(n.desc) != want {
		t.Errorf("note 1 = %+v; want Xen type 18 desc %#x", n, want)
	}
	if n := notes[1]; n.typ != TypeFiller || string(n.name) != "unigo\x00" || !bytes.Equal(n.desc, make([]byte, len(n.desc))) {
		t.Errorf("note 2 = %+v; want filler", n)
	}

	// The ELF entry point is untouched, so the program still runs on Linux.
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		out, err := exec.Command(p).CombinedOutput()
		if err != nil || string(out) != "hi\n" {
			t.Errorf("patched program: %q, %v; want \"hi\\n\"", out, err)
		}
	}
	// readelf, when present, must parse the notes.
	if readelf, err := exec.LookPath("readelf"); err == nil {
		out, err := exec.Command(readelf, "-n", p).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("Xen")) || !bytes.Contains(out, []byte("unigo")) {
			t.Errorf("readelf -n: %v\n%s", err, out)
		}
	}
}

func TestPatchMissingSymbol(t *testing.T) {
	p := hello(t)
	before, _ := os.ReadFile(p)
	_, err := Patch(p)
	if !errors.Is(err, ErrNotUnigo) {
		t.Fatalf("Patch without kernel symbol error = %v; want ErrNotUnigo", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Error("failed Patch modified the file")
	}
}

func TestCheckNotELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(p, []byte("package main\n"), 0o644)
	if _, err := Check(p); !errors.Is(err, ErrNotUnigo) {
		t.Errorf("Check(text file) error = %v; want ErrNotUnigo", err)
	}
	if _, err := Check(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrNotUnigo) {
		t.Errorf("Check(missing) error = %v; want ErrNotUnigo", err)
	}
}

func TestBuildNotesSizes(t *testing.T) {
	for _, size := range []uint64{24, 44, 100, 200} {
		b, err := buildNotes(size, 0x401000)
		if err != nil || uint64(len(b)) != size {
			t.Errorf("buildNotes(%d) = %d bytes, %v", size, len(b), err)
			continue
		}
		if n := parseNotes(b, 4); len(n) == 0 || n[0].typ != 18 {
			t.Errorf("buildNotes(%d): notes %+v", size, n)
		}
	}
	for _, size := range []uint64{0, 20, 28, 40, 101} {
		if _, err := buildNotes(size, 0); err == nil {
			t.Errorf("buildNotes(%d) succeeded; want error", size)
		}
	}
}
