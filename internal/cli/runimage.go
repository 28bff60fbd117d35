package cli

import (
	"errors"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"unigo.dev/unigo/internal/oci"
)

// runImage is [env.imageFor] that also knows OCI references: a target
// that is not a file or directory and names an image in the local store
// boots that image, with the program arguments (unless given after --),
// environment (-e adds and overrides) and memory (unless -m) it records.
// A target with ':' or '@' must be in the store.
func (e *env) runImage(target string, f *vmFlags, d *detachFlags, fs *flagSet, rest *[]string) (image, argv0 string, cleanup func(), status int) {
	if st, err := os.Stat(target); err == nil {
		if !st.IsDir() && !strings.HasSuffix(target, ".go") {
			return e.imageFor(target, f)
		}
		kf, status, ok := e.projectKraftfile(target)
		if !ok {
			return "", "", func() {}, status
		}
		applyKraftfile(kf, f, rest)
		image, argv0, cleanup, status = e.imageFor(target, f)
		if kf != nil && kf.Name != "" && image != "" {
			argv0 = kf.Name
		}
		return image, argv0, cleanup, status
	}
	isRef := strings.ContainsAny(target, ":@")
	ref, err := oci.ParseRef(target, false)
	if err != nil {
		if isRef {
			return "", "", func() {}, e.errorf(ExitUsage, "unigo: run: %v", err)
		}
		return e.imageFor(target, f)
	}
	store, err := e.images(*d.stateDir)
	if err != nil {
		return "", "", func() {}, e.errorf(ExitError, "%v", err)
	}
	ent, err := store.Resolve(ref)
	if errors.Is(err, oci.ErrNotFound) && !isRef {
		return e.imageFor(target, f) // an import path such as example.com/cmd/x
	}
	if err != nil {
		return "", "", func() {}, e.errorf(ExitError, "unigo: run %s: %v: pull it with 'unigo pull %s' or build it with 'unigo pkg -t %s PACKAGE'", target, err, target, target)
	}
	img, err := store.Load(ent)
	if err != nil {
		return "", "", func() {}, e.errorf(ExitError, "unigo: run %s: %v", target, err)
	}
	tmp, err := os.MkdirTemp("", "unigo-run-")
	if err != nil {
		return "", "", func() {}, e.fail(err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	image = filepath.Join(tmp, "kernel.img")
	if err := store.Unpack(img, image, tmp); err != nil {
		return "", "", cleanup, e.errorf(ExitError, "unigo: run %s: %v", target, err)
	}
	c := img.Config.Config
	argv0 = c.Labels[oci.LabelArgv0]
	if argv0 == "" {
		argv0 = path.Base(ref.Context().RepositoryStr())
	}
	if len(*rest) == 0 {
		*rest = c.Cmd
	}
	f.env = mergeEnv(c.Env, f.env)
	if mem, err := strconv.Atoi(c.Labels[oci.LabelMemory]); err == nil && mem > 0 && !flagGiven(fs, "m", "memory") {
		f.mem = memFlag(mem)
	}
	return image, argv0, cleanup, 0
}

// mergeEnv returns base with the variables of over (KEY=VALUE or KEY)
// replacing those of the same name.
func mergeEnv(base, over []string) []string {
	names := map[string]bool{}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		names[k] = true
	}
	var out []string
	for _, kv := range base {
		if k, _, _ := strings.Cut(kv, "="); !names[k] {
			out = append(out, kv)
		}
	}
	return append(out, over...)
}

// flagGiven reports whether any of the named flags was given.
func flagGiven(fs *flagSet, names ...string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = true
			}
		}
	})
	return set
}
