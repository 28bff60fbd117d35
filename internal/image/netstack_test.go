package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestHasNetStack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	dir := t.TempDir()
	// A stand-in module with a package at the stack's import path.
	files := map[string]string{
		"go.mod":          "module unigo.dev/unigo/kernel\n\ngo 1.26\n",
		"net/net.go":      "package net\n\nvar Started bool\n\n//go:noinline\nfunc Start() { Started = true }\n",
		"netcall/nc.go":   "package netcall\n\nconst Sys = 1\n",
		"withnet/main.go": "package main\n\nimport \"unigo.dev/unigo/kernel/net\"\n\nfunc main() { net.Start() }\n",
		"nonet/main.go":   "package main\n\nimport \"unigo.dev/unigo/kernel/netcall\"\n\nfunc main() { println(netcall.Sys) }\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		pkg  string
		want bool
	}{{"withnet", true}, {"nonet", false}} {
		out := filepath.Join(dir, tc.pkg+".bin")
		cmd := exec.Command("go", "build", "-o", out, "./"+tc.pkg)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		if got, err := HasNetStack(out); err != nil || got != tc.want {
			t.Errorf("HasNetStack(%s) = %v, %v; want %v", tc.pkg, got, err, tc.want)
		}
	}
	if _, err := HasNetStack(filepath.Join(dir, "missing")); err == nil {
		t.Error("HasNetStack of a missing file: no error")
	}
}
