package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/build"
	"unigo.dev/unigo/internal/kraftfile"
)

// projectKraftfile loads the Kraftfile of a package given as a local
// directory (or a .go file's directory); it returns nil when there is
// none. Its warnings go to stderr; a malformed Kraftfile is an error
// naming the line and key.
func (e *env) projectKraftfile(target string) (kf *kraftfile.File, status int, ok bool) {
	if !build.IsLocal(target) {
		return nil, 0, true
	}
	dir := target
	if strings.HasSuffix(target, ".go") {
		dir = filepath.Dir(target)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, 0, true
	}
	p := kraftfile.Find(dir)
	if p == "" {
		return nil, 0, true
	}
	kf, err := kraftfile.Load(p)
	if err != nil {
		return nil, e.errorf(ExitUsage, "unigo: %v (in %s)", err, dir), false
	}
	for _, w := range kf.Warnings {
		fmt.Fprintln(e.stderr, "unigo: "+w)
	}
	if len(kf.Volumes) > 0 {
		fmt.Fprintf(e.stderr, "unigo: %s: volumes: not attached: this unigo has no host shares yet; %d volume(s) ignored\n", filepath.Base(p), len(kf.Volumes))
	}
	return kf, 0, true
}

// applyKraftfile fills run's and test's settings from a Kraftfile where
// the command line left them unset: rootfs, environment (-e overrides),
// program arguments (arguments after -- replace cmd).
func applyKraftfile(kf *kraftfile.File, f *vmFlags, rest *[]string) {
	if kf == nil {
		return
	}
	if f.rootfs == "" {
		f.rootfs = kf.Rootfs
	}
	f.env = mergeEnv(kf.Env, f.env)
	if len(*rest) == 0 {
		*rest = kf.Cmd
	}
}
