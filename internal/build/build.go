// Package build compiles a Go main package, or a package's test binary, into
// a unigo image: a stock linux/amd64 Go binary with the unigo kernel linked
// in and a PVH note patched in (package [unigo.dev/unigo/internal/pvh]).
//
// The user's files are never modified. The kernel import is added with
// `go build -overlay` (a generated file in the package directory that exists
// only in the overlay) and the kernel module is made available with
// `-modfile` (an edited copy of the user's go.mod in a temporary directory).
// Standard-library packages cannot import modules, so their test binaries are
// built against a shadow GOROOT whose src/vendor holds the kernel; see
// docs/adr/0002-building-guests.md.
//
// With [Options.Rootfs] or [Options.PackPackage], files go into the image
// too: package [unigo.dev/unigo/internal/rootfs] packs them into a cpio
// archive and package [unigo.dev/unigo/internal/image] appends it as an
// extra PT_LOAD segment, which the guest kernel unpacks as its root file
// system.
package build

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/image"
	"unigo.dev/unigo/internal/kernelsrc"
	"unigo.dev/unigo/internal/pvh"
	"unigo.dev/unigo/internal/rootfs"
)

const (
	kernelModule = kernelsrc.ModulePath
	corePackage  = kernelModule + "/core"
	// netPackage is the network stack, linked only into programs that
	// use the standard library's net package.
	netPackage = kernelModule + "/net"
	// NetTag is the build tag that compiles the kernel's own networking
	// code (socket system calls, the virtio-net driver) into
	// unigo.dev/unigo/kernel/core; it goes with netPackage.
	NetTag = "unigo_net"
	// NoFSTag is the build tag that compiles unigo.dev/unigo/kernel/core
	// without its file system (no VFS, ramfs, /dev, /proc, mounts or
	// disks), for programs that cannot name files (ADR 0010).
	NoFSTag = "unigo_nofs"
	// EntrySymbol is the kernel's ELF entry (passed to the linker with -E).
	EntrySymbol = kernelModule + "/arch/amd64.entry64"

	mainFile = "unigo_kernel.go"
	testFile = "zz_unigo_kernel_test.go"
)

// Options says what to build.
type Options struct {
	// Target is a package: an import path ("sort", "example.com/x/cmd"),
	// a directory ("./cmd/x", "/abs/dir"), or, when not Test, one or more
	// .go files of one directory separated by nothing else (a single path).
	Target string
	// Test builds the package's test binary instead of the program.
	Test bool
	// Output is the image path to write.
	Output string
	// Dir is the working directory; empty means the current one.
	Dir string
	// Tags is passed to the go command's -tags flag.
	Tags string
	// KernelDir is the kernel source directory; empty means [kernelsrc.Dir].
	KernelDir string
	// Go is the go command; empty means "go" from PATH.
	Go string
	// Stderr receives the go command's output (compiler errors) and
	// warnings about files left out of the root file system.
	Stderr io.Writer
	// Rootfs is a host directory packed into the image as the guest's root
	// file system ("" for none); relative to Dir. RootfsName names it in
	// messages (default "--rootfs " + Rootfs).
	Rootfs     string
	RootfsName string
	// KernelDWARF keeps the kernel's DWARF debugging information (for
	// source-level debugging of the kernel with gdb); it costs ~80 KiB.
	KernelDWARF bool
	// PackPackage also packs the package's source directory (with its
	// testdata) into the root file system, at its host path, as unigo test
	// does. .git directories and files over 64 MiB are left out.
	PackPackage bool
}

// MaxPackageFile is the largest file PackPackage puts in the image.
const MaxPackageFile = 64 << 20

// Result describes a built image.
type Result struct {
	Image      string // the image file
	ImportPath string // the package's import path
	Name       string // the package name
	Entry      uint32 // PVH entry point (physical address)
	// Dir is the package's source directory on the host ($GOROOT/src/<pkg>
	// for the standard library); with PackPackage it is also its path in
	// the guest.
	Dir string
	// Rootfs is the root file system segment (Size 0 when there is none).
	Rootfs image.Segment
	// Exe is where a test binary finds itself in the guest (with
	// PackPackage: a copy of the binary is packed there so that
	// os.Executable names a real file); "" otherwise.
	Exe string
	// Net reports whether the network stack is linked in (the program
	// depends on package net).
	Net bool
}

// ExeDir is where PackPackage puts a copy of the test binary in the guest.
const ExeDir = "/unigo/bin"

// Error is a user-facing build error; its message is complete.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// ErrCompile is returned when the go command failed; its output has
// already been written to Options.Stderr.
var ErrCompile = errors.New("go command failed")

// pkgInfo is the part of `go list -json` output we use.
type pkgInfo struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	Deps       []string
	Error      *struct{ Err string }
}

// IsLocal reports whether target names a directory or file rather than an
// import path, with the go command's rules plus .go files.
func IsLocal(target string) bool {
	return target == "." || target == ".." || strings.HasPrefix(target, "./") || strings.HasPrefix(target, "../") ||
		filepath.IsAbs(target) || strings.HasSuffix(target, ".go")
}

// isStd reports whether an import path belongs to the standard library
// (first element without a dot), as cmd/go decides.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// Build builds the image described by o.
func Build(ctx context.Context, o Options) (*Result, error) {
	if o.Output == "" {
		return nil, errorf("unigo: no output file given: pass -o FILE")
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		o.Dir = wd
	}
	out, err := filepath.Abs(filepath.Join(o.Dir, o.Output))
	if filepath.IsAbs(o.Output) {
		out = o.Output
	}
	if err != nil {
		return nil, err
	}
	if o.Rootfs != "" {
		if o.RootfsName == "" {
			o.RootfsName = "--rootfs " + o.Rootfs
		}
		if !filepath.IsAbs(o.Rootfs) {
			o.Rootfs = filepath.Join(o.Dir, o.Rootfs)
		}
		if err := rootfs.CheckDir(o.RootfsName, o.Rootfs); err != nil {
			return nil, err
		}
	}
	if o.KernelDir == "" {
		if o.KernelDir, err = kernelsrc.Dir(); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", "unigo-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	b := &builder{o: o, out: out, tmp: tmp, overlay: map[string]string{}}
	b.env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off")
	if !IsLocal(o.Target) && isStd(o.Target) {
		err = b.prepareStd(ctx)
	} else {
		err = b.prepareModule(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := b.withComponents(ctx); err != nil {
		return nil, err
	}
	entry, err := pvh.Patch(out)
	if err != nil {
		return nil, fmt.Errorf("unigo: patching the PVH note: %w", err)
	}
	trim, err := pvh.TrimBSS(out)
	if err != nil {
		return nil, fmt.Errorf("unigo: making the large BSS objects demand-zero: %w", err)
	}
	if trim.Bytes() > 0 {
		slog.Debug("demand-zero BSS", "from", fmt.Sprintf("%#x", trim.Cut), "to", fmt.Sprintf("%#x", trim.End), "first", trim.First)
	}
	res := &Result{Image: out, ImportPath: b.pkg.ImportPath, Name: b.pkg.Name, Entry: entry, Dir: b.pkg.Dir, Net: b.net}
	if b.stdDir != "" {
		res.Dir = b.stdDir
	}
	if o.Rootfs != "" || o.PackPackage {
		if o.PackPackage {
			res.Exe = path.Join(ExeDir, filepath.Base(out))
		}
		if res.Rootfs, err = b.addRootfs(res.Dir); err != nil {
			os.Remove(out) // no image without the files it was asked to carry
			return nil, err
		}
	}
	slog.Debug("built image", "image", out, "entry", fmt.Sprintf("%#x", entry))
	return res, nil
}

// addRootfs packs the root file system into the image; pkgDir is the
// package's directory on the host.
func (b *builder) addRootfs(pkgDir string) (image.Segment, error) {
	var srcs []rootfs.Source
	if b.o.Rootfs != "" {
		srcs = append(srcs, rootfs.Source{Dir: b.o.Rootfs, Name: b.o.RootfsName})
	}
	if b.o.PackPackage {
		srcs = append(srcs, rootfs.Source{Dir: pkgDir, At: pkgDir, Name: "package " + b.pkg.ImportPath,
			SkipVCS: true, MaxFileSize: MaxPackageFile, Exclude: []string{b.out}})
		// The binary itself (before the archive is appended), so that
		// os.Executable() is a file tests can open, as under go test.
		exeDir := filepath.Join(b.tmp, "exe")
		if err := os.MkdirAll(exeDir, 0o755); err != nil {
			return image.Segment{}, err
		}
		if err := copyFile(filepath.Join(exeDir, filepath.Base(b.out)), b.out); err != nil {
			return image.Segment{}, err
		}
		srcs = append(srcs, rootfs.Source{Dir: exeDir, At: ExeDir, Name: "the test binary"})
	}
	f, err := os.CreateTemp(b.tmp, "rootfs-*.cpio")
	if err != nil {
		return image.Segment{}, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := rootfs.Pack(w, srcs, b.o.Stderr)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return image.Segment{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return image.Segment{}, err
	}
	seg, err := image.AddRootfs(b.out, bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return image.Segment{}, err
	}
	slog.Debug("root file system", "image", b.out, "bytes", st.Size, "entries", st.Entries,
		"addr", fmt.Sprintf("%#x", seg.Addr), "offset", fmt.Sprintf("%#x", seg.Offset))
	return seg, nil
}

type builder struct {
	o       Options
	out     string
	tmp     string
	env     []string
	workDir string            // where the go command runs
	args    []string          // package arguments for the go command
	modFile string            // -modfile, if any
	overlay map[string]string // -overlay replacements
	// componentsPath is where cmd/go finds core/components.go when it is
	// not in the kernel directory (the shadow GOROOT of std tests).
	componentsPath string
	entry          string // -E symbol
	pkg            pkgInfo
	stdDir         string // a std package's directory in the real GOROOT
	net            bool   // link the network stack (the package depends on net)
	noFS           bool   // the kernel without its file system (NoFSTag)
}

// prepareModule sets up a build in module mode: the user's module (or a
// generated one) with the kernel required and replaced.
func (b *builder) prepareModule(ctx context.Context) error {
	o := b.o
	var files []string
	var gomod string
	if IsLocal(o.Target) {
		p := o.Target
		if !filepath.IsAbs(p) {
			p = filepath.Join(o.Dir, p)
		}
		st, err := os.Stat(p)
		if err != nil {
			return errorf("unigo: no such package directory or file: %s: check the path", o.Target)
		}
		dir := p
		if !st.IsDir() {
			if o.Test {
				return errorf("unigo: %s is a file: unigo test needs a package directory or import path", o.Target)
			}
			dir = filepath.Dir(p)
			files = []string{p}
		}
		root := findModRoot(dir)
		if root == "" {
			b.workDir = dir
		} else {
			b.workDir = root
			gomod = filepath.Join(root, "go.mod")
		}
		if files != nil {
			b.args = files
		} else {
			b.args = []string{dir}
		}
	} else {
		b.workDir = o.Dir
		b.args = []string{o.Target}
		env, err := b.goOutput(ctx, "env", "GOMOD")
		if err != nil {
			return err
		}
		gomod = strings.TrimSpace(env)
		if gomod == "" || gomod == os.DevNull {
			return errorf("unigo: %s: not inside a Go module: run unigo in the module's directory or pass a directory like ./%s", o.Target, filepath.Base(o.Target))
		}
	}

	kernelSum, err := readOptional(filepath.Join(o.KernelDir, "go.sum"))
	if err != nil {
		return err
	}
	var modData, userSum []byte
	if gomod == "" {
		gv, err := b.goOutput(ctx, "env", "GOVERSION")
		if err != nil {
			return err
		}
		v := strings.TrimPrefix(strings.TrimSpace(gv), "go")
		if i := strings.IndexAny(v, " -"); i >= 0 {
			v = v[:i]
		}
		modData, err = generatedModFile(filepath.Base(b.workDir), v, o.KernelDir)
		if err != nil {
			return err
		}
		// cmd/go finds the module root by its go.mod; give it one in the overlay.
		gen := filepath.Join(b.tmp, "generated.go.mod")
		if err := os.WriteFile(gen, modData, 0o644); err != nil {
			return err
		}
		b.overlay[filepath.Join(b.workDir, "go.mod")] = gen
	} else {
		data, err := os.ReadFile(gomod)
		if err != nil {
			return err
		}
		if modData, err = editModFile(gomod, data, o.KernelDir); err != nil {
			return errorf("unigo: %s: %v: fix the go.mod file", gomod, err)
		}
		if userSum, err = readOptional(strings.TrimSuffix(gomod, ".mod") + ".sum"); err != nil {
			return err
		}
	}
	b.modFile = filepath.Join(b.tmp, "unigo.mod")
	if err := os.WriteFile(b.modFile, modData, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.tmp, "unigo.sum"), mergeSums(userSum, kernelSum), 0o644); err != nil {
		return err
	}
	if err := b.list(ctx); err != nil {
		return err
	}
	if b.net, err = b.usesNet(ctx); err != nil {
		return err
	}
	b.entry = EntrySymbol
	return b.addKernelFile(b.pkg.Dir)
}

// usesNet reports whether the package (with its tests, for a test
// binary) depends on the standard library's net package, which is when
// the kernel's network stack is linked in.
func (b *builder) usesNet(ctx context.Context) (bool, error) {
	deps := b.pkg.Deps
	if b.o.Test {
		args := append([]string{"list", "-e", "-test", "-deps", "-f", "{{.ImportPath}}"}, b.flags()...)
		out, err := b.goOutput(ctx, append(args, b.args...)...)
		if err != nil {
			return false, err
		}
		deps = strings.Fields(out)
	}
	for _, d := range deps {
		if d == "net" {
			return true, nil
		}
	}
	return false, nil
}

// addKernelFile puts the generated kernel import into dir via the overlay.
func (b *builder) addKernelFile(dir string) error {
	name, src := mainFile, "package main\n"
	if b.o.Test {
		name, src = testFile, "package "+b.pkg.Name+"_test\n"
	} else if b.pkg.Name != "main" {
		return errorf("unigo: %s is package %s, not a command: unigo build and run need package main (use unigo test for a library)", b.o.Target, b.pkg.Name)
	}
	src = "// Code generated by unigo. DO NOT EDIT.\n\n" + src + "\nimport _ \"" + corePackage + "\"\n"
	if b.net {
		src += "import _ \"" + netPackage + "\"\n"
	}
	target := filepath.Join(dir, name)
	if _, err := os.Stat(target); err == nil {
		return errorf("unigo: %s already exists: rename it, unigo generates a file of that name", target)
	}
	gen := filepath.Join(b.tmp, name)
	if err := os.WriteFile(gen, []byte(src), 0o644); err != nil {
		return err
	}
	b.overlay[target] = gen
	if len(b.args) > 0 && strings.HasSuffix(b.args[0], ".go") {
		b.args = append(b.args, target)
	}
	return nil
}

// list runs `go list` on the target and checks the result.
func (b *builder) list(ctx context.Context) error {
	args := append([]string{"list", "-e", "-json=ImportPath,Name,Dir,Standard,Deps,Error"}, b.flags()...)
	args = append(args, b.args...)
	out, err := b.goOutput(ctx, args...)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var pkgs []pkgInfo
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("unigo: reading go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	switch {
	case len(pkgs) == 0:
		return errorf("unigo: %s matches no packages: check the package path", b.o.Target)
	case len(pkgs) > 1:
		return errorf("unigo: %s matches %d packages: name exactly one", b.o.Target, len(pkgs))
	}
	p := pkgs[0]
	if p.Error != nil && p.Name == "" {
		return errorf("unigo: %s: %s", b.o.Target, oneLine(p.Error.Err))
	}
	if p.Dir == "" {
		return errorf("unigo: %s: package not found: check the import path", b.o.Target)
	}
	b.pkg = p
	return nil
}

// flags returns the go command flags shared by list and build.
func (b *builder) flags() []string {
	var f []string
	if b.modFile != "" {
		f = append(f, "-modfile="+b.modFile, "-mod=mod")
	}
	if len(b.overlay) > 0 {
		f = append(f, "-overlay="+b.writeOverlay())
	}
	tags := b.o.Tags
	add := func(tag string) {
		if tags != "" {
			tags += ","
		}
		tags += tag
	}
	if b.net {
		// The kernel's half of networking (socket syscalls, the network
		// device) is compiled in only with this tag.
		add(NetTag)
	}
	if b.noFS {
		add(NoFSTag)
	}
	if tags != "" {
		f = append(f, "-tags="+tags)
	}
	return f
}

func (b *builder) writeOverlay() string {
	p := filepath.Join(b.tmp, "overlay.json")
	data, _ := json.MarshalIndent(struct{ Replace map[string]string }{b.overlay}, "", "\t")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		slog.Error("writing overlay", "err", err)
	}
	return p
}

// goBuild runs go build or go test -c.
func (b *builder) goBuild(ctx context.Context) error {
	args := []string{"build"}
	if b.o.Test {
		args = []string{"test", "-c", "-vet=off"}
	}
	args = append(args, "-o", b.out, "-ldflags=-E="+b.entry)
	if !b.o.KernelDWARF {
		// The kernel's own DWARF is left out unless asked for: stack traces
		// still symbolize (pclntab), and the image stays small. The
		// program keeps its DWARF.
		kpkgs := strings.TrimSuffix(b.entry, "/arch/amd64.entry64") + "/..."
		args = append(args, "-gcflags="+kpkgs+"=-dwarf=false")
	}
	args = append(args, b.flags()...)
	args = append(args, b.args...)
	cmd := b.command(ctx, args...)
	cmd.Stdout = b.o.Stderr
	cmd.Stderr = b.o.Stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrCompile
	}
	if _, err := os.Stat(b.out); err != nil {
		return errorf("unigo: go %s wrote no %s (a package without tests?)", args[0], b.out)
	}
	return nil
}

func (b *builder) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.o.Go, args...)
	cmd.Dir = b.workDir
	cmd.Env = b.env
	slog.Debug("go command", "dir", cmd.Dir, "args", args)
	return cmd
}

// goOutput runs the go command and returns its standard output.
func (b *builder) goOutput(ctx context.Context, args ...string) (string, error) {
	cmd := b.command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", errorf("unigo: cannot run the go command %q: %v: install Go 1.26 or put it on PATH", b.o.Go, ee.Err)
		}
		return "", errorf("unigo: go %s: %s", args[0], oneLine(stderr.String()))
	}
	return string(out), nil
}

// findModRoot returns the nearest directory at or above dir holding go.mod.
func findModRoot(dir string) string {
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !st.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// oneLine condenses a multi-line message.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
