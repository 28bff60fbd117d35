package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/build"
	"unigo.dev/unigo/internal/kraftfile"
	"unigo.dev/unigo/internal/pvh"
)

func runRun(e *env, args []string) int {
	fs := newFlagSet(e, "run", "[flags] image|package [-- program arguments]",
		"Run boots a unigo image under QEMU. Given a package (an import path, a\n"+
			"directory such as ./cmd/x, or a .go file) instead of an image, it builds it\n"+
			"first. The guest console streams to standard output and the guest's exit\n"+
			"status becomes unigo's.")
	var f vmFlags
	f.register(fs.FlagSet)
	var d detachFlags
	d.register(fs)
	target, rest, status, ok := splitArgs(e, fs, args)
	if !ok {
		return status
	}
	if target == "" && kraftfile.Find(".") != "" {
		target = "." // a Kraftfile project runs with no arguments
	}
	if target == "" {
		return e.errorf(ExitUsage, "unigo: run: no image or package given: try 'unigo run hello.img' or 'unigo run ./examples/hello'")
	}
	if status, ok := d.check(e, &f); !ok {
		return status
	}
	if d.detach && !f.dryRun {
		det, status := e.newDetached(&d, target)
		if det == nil {
			return status
		}
		defer det.abandon()
		f.detach = det
	}
	image, argv0, cleanup, status := e.runImage(target, &f, &d, fs, &rest)
	defer cleanup()
	if image == "" {
		return status
	}
	if f.detach != nil {
		if image, status = f.detach.takeImage(e, image); image == "" {
			return status
		}
	}
	return e.boot(&f, image, argv0, "", rest)
}

// imageFor returns the image to boot for target: target itself when it is
// an image file, otherwise a freshly built image in a temporary directory
// that cleanup removes. On failure image is "" and status is the exit status.
func (e *env) imageFor(target string, f *vmFlags) (image, argv0 string, cleanup func(), status int) {
	cleanup = func() {}
	st, err := os.Stat(target)
	switch {
	case err == nil && !st.IsDir() && !strings.HasSuffix(target, ".go"):
		if f.rootfs != "" {
			return "", "", cleanup, e.errorf(ExitUsage, "unigo: --rootfs %s: %s is already an image: pass the package to build instead, or rebuild it with 'unigo build --rootfs %s'", f.rootfs, target, f.rootfs)
		}
		if _, err := pvh.Check(target); err != nil {
			if errors.Is(err, pvh.ErrNotUnigo) {
				return "", "", cleanup, e.errorf(ExitError, "unigo: %s is not a unigo image (no PVH boot note): build it with 'unigo build'", target)
			}
			return "", "", cleanup, e.fail(err)
		}
		return target, strings.TrimSuffix(filepath.Base(target), ".img"), cleanup, 0
	case err != nil && looksLikeImage(target):
		return "", "", cleanup, e.errorf(ExitError, "unigo: no such image file: %s: build one with 'unigo build -o %s PACKAGE'", target, target)
	}
	tmp, err := os.MkdirTemp("", "unigo-run-")
	if err != nil {
		return "", "", cleanup, e.fail(err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	name := strings.TrimSuffix(defaultImageName(target), ".img")
	res, err := build.Build(context.Background(), build.Options{
		Target: target, Output: filepath.Join(tmp, name), Tags: f.tags, Stderr: e.stderr, Rootfs: f.rootfs,
		KernelDWARF: f.kdwarf,
	})
	if err != nil {
		return "", "", cleanup, e.fail(err)
	}
	return res.Image, name, cleanup, 0
}

// looksLikeImage reports whether a path that does not exist was meant as an
// image file ("hello.img", "./out/x.elf") rather than a package
// ("gopkg.in/yaml.v3", "./cmd/x", "main.go").
func looksLikeImage(target string) bool {
	ext := filepath.Ext(target)
	if ext == "" || ext == ".go" {
		return false
	}
	return build.IsLocal(target) || !strings.Contains(target, "/")
}
