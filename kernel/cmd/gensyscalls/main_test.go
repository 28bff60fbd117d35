package main

import (
	"os"
	"testing"
)

// TestSyscallsDocCurrent fails when docs/syscalls.md is out of date.
func TestSyscallsDocCurrent(t *testing.T) {
	const path = "../../../docs/syscalls.md"
	got, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%s: %v (outside the repository checkout)", path, err)
	}
	if string(got) != markdown() {
		t.Errorf("%s is stale: run `cd kernel && go run ./cmd/gensyscalls > ../docs/syscalls.md`", path)
	}
}
