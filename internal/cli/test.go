package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"unigo.dev/unigo/internal/build"
)

func runTest(e *env, args []string) int {
	fs := newFlagSet(e, "test", "[flags] [package] [-- test binary flags]",
		"Test builds the package's test binary (go test -c) with the unigo kernel\n"+
			"linked in, boots it under QEMU and reports its result. Standard-library\n"+
			"packages work too (unigo test sort). Flags after -- go to the test binary,\n"+
			"e.g. unigo test ./pkg -- -test.run TestX -test.v. With -c the image is\n"+
			"only built (to -o, default <package>.test).\n"+
			"The package's directory (with its testdata) is packed into the image at\n"+
			"its host path and is the test's working directory, as with go test;\n"+
			"--rootfs dir adds dir's files at the guest's root.")
	// Test binaries are hungrier than programs (encoding/json's tests peak
	// at ~130 MB as a Linux process); QEMU only backs what the guest
	// touches, so a generous default costs little.
	f := vmFlags{mem: testMemoryMiB}
	f.register(fs.FlagSet)
	compileOnly := fs.Bool("c", false, "build the test image but do not run it")
	out := fs.String("o", "", "with -c, write the test image to `file`")
	target, rest, status, ok := splitArgs(e, fs, args)
	if !ok {
		return status
	}
	if target == "" {
		target = "."
	}
	tmp, err := os.MkdirTemp("", "unigo-test-")
	if err != nil {
		return e.fail(err)
	}
	defer os.RemoveAll(tmp)
	name := path.Base(filepath.ToSlash(target))
	if build.IsLocal(target) {
		name = filepath.Base(mustAbs(target))
	}
	image := filepath.Join(tmp, name+".test")
	if *compileOnly {
		image = *out
		if image == "" {
			image = name + ".test"
		}
	}
	start := time.Now()
	res, err := build.Build(context.Background(), build.Options{
		Target: target, Test: true, Output: image, Tags: f.tags, Stderr: e.stderr,
		Rootfs: f.rootfs, PackPackage: true, KernelDWARF: f.kdwarf,
	})
	if err != nil {
		status := e.fail(err)
		fmt.Fprintf(e.stdout, "FAIL\t%s [build failed]\n", target)
		return status
	}
	if *compileOnly {
		return 0
	}
	// As go test does: a test binary that calls os.Exit(0) early fails.
	progArgs := append([]string{"-test.paniconexit0"}, rest...)
	argv0 := res.Name + ".test"
	if res.Exe != "" {
		argv0 = res.Exe // a real file in the guest: os.Executable() works
	}
	status = e.boot(&f, res.Image, argv0, res.Dir, progArgs)
	if f.dryRun {
		return status
	}
	elapsed := time.Since(start).Seconds()
	if status == 0 {
		fmt.Fprintf(e.stdout, "ok  \t%s\t%.3fs (unigo)\n", res.ImportPath, elapsed)
	} else {
		fmt.Fprintf(e.stdout, "FAIL\t%s\t%.3fs (unigo)\n", res.ImportPath, elapsed)
	}
	return status
}

// testMemoryMiB is unigo test's default guest memory.
const testMemoryMiB = 512

func mustAbs(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
