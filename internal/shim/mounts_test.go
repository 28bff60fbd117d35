package shim

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"unigo.dev/unigo/internal/vmm/qemu"
)

func TestShares(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hosts")
	os.WriteFile(file, []byte("127.0.0.1 localhost\n"), 0o644)
	cfg := filepath.Join(dir, "config")
	os.Mkdir(cfg, 0o755)
	s := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev/shm", Type: "bind", Source: dir, Options: []string{"rbind"}},
		{Destination: "/etc/hosts", Type: "bind", Source: file, Options: []string{"rbind", "ro"}},
		{Destination: "/etc/config/", Type: "bind", Source: cfg, Options: []string{"rbind", "ro"}},
		{Destination: "/data", Source: dir, Options: []string{"rbind", "rw"}},
		{Destination: "/odd path", Type: "bind", Source: dir},
		{Destination: "/termination-log", Type: "bind", Source: file},
	}}
	sh, kargs, skipped, err := shares(s, filepath.Join(dir, "no-image"))
	if err != nil {
		t.Fatal(err)
	}
	wantSh := []qemu.Share{{Path: cfg, Tag: "share0", ReadOnly: true}, {Path: dir, Tag: "share1"}}
	wantArgs := []string{"unigo.mount=share0:/etc/config:9p:ro", "unigo.mount=share1:/data:9p"}
	wantSkipped := []string{`/odd path (' ' in the path)`, "/termination-log (not a directory)"}
	if !slices.Equal(sh, wantSh) || !slices.Equal(kargs, wantArgs) || !slices.Equal(skipped, wantSkipped) {
		t.Errorf("shares = %v, %q, %q; want %v, %q, %q", sh, kargs, skipped, wantSh, wantArgs, wantSkipped)
	}
	var many []specs.Mount
	for i := range maxShares + 1 {
		many = append(many, specs.Mount{Destination: "/d" + string(rune('a'+i)), Type: "bind", Source: dir})
	}
	if _, _, _, err := shares(&specs.Spec{Mounts: many}, ""); err == nil {
		t.Errorf("%d directory mounts: no error; want one", len(many))
	}
}
