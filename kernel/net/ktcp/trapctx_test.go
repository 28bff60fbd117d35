package ktcp

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestTrapContextClean compiles the package and fails when code other
// than New (hosted set-up) and Init (boot time, before the runtime: write
// barriers are off) calls an allocation entry point or a write barrier:
// ADR 0001's trap-context rules, checked before the package is linked
// into the kernel (kernel/core's TestTrapPathAllocationFree will cover it
// then).
func TestTrapContextClean(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	out, err := exec.Command(goTool, "build", "-gcflags=-S", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	// kernel/core's TestTrapPathAllocationFree's list, and typedmemmove
	// (pointer copies) and gopanic (explicit panics).
	bad := []string{"runtime.mallocgc", "runtime.newobject", "runtime.growslice", "runtime.makeslice",
		"runtime.gcWriteBarrier", "runtime.wbZero", "runtime.wbMove", "runtime.typedmemmove", "runtime.convT",
		"runtime.mapassign", "runtime.makemap", "runtime.concatstring", "runtime.slicebytetostring",
		"runtime.rawstring", "runtime.newproc", "runtime.newarray", "runtime.gopanic", "runtime.deferproc"}
	fn, nfn := "", 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, " STEXT"); i > 0 && !strings.HasPrefix(line, "\t") {
			fn = line[:i]
			nfn++
			continue
		}
		if !strings.Contains(line, "\tCALL\t") || strings.HasSuffix(fn, "ktcp.New") || strings.HasSuffix(fn, "ktcp.Init") {
			continue
		}
		for _, b := range bad {
			if strings.Contains(line, b) {
				t.Errorf("%s calls %s:\n%s", fn, b, line)
			}
		}
	}
	if nfn < 20 {
		t.Fatalf("found %d functions in the compiler's listing; the check saw nothing", nfn)
	}
}
