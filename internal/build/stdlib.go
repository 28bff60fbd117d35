package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// VendorEntrySymbol is the kernel entry in a standard-library test binary,
// where the kernel is compiled as GOROOT/src/vendor/unigo.dev/unigo/kernel.
const VendorEntrySymbol = "vendor/" + EntrySymbol

// prepareStd sets up the test binary of a standard-library package.
//
// A std package may import a non-std path only through GOROOT/src/vendor,
// and cmd/go checks that such a vendor directory exists on disk (os.Stat,
// not the overlay), so -overlay alone cannot add the kernel. Instead we
// build a shadow GOROOT in the temporary directory: symlinks to every entry
// of the real GOROOT except src/vendor, which is rebuilt with symlinks to the
// real vendored packages plus the kernel's packages (and the kernel's
// non-std dependencies). The build cache is shared with the real GOROOT
// because cmd/go leaves GOROOT's location out of std packages' cache keys.
func (b *builder) prepareStd(ctx context.Context) error {
	if !b.o.Test {
		return errorf("unigo: %s is a standard-library package, not a command: use unigo test %s", b.o.Target, b.o.Target)
	}
	if b.o.Target == "cmd" || strings.HasPrefix(b.o.Target, "cmd/") {
		return errorf("unigo: %s: testing cmd/ packages is not supported: pick a standard-library package", b.o.Target)
	}
	b.workDir = b.tmp // outside any module
	goroot, err := b.goOutput(ctx, "env", "GOROOT")
	if err != nil {
		return err
	}
	goroot = strings.TrimSpace(goroot)
	// Whether the test needs the network stack, decided against the real
	// GOROOT (the shadow one depends on the answer).
	b.args = []string{b.o.Target}
	b.pkg.Deps = nil
	if b.net, err = b.usesNet(ctx); err != nil {
		return err
	}

	// The kernel's packages and non-std dependencies, as the kernel module
	// sees them: core and the optional components (file-system and virtio
	// drivers), which the generated components.go imports.
	cs, err := availableComponents(b.o.KernelDir)
	if err != nil {
		return err
	}
	args := []string{"list", "-deps", "-e", "-f", "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}{{end}}"}
	if b.net {
		args = append(args, "-tags="+NetTag, corePackage, netPackage)
	} else {
		args = append(args, corePackage)
	}
	for _, c := range cs {
		args = append(args, kernelModule+"/"+c.dir)
	}
	kb := &builder{o: b.o, workDir: b.o.KernelDir, env: append(b.env, "GOFLAGS=-mod=mod")}
	deps, err := kb.goOutput(ctx, args...)
	if err != nil {
		return err
	}
	shadow := filepath.Join(b.tmp, "goroot")
	if err := shadowGOROOT(goroot, shadow, deps); err != nil {
		return fmt.Errorf("unigo: building a shadow GOROOT for %s: %w", b.o.Target, err)
	}
	b.env = append(b.env, "GOROOT="+shadow)
	// cmd/go reads core from the shadow vendor tree: the components
	// overlay replaces the file there.
	b.componentsPath = filepath.Join(shadow, "src", "vendor", filepath.FromSlash(corePackage), "components.go")
	b.args = []string{b.o.Target}
	if err := b.list(ctx); err != nil {
		return err
	}
	if !b.pkg.Standard {
		return errorf("unigo: %s is not a standard-library package", b.o.Target)
	}
	b.entry = VendorEntrySymbol
	b.stdDir = filepath.Join(goroot, "src", filepath.FromSlash(b.pkg.ImportPath))
	return b.addKernelFile(filepath.Join(shadow, "src", filepath.FromSlash(b.pkg.ImportPath)))
}

// shadowGOROOT creates dst mirroring goroot through symlinks, with each
// package of deps ("importpath\tdir" lines) added under src/vendor.
func shadowGOROOT(goroot, dst string, deps string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := linkChildren(goroot, dst); err != nil {
		return err
	}
	for line := range strings.SplitSeq(strings.TrimSpace(deps), "\n") {
		path, dir, ok := strings.Cut(line, "\t")
		if !ok || dir == "" {
			return fmt.Errorf("kernel package %q: not found (go list said %q)", path, line)
		}
		rel := filepath.Join("src", "vendor", filepath.FromSlash(path))
		if err := realDir(dst, rel); err != nil {
			return err
		}
		pkgDir := filepath.Join(dst, rel)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			link := filepath.Join(pkgDir, e.Name())
			if _, err := os.Lstat(link); err == nil {
				return fmt.Errorf("%s: the Go distribution already vendors %s", link, path)
			}
			src := filepath.Join(dir, e.Name())
			if strings.HasSuffix(e.Name(), ".go") {
				data, err := os.ReadFile(src)
				if err != nil {
					return err
				}
				if fixed, changed := neutralizePragmas(data); changed {
					if err := os.WriteFile(link, fixed, 0o644); err != nil {
						return err
					}
					continue
				}
			}
			if err := os.Symlink(src, link); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkChildren symlinks every entry of src into the directory dst.
func linkChildren(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// realDir makes every element of root/rel a real directory, replacing a
// symlinked directory by a real one holding symlinks to its children.
func realDir(root, rel string) error {
	p := root
	for _, elem := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, elem)
		st, err := os.Lstat(p)
		switch {
		case os.IsNotExist(err):
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case st.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Remove(p); err != nil {
				return err
			}
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			if err := linkChildren(target, p); err != nil {
				return err
			}
		case !st.IsDir():
			return fmt.Errorf("%s is not a directory", p)
		}
	}
	return nil
}

// compilerDirectives are the //go: comments cmd/compile knows. In the
// standard library (where the kernel's dependencies are compiled for std
// test binaries) it rejects any other, such as gVisor's //go:inline, an
// annotation for gVisor's own checkers.
var compilerDirectives = map[string]bool{
	"build": true, "linkname": true, "noescape": true, "norace": true, "nosplit": true,
	"noinline": true, "nocheckptr": true, "nointerface": true, "uintptrescapes": true,
	"uintptrkeepalive": true, "registerparams": true, "notinheap": true, "embed": true,
	"generate": true, "fix": true, "systemstack": true, "nowritebarrier": true,
	"nowritebarrierrec": true, "yeswritebarrierrec": true, "cgo_unsafe_args": true,
	"wasmimport": true, "wasmexport": true,
}

// neutralizePragmas turns //go: comments the compiler does not know into
// plain comments ("// go:inline"); changed is false when there are none.
func neutralizePragmas(src []byte) (out []byte, changed bool) {
	lines := strings.SplitAfter(string(src), "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if !strings.HasPrefix(t, "//go:") {
			continue
		}
		verb := strings.TrimPrefix(t, "//go:")
		if j := strings.IndexAny(verb, " \t\r\n"); j >= 0 {
			verb = verb[:j]
		}
		if compilerDirectives[verb] || strings.HasPrefix(verb, "cgo_") {
			continue
		}
		lines[i] = l[:len(l)-len(t)] + "// go:" + strings.TrimPrefix(t, "//go:")
		changed = true
	}
	if !changed {
		return src, false
	}
	return []byte(strings.Join(lines, "")), true
}
