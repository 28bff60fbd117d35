package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kraftappWant is what testdata/kraftapp prints with its Kraftfile's
// settings.
const kraftappWant = `argv0=kraftapp args=["--greet" "hello world"]
APP_MODE=kraft
/etc/app.conf: greeting = from the Kraftfile's rootfs
`

// copyDir copies a small tree (files and directories).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// inDir runs unigo in dir with UNIGO_STATE_DIR=state.
func inDir(t *testing.T, dir, state string, args ...string) *result {
	t.Helper()
	r := &result{args: args}
	cmd := exec.Command(unigoBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "UNIGO_STATE_DIR="+state)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	r.status = cmd.ProcessState.ExitCode()
	return r
}

// TestKraftfileProject: a project with a Kraftfile builds, runs and
// packages with no flags: name, cmd, env, rootfs and labels come from the
// Kraftfile (acceptance 5).
func TestKraftfileProject(t *testing.T) {
	setup(t)
	dir := filepath.Join(t.TempDir(), "project")
	copyDir(t, "./testdata/kraftapp", dir)
	state := t.TempDir()

	if r := inDir(t, dir, state, "build"); r.status != 0 {
		t.Fatalf("unigo build in a Kraftfile project:\n%s", r.describe())
	}
	if _, err := os.Stat(filepath.Join(dir, "kraftapp.img")); err != nil {
		t.Errorf("unigo build did not name the image after the Kraftfile's name: %v", err)
	}
	r := inDir(t, dir, state, "run")
	if r.status != 0 || r.stdout != kraftappWant {
		t.Errorf("unigo run in a Kraftfile project: want\n%s\n%s", kraftappWant, r.describe())
	}
	// The command line wins: arguments after -- and -e.
	r = inDir(t, dir, state, "run", "-e", "APP_MODE=flag", ".", "--", "x")
	if want := "argv0=kraftapp args=[\"x\"]\nAPP_MODE=flag\n"; r.status != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("unigo run with flags over the Kraftfile: want %q\n%s", want, r.describe())
	}
	// pkg with no flags: kraftapp:latest, then run it from the store.
	if r := inDir(t, dir, state, "pkg"); r.status != 0 || !strings.HasPrefix(r.stdout, "kraftapp:latest@sha256:") {
		t.Fatalf("unigo pkg in a Kraftfile project:\n%s", r.describe())
	}
	r = inDir(t, dir, state, "images", "--json")
	var imgs []struct {
		Reference string            `json:"reference"`
		Labels    map[string]string `json:"labels"`
		Layers    []string          `json:"layers"`
	}
	if json.Unmarshal([]byte(r.stdout), &imgs) != nil || len(imgs) != 1 || imgs[0].Labels["org.example.team"] != "unigo" || len(imgs[0].Layers) != 2 {
		t.Errorf("images after pkg: %+v\n%s", imgs, r.describe())
	}
	if r := inDir(t, t.TempDir(), state, "run", "kraftapp:latest"); r.status != 0 || r.stdout != kraftappWant {
		t.Errorf("unigo run kraftapp:latest: want\n%s\n%s", kraftappWant, r.describe())
	}
}
