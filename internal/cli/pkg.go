package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"unigo.dev/unigo/internal/build"
	"unigo.dev/unigo/internal/oci"
	"unigo.dev/unigo/internal/pvh"
)

// pkgFlags are the flags of unigo pkg.
type pkgFlags struct {
	tag, rootfs, tags, dir string
	push, insecure, kdwarf bool
	env, ports, labels     multiFlag
	mem                    memFlag
}

func runPkg(e *env, args []string) int {
	fs := newFlagSet(e, "pkg", "[flags] -t reference [package|image] [-- program arguments]",
		"Pkg packages a program as an OCI image in the local store: it builds the\n"+
			"package (default: the current directory), or takes a built image, and\n"+
			"writes the kernel and the --rootfs directory as layers, with the program's\n"+
			"arguments, environment, ports and labels in the image config (see\n"+
			"docs/oci.md). --push uploads it. 'unigo run REFERENCE' boots it.")
	var f pkgFlags
	fs.StringVar(&f.tag, "t", "", "the image `reference`, e.g. localhost:5000/web:1.0")
	fs.StringVar(&f.tag, "tag", "", "same as -t")
	fs.BoolVar(&f.push, "push", false, "push the image to its registry after packaging")
	fs.BoolVar(&f.insecure, "insecure", false, "with --push, allow plain HTTP to any registry")
	fs.StringVar(&f.rootfs, "rootfs", "", "the guest's root file system: the files under `dir` (a layer of their own)")
	fs.Var(&f.env, "e", "guest environment `KEY=VALUE` recorded in the image (repeatable; -e KEY copies it)")
	fs.Var(&f.mem, "m", "default guest memory `size` recorded in the image (e.g. 64M)")
	fs.Var(&f.ports, "p", "`port` the program listens on, e.g. 8080 or 53/udp (repeatable)")
	fs.Var(&f.labels, "label", "image label `key=value` (repeatable)")
	fs.StringVar(&f.tags, "tags", "", "comma-separated build `tags`")
	fs.BoolVar(&f.kdwarf, "kernel-dwarf", false, kernelDWARFUsage)
	dir := stateFlag(fs)
	target, rest, status, ok := splitArgs(e, fs, args)
	if !ok {
		return status
	}
	f.dir = *dir
	if target == "" {
		target = "."
	}
	kf, status, ok := e.projectKraftfile(target)
	if !ok {
		return status
	}
	argv0 := ""
	if kf != nil { // the command line wins over the Kraftfile
		if f.tag == "" && kf.Name != "" {
			f.tag = kf.Name + ":latest"
		}
		if f.rootfs == "" {
			f.rootfs = kf.Rootfs
		}
		f.env = mergeEnv(kf.Env, f.env)
		f.labels = append(kraftLabels(kf.Labels), f.labels...)
		if len(rest) == 0 {
			rest = kf.Cmd
		}
		argv0 = kf.Name
	}
	return e.pkg(&f, target, rest, argv0)
}

// kraftLabels turns a Kraftfile's labels into --label values, sorted.
func kraftLabels(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func (e *env) pkg(f *pkgFlags, target string, cmd []string, name string) int {
	if f.tag == "" {
		return e.errorf(ExitUsage, "unigo: pkg: no image reference: pass -t, e.g. -t localhost:5000/web:1.0 (or give the Kraftfile a name)")
	}
	ref, err := oci.ParseRef(f.tag, f.insecure)
	if err != nil {
		return e.errorf(ExitUsage, "unigo: pkg -t: %v", err)
	}
	if strings.Contains(f.tag, "@") {
		return e.errorf(ExitUsage, "unigo: pkg -t %s: an image gets a tag, its digest follows from its content: use e.g. -t %s:1.0", f.tag, ref.Context().Name())
	}
	labels := map[string]string{}
	for _, kv := range f.labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return e.errorf(ExitUsage, "unigo: pkg --label %q: want key=value", kv)
		}
		labels[k] = v
	}
	var ports []string
	for _, p := range f.ports {
		if _, guest, ok := strings.Cut(p, ":"); ok {
			p = guest // HOST:GUEST as for run -p: the image records the guest's port
		}
		np, err := oci.NormalizePort(p)
		if err != nil {
			return e.errorf(ExitUsage, "unigo: pkg -p: %v", err)
		}
		ports = append(ports, np)
	}
	vf := vmFlags{env: f.env}
	env, err := vf.guestEnv()
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	if f.rootfs != "" {
		if st, err := os.Stat(f.rootfs); err != nil || !st.IsDir() {
			return e.errorf(ExitUsage, "unigo: pkg --rootfs %s: not a directory", f.rootfs)
		}
	}

	kernel, argv0 := "", ""
	st, err := os.Stat(target)
	switch {
	case err == nil && !st.IsDir() && !strings.HasSuffix(target, ".go"):
		if _, err := pvh.Check(target); err != nil {
			if errors.Is(err, pvh.ErrNotUnigo) {
				return e.errorf(ExitError, "unigo: pkg: %s is not a unigo image (no PVH boot note): pass the package, or build it with 'unigo build'", target)
			}
			return e.fail(err)
		}
		kernel, argv0 = target, strings.TrimSuffix(filepath.Base(target), ".img")
	case err != nil && looksLikeImage(target):
		return e.errorf(ExitError, "unigo: pkg: no such image file: %s", target)
	default:
		tmp, err := os.MkdirTemp("", "unigo-pkg-")
		if err != nil {
			return e.fail(err)
		}
		defer os.RemoveAll(tmp)
		argv0 = strings.TrimSuffix(defaultImageName(target), ".img")
		res, err := build.Build(context.Background(), build.Options{
			Target: target, Output: filepath.Join(tmp, argv0), Tags: f.tags, Stderr: e.stderr, KernelDWARF: f.kdwarf,
		})
		if err != nil {
			return e.fail(err)
		}
		kernel = res.Image
	}
	if name != "" {
		argv0 = name
	}

	store, err := e.images(f.dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	release, err := store.Writing()
	if err != nil {
		return e.errorf(ExitError, "unigo: pkg: %v", err)
	}
	md, err := store.Pack(oci.Spec{
		Kernel: kernel, Rootfs: f.rootfs, Argv0: argv0, Cmd: cmd, Env: env, Ports: ports,
		Labels: labels, MemoryMiB: int(f.mem), Created: buildTime(), Warn: e.stderr,
	})
	if err == nil {
		err = store.Tag(ref, md)
	}
	release()
	if err != nil {
		return e.errorf(ExitError, "unigo: pkg: %v", err)
	}
	fmt.Fprintf(e.stdout, "%s@%s\n", oci.Short(ref.Name()), md.Digest)
	if f.push {
		return e.push(f.tag, f.dir, f.insecure)
	}
	return 0
}

// buildTime is now, or $SOURCE_DATE_EPOCH for reproducible images.
func buildTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC()
}
