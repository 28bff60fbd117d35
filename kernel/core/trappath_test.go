package core

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTrapPathAllocationFree enforces the trap-context rules of ADR 0001 on
// the machine code: it links a guest, disassembles it, follows every direct
// call from the kernel's functions (into the standard library and the runtime
// too) and fails if one reaches heap allocation or a write barrier. Calls to
// runtime.morestack* (stack-check prologues; they fault loudly on the kernel
// g) and to the runtime's panic paths (bounds checks) end the walk.
func TestTrapPathAllocationFree(t *testing.T) {
	if testing.Short() {
		t.Skip("links a guest image")
	}
	kernelDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// Every kernel unigo build links: the plain one, the one with
	// networking (the unigo_net tag, linked with the network stack, whose
	// goroutine code in package kernel/net is not trap context and is no
	// root here), and the one without a file system (unigo_nofs, ADR 0010).
	for _, v := range []struct{ name, tags, imports string }{
		{"plain", "", `import _ "unigo.dev/unigo/kernel/core"`},
		{"net", "unigo_net", "import (\n\t_ \"unigo.dev/unigo/kernel/core\"\n\t_ \"unigo.dev/unigo/kernel/net\"\n)"},
		{"nofs", "unigo_nofs", `import _ "unigo.dev/unigo/kernel/core"`},
	} {
		t.Run(v.name, func(t *testing.T) { checkTrapPath(t, kernelDir, v.tags, v.imports) })
	}
}

func checkTrapPath(t *testing.T, kernelDir, tags, imports string) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := os.ReadFile(filepath.Join(kernelDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))
	write("go.mod", "module trapcheck\n\ngo 1.26\n\nrequire unigo.dev/unigo/kernel v0.0.0-00010101000000-000000000000\n\nreplace unigo.dev/unigo/kernel => "+kernelDir+"\n")
	write("main.go", "package main\n\n"+imports+"\n\nfunc main() { println(\"hi\") }\n")
	// Link the optional components too (as unigo build does for a program
	// that opens files), so that their code is checked; the kernel without
	// a file system has none.
	replace := map[string]string{}
	if tags != "unigo_nofs" {
		write("components.go.txt", optionalComponents(t, kernelDir))
		replace[filepath.Join(kernelDir, "core", "components.go")] = filepath.Join(dir, "components.go.txt")
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": replace})
	write("overlay.json", string(overlay))
	img := filepath.Join(dir, "img")
	build := exec.Command("go", "build", "-o", img, "-tags="+tags, "-overlay="+filepath.Join(dir, "overlay.json"), "-ldflags=-E=unigo.dev/unigo/kernel/arch/amd64.entry64", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "objdump", img).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}

	calls := map[string][]string{}
	var fn string
	// Symbol names may contain spaces ("interface {}" in generic shapes).
	textRe := regexp.MustCompile(`^TEXT (.+?)\(SB\)`)
	callRe := regexp.MustCompile(`\t(?:CALL|JMP) (.+?)\(SB\)`)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := textRe.FindStringSubmatch(line); m != nil {
			fn = strings.TrimSuffix(m[1], ".abi0")
			continue
		}
		if m := callRe.FindStringSubmatch(line); m != nil && fn != "" {
			calls[fn] = append(calls[fn], strings.TrimSuffix(m[1], ".abi0"))
		}
	}

	const prefix = "unigo.dev/unigo/kernel/"
	// Host-only functions, and boot-only ones: they run before the Go
	// runtime starts, when write barriers are off, and set the pointer-typed
	// globals (hooks, the page-table allocator) once. Nothing after boot
	// may call them.
	hostOnly := map[string]bool{
		prefix + "core.SyscallTable":                       true,
		prefix + "core.kernelMain":                         true,
		prefix + "core.initMemory":                         true,
		prefix + "core.parseCmdline":                       true,
		prefix + "random.Init":                             true,
		prefix + "core.initPower":                          true,
		prefix + "core.initVirtio":                         true,
		prefix + "core.initBlk":                            true,
		prefix + "core.registerDisk":                       true,
		prefix + "core.offerVirtio":                        true,
		prefix + "core.offerVirtioMMIO":                    true,
		prefix + "core.offerVirtioPCI":                     true,
		prefix + "fs/p9.probe":                             true,
		prefix + "core.onShutdown":                         true,
		prefix + "core.reenterLinuxBoot":                   true,
		prefix + "arch/amd64.ReenterLinux64":               true,
		prefix + "core.initFS":                             true,
		prefix + "core.initProc":                           true,
		prefix + "core.initMounts":                         true,
		prefix + "core.bootFailure":                        true,
		prefix + "core.initNetDevice":                      true,
		prefix + "core.startNet":                           true,
		prefix + "core.ktStart":                            true,
		prefix + "net/ktcp.Init":                           true,
		prefix + "core.netParam":                           true,
		prefix + "drivers/virtio/net.(*Device).Init":       true,
		prefix + "drivers/virtio/net.(*Device).setupQueue": true,
		// Boot entry points.
		prefix + "arch/amd64.entry64":    true,
		prefix + "arch/amd64.pvh64":      true,
		prefix + "arch/amd64.pvhEntry32": true,
		prefix + "arch/amd64.start64":    true,
		"unigo_kernel_main":              true,
	}
	forbidden := regexp.MustCompile(`^runtime\.(mallocgc|newobject|growslice|makeslice|makeslicecopy|makemap|makemap_small|mapassign.*|gcWriteBarrier.*|wbZero|wbMove|convT.*|concatstring.*|slicebytetostring|rawstring.*|newproc|deferproc.*|newarray)$`)
	leaf := regexp.MustCompile(`^runtime\.(morestack.*|panic.*|gopanic|throw|fatal.*|goPanic.*|sigpanic)$`)

	type item struct{ fn, via string }
	var queue []item
	seen := map[string]string{}
	for f := range calls {
		goroutine := strings.HasPrefix(f, prefix+"net.") // the network stack's goroutines
		if strings.HasPrefix(f, prefix) && !hostOnly[f] && !goroutine && !strings.Contains(f, "_test") {
			queue = append(queue, item{f, ""})
			seen[f] = ""
		}
	}
	if len(queue) < 50 {
		t.Fatalf("found only %d kernel functions in the image: objdump format changed?", len(queue))
	}
	var bad []string
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, c := range calls[it.fn] {
			if forbidden.MatchString(c) {
				bad = append(bad, c+" reached via "+it.fn+chain(seen, it.fn))
				continue
			}
			if leaf.MatchString(c) {
				continue
			}
			if hostOnly[c] {
				bad = append(bad, "boot-only "+c+" called after boot via "+it.fn+chain(seen, it.fn))
				continue
			}
			if _, ok := seen[c]; !ok {
				seen[c] = it.fn
				queue = append(queue, item{c, it.fn})
			}
		}
	}
	for _, b := range bad {
		t.Errorf("trap path allocates or uses a write barrier: %s", b)
	}
}

// chain prints how fn was reached from a kernel root.
func chain(seen map[string]string, fn string) string {
	var s strings.Builder
	for i := 0; i < 8; i++ {
		from := seen[fn]
		if from == "" {
			break
		}
		s.WriteString(" <- " + from)
		fn = from
	}
	return s.String()
}

// optionalComponents generates a components.go listing every file-system
// driver (a package under fs/ exporting FS) and virtio driver (exporting
// Driver) in the kernel source.
func optionalComponents(t *testing.T, kernelDir string) string {
	t.Helper()
	var imports, fss, drivers []string
	dirs, _ := filepath.Glob(filepath.Join(kernelDir, "fs", "*"))
	for k, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*.go"))
		var fs, drv bool
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fs = fs || bytes.Contains(b, []byte("\nvar FS = "))
			drv = drv || bytes.Contains(b, []byte("\nvar Driver = "))
		}
		if !fs && !drv {
			continue
		}
		rel, _ := filepath.Rel(kernelDir, d)
		imports = append(imports, fmt.Sprintf("\tc%d \"unigo.dev/unigo/kernel/%s\"\n", k, filepath.ToSlash(rel)))
		if fs {
			fss = append(fss, fmt.Sprintf("&c%d.FS", k))
		}
		if drv {
			drivers = append(drivers, fmt.Sprintf("&c%d.Driver", k))
		}
	}
	if len(fss) == 0 {
		t.Fatal("no file-system driver found under kernel/fs")
	}
	return "package core\n\nimport (\n\t\"unigo.dev/unigo/kernel/drivers/virtio\"\n\t\"unigo.dev/unigo/kernel/vfs\"\n" +
		strings.Join(imports, "") + ")\n\nvar fileSystems = [...]*vfs.FileSystem{" + strings.Join(fss, ", ") +
		"}\n\nvar virtioDrivers = [...]*virtio.Driver{" + strings.Join(drivers, ", ") + "}\n"
}
