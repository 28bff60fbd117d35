package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/build"
)

func runBuild(e *env, args []string) int {
	fs := newFlagSet(e, "build", "[-o image] [--rootfs dir] [package]",
		"Build compiles a Go main package (an import path, a directory such as ./cmd/x,\n"+
			"or a .go file) with the stock go command for linux/amd64, links the unigo\n"+
			"kernel in without touching your files, and writes a bootable image.\n"+
			"The default package is the current directory; the default image is\n"+
			"<package directory name>.img. With --rootfs the directory's files are\n"+
			"packed into the image and become the guest's file system (dir/etc/hosts\n"+
			"is /etc/hosts in the guest). A Kraftfile in the package directory gives\n"+
			"the defaults for --rootfs and the image name (see docs/kraftfile.md).")
	out := fs.String("o", "", "write the image to `file`")
	tags := fs.String("tags", "", "comma-separated build `tags` for the go command")
	rootfs := fs.String("rootfs", "", rootfsUsage)
	kdwarf := fs.Bool("kernel-dwarf", false, kernelDWARFUsage)
	target, rest, status, ok := splitArgs(e, fs, args)
	if !ok {
		return status
	}
	if len(rest) > 0 {
		return e.errorf(ExitUsage, "unigo: build: unexpected arguments after --: %q: program arguments belong to unigo run", rest)
	}
	if target == "" {
		target = "."
	}
	kf, status, ok := e.projectKraftfile(target)
	if !ok {
		return status
	}
	if kf != nil { // the command line wins over the Kraftfile
		if *rootfs == "" {
			*rootfs = kf.Rootfs
		}
		if *out == "" && kf.Name != "" {
			*out = kf.Name + ".img"
		}
	}
	if *out == "" {
		*out = defaultImageName(target)
	}
	_, err := build.Build(context.Background(), build.Options{Target: target, Output: *out, Tags: *tags, Stderr: e.stderr, Rootfs: *rootfs, KernelDWARF: *kdwarf})
	if err != nil {
		return e.fail(err)
	}
	return 0
}

// defaultImageName derives "<name>.img" from a package argument.
func defaultImageName(target string) string {
	name := strings.TrimSuffix(target, ".go")
	if build.IsLocal(target) {
		abs, err := filepath.Abs(name)
		if err == nil {
			name = abs
		}
	}
	name = filepath.Base(name)
	if name == "." || name == "/" || name == "" {
		if wd, err := os.Getwd(); err == nil {
			name = filepath.Base(wd)
		}
	}
	return name + ".img"
}
