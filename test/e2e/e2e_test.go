// Package e2e boots real unigo guests (the real kernel) under QEMU through
// the unigo command. They run only with UNIGO_E2E=1 (make test sets it) and
// skip when qemu-system-x86_64 is missing; on failure they print the unigo
// and QEMU command lines to paste into a shell.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// guestTimeout bounds one guest run (TCG is slow; so is a loaded CI box).
const guestTimeout = 3 * time.Minute

var (
	tmpDir    string
	unigoBin  string
	images    = map[string]*onceImage{}
	imagesMu  sync.Mutex
	setupOnce sync.Once
	setupErr  error
)

type onceImage struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "unigo-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// setup skips the test unless enabled and QEMU is present, and builds the
// unigo binary once.
func setup(t *testing.T) {
	t.Helper()
	if os.Getenv("UNIGO_E2E") != "1" {
		t.Skip("end-to-end guest tests are off: set UNIGO_E2E=1 (make test does) to boot guests under QEMU")
	}
	if testing.Short() {
		t.Skip("boots QEMU guests")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed: apt-get install qemu-system-x86 (or make examples)")
	}
	setupOnce.Do(func() {
		unigoBin = filepath.Join(tmpDir, "unigo")
		out, err := exec.Command("go", "build", "-o", unigoBin, "../../cmd/unigo").CombinedOutput()
		if err != nil {
			setupErr = fmt.Errorf("go build ../../cmd/unigo: %v\n%s", err, out)
		}
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// image builds pkg (relative to test/e2e) with unigo build, once per run.
func image(t *testing.T, pkg string) string {
	t.Helper()
	setup(t)
	imagesMu.Lock()
	im := images[pkg]
	if im == nil {
		im = &onceImage{}
		images[pkg] = im
	}
	imagesMu.Unlock()
	im.once.Do(func() {
		sub := filepath.Join(tmpDir, strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "_"))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			im.err = err
			return
		}
		// The image name becomes the guest's argv[0].
		im.path = filepath.Join(sub, filepath.Base(pkg)+".img")
		res := unigo(t, "build", "-o", im.path, pkg)
		if res.status != 0 {
			im.err = fmt.Errorf("%s", res.describe())
		}
	})
	if im.err != nil {
		t.Fatalf("building %s: %v", pkg, im.err)
	}
	return im.path
}

type result struct {
	args           []string
	status         int
	stdout, stderr string
	qemuLine       string
}

func (r *result) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command: %s %s\nexit status: %d\n", unigoBin, shellJoin(r.args), r.status)
	if r.qemuLine != "" {
		fmt.Fprintf(&b, "qemu command: %s\n", r.qemuLine)
	}
	fmt.Fprintf(&b, "--- stdout\n%s\n--- stderr\n%s", r.stdout, r.stderr)
	return b.String()
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// unigo runs the unigo binary. For run and test it first asks for the QEMU
// command line (--dry-run) so that a failure can show it.
func unigo(t *testing.T, args ...string) *result {
	t.Helper()
	r := &result{args: args}
	if len(args) > 0 && (args[0] == "run" || args[0] == "test") {
		dry := append([]string{args[0], "--dry-run"}, args[1:]...)
		if out, err := exec.Command(unigoBin, dry...).Output(); err == nil {
			r.qemuLine = strings.TrimSpace(string(out))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), guestTimeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, unigoBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	r.status = cmd.ProcessState.ExitCode()
	if err != nil && r.status < 0 {
		t.Fatalf("unigo did not finish: %v\n%s", err, r.describe())
	}
	return r
}

func timeoutFlag() string { return "--timeout=" + guestTimeout.String() }

func TestHello(t *testing.T) {
	img := image(t, "../../examples/hello")
	r := unigo(t, "run", timeoutFlag(), "-e", "UNIGO_GREETING=hi there", img, "--", "alice", "bob smith")
	want := "Hello from unigo!\narg[1]=alice\narg[2]=bob smith\nUNIGO_GREETING=hi there\n"
	if r.status != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("hello: want status 0 and output\n%s\ngot:\n%s", want, r.describe())
	}
}

func TestExitStatus(t *testing.T) {
	img := image(t, "./testdata/exit7")
	r := unigo(t, "run", timeoutFlag(), img)
	if r.status != 7 || !strings.Contains(r.stdout, "exiting with 7") {
		t.Errorf("exit7: want status 7\n%s", r.describe())
	}
}

func TestMachines(t *testing.T) {
	for _, m := range []string{"microvm", "pc", "q35"} {
		t.Run(m, func(t *testing.T) {
			img := image(t, "../../examples/hello")
			r := unigo(t, "run", timeoutFlag(), "--machine", m, img, "--", "alice")
			if r.status != 0 || !strings.Contains(r.stdout, "Hello from unigo!\narg[1]=alice\n") {
				t.Errorf("machine %s: want hello output and status 0\n%s", m, r.describe())
			}
		})
	}
}

func TestRunPackage(t *testing.T) {
	setup(t)
	r := unigo(t, "run", timeoutFlag(), "../../examples/hello", "--", "carol")
	if r.status != 0 || !strings.Contains(r.stdout, "arg[1]=carol") {
		t.Errorf("unigo run <package>: want status 0\n%s", r.describe())
	}
}

func TestTestPackage(t *testing.T) {
	setup(t)
	r := unigo(t, "test", timeoutFlag(), "./testdata/pkgtest", "--", "-test.v")
	if r.status != 0 || !strings.Contains(r.stdout, "--- PASS: TestAdd") || !strings.Contains(r.stdout, "ok  \tunigo.dev/unigo/test/e2e/testdata/pkgtest") {
		t.Errorf("unigo test ./testdata/pkgtest: want PASS\n%s", r.describe())
	}
}

func TestStdPackage(t *testing.T) {
	setup(t)
	r := unigo(t, "test", timeoutFlag(), "sort", "--", "-test.run=^TestSearch", "-test.v")
	if r.status != 0 || !strings.Contains(r.stdout, "--- PASS: TestSearch") {
		t.Errorf("unigo test sort: want PASS\n%s", r.describe())
	}
}
