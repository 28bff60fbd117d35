package kernelsrc

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
)

func TestExtract(t *testing.T) {
	fsys := fstest.MapFS{
		"go.mod":              {Data: []byte("module unigo.dev/unigo/kernel\n")},
		"core/core.go":        {Data: []byte("package core\n")},
		"arch/amd64/entry.s":  {Data: []byte("// asm\n")},
		"arch/amd64/entry.go": {Data: []byte("package amd64\n")},
	}
	cache := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 4)
	errs := make([]error, 4)
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = Extract(fsys, cache) })
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != dirs[0] {
			t.Fatalf("Extract #%d = %q, %v; want %q, nil", i, dirs[i], errs[i], dirs[0])
		}
	}
	for name, f := range fsys {
		got, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil || string(got) != string(f.Data) {
			t.Errorf("%s = %q, %v; want %q", name, got, err, f.Data)
		}
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries; want 1 (temp dirs left behind?)", len(entries))
	}
	// A change of content means a new directory.
	fsys["core/core.go"] = &fstest.MapFile{Data: []byte("package core // v2\n")}
	d2, err := Extract(fsys, cache)
	if err != nil || d2 == dirs[0] {
		t.Errorf("Extract(changed) = %q, %v; want a new dir", d2, err)
	}
}

func TestExtractNoGoMod(t *testing.T) {
	if _, err := Extract(fstest.MapFS{"a.go": {}}, t.TempDir()); err == nil {
		t.Error("Extract without go.mod succeeded")
	}
}

func TestDirFromEnv(t *testing.T) {
	d := t.TempDir()
	t.Setenv(EnvDir, d)
	if _, err := Dir(); err == nil {
		t.Errorf("Dir() with %s lacking go.mod succeeded", EnvDir)
	}
	os.WriteFile(filepath.Join(d, "go.mod"), []byte("module unigo.dev/unigo/kernel\n"), 0o644)
	if got, err := Dir(); err != nil || got != d {
		t.Errorf("Dir() = %q, %v; want %q", got, err, d)
	}
}
