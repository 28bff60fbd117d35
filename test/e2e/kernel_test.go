package e2e

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDifferential runs test/programs/differential as a Linux process and as
// a unikernel in a 128 MiB guest: the outputs must be equal byte for byte.
func TestDifferential(t *testing.T) {
	img := image(t, "../programs/differential")
	native := exec.Command("go", "run", "../programs/differential")
	want, err := native.Output()
	if err != nil {
		t.Fatalf("go run ../programs/differential: %v", err)
	}
	r := unigo(t, "run", timeoutFlag(), "-m", "128M", img)
	if r.status != 0 || r.stdout != string(want) {
		t.Errorf("unikernel output differs from the Linux process's\n--- want\n%s\n%s", want, r.describe())
	}
	if !strings.HasSuffix(r.stdout, "differential: ok\n") {
		t.Errorf("differential program did not finish:\n%s", r.describe())
	}
}

// TestPanics: a nil dereference under recover() is recovered; an unrecovered
// panic exits with status 2 and a Go traceback on the console.
func TestPanics(t *testing.T) {
	img := image(t, "../programs/panicnil")
	r := unigo(t, "run", timeoutFlag(), img)
	if !strings.Contains(r.stdout, "recovered: runtime error: invalid memory address or nil pointer dereference\n") {
		t.Errorf("nil dereference not recovered:\n%s", r.describe())
	}
	if r.status != 2 || !strings.Contains(r.stdout, "panic: boom") || !strings.Contains(r.stdout, "goroutine 1 [running]:") {
		t.Errorf("unrecovered panic: want status 2 and a traceback\n%s", r.describe())
	}
}

// TestGuestABI runs the kernel's own ABI tests (test/guest) inside a guest;
// the same tests pass as a Linux process under plain go test.
func TestGuestABI(t *testing.T) {
	setup(t)
	r := unigo(t, "test", timeoutFlag(), "../guest", "--", "-test.v")
	if r.status != 0 || !strings.Contains(r.stdout, "\nPASS\n") || strings.Contains(r.stdout, "--- FAIL") {
		t.Errorf("in-guest kernel tests failed:\n%s", r.describe())
	}
}

// TestStdlibInGuest boots the tests of standard-library packages. Skipped
// tests need what a unikernel does not have (exec). The networking
// packages are in TestStdlibNetInGuest (net_test.go).
func TestStdlibInGuest(t *testing.T) {
	setup(t)
	cases := []struct {
		pkg  string
		skip string // -test.skip pattern
		why  string
		mem  string
	}{
		{pkg: "sort"},
		{pkg: "strings"},
		{pkg: "strconv"},
		{pkg: "container/heap"},
		{pkg: "encoding/json", mem: "512M"},
		{pkg: "sync", skip: "^(TestMutexMisuse|TestIssue76126)$",
			why: "they re-run the test binary as a subprocess (no exec in a unikernel)", mem: "256M"},
		// Packages that read files and testdata (the package directory is
		// packed into the guest's root file system).
		{pkg: "archive/tar", mem: "512M"}, // its tests peak at ~170 MB RSS as a Linux process
		{pkg: "archive/zip", mem: "256M"},
		{pkg: "compress/gzip", mem: "256M"},
		{pkg: "image/png", mem: "256M"},
		{pkg: "io/fs", mem: "256M"},
		{pkg: "path/filepath", skip: "^TestBug3486$", why: "walks all of GOROOT; only the package directory is packed", mem: "256M"},
		{pkg: "os", mem: "512M",
			skip: "^(" +
				// Start processes (fork/exec): a unikernel runs one program.
				"TestProcessAlreadyDone|TestFileChdirTestlog|TestPidfdLeak|TestStdPipe|TestReadNonblockingFd|" +
				"TestProcessWithHandleLinux|TestKillFindProcess|TestGetppid|TestKillStartProcess|TestStatStdin|" +
				"TestStartProcess|TestExecutable|" +
				// Read host directories (/usr/bin) that the guest does not have.
				"TestChdirAndGetwd|TestReaddirnamesOneAtATime" +
				")$",
			why: "exec, host directories (see the comments)"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.pkg, "/", "_"), func(t *testing.T) {
			args := []string{"test", timeoutFlag()}
			if c.mem != "" {
				args = append(args, "-m", c.mem)
			}
			args = append(args, c.pkg, "--", "-test.short")
			if c.skip != "" {
				args = append(args, "-test.skip", c.skip)
				t.Logf("skipping %s in %s: %s", c.skip, c.pkg, c.why)
			}
			r := unigo(t, args...)
			if r.status != 0 || !strings.Contains(r.stdout, "ok  \t"+c.pkg) {
				t.Errorf("unigo test %s failed:\n%s", c.pkg, r.describe())
			}
		})
	}
}

// TestBadInput: each mistake gets a one-line error and a non-zero status.
func TestBadInput(t *testing.T) {
	setup(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	mustWrite(t, filepath.Join(broken, "go.mod"), "module broken\n\ngo 1.26\n")
	mustWrite(t, filepath.Join(broken, "main.go"), "package main\n\nfunc main() { undefinedThing() }\n")
	lib := filepath.Join(dir, "lib")
	mustWrite(t, filepath.Join(lib, "go.mod"), "module lib\n\ngo 1.26\n")
	mustWrite(t, filepath.Join(lib, "lib.go"), "package lib\n\nfunc F() {}\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"run", "--no-such-flag", "x.img"}, "flag provided but not defined"},
		{"missing image", []string{"run", filepath.Join(dir, "missing.img")}, "no such image file"},
		{"non-main package", []string{"build", "-o", filepath.Join(dir, "x.img"), lib}, "not a command"},
		{"compile error", []string{"build", "-o", filepath.Join(dir, "y.img"), broken}, "undefinedThing"},
		{"missing QEMU", []string{"run", "--qemu", "/nonexistent/qemu", "../../examples/hello"}, "apt-get install qemu-system-x86"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			r := unigo(t, c.args...)
			if r.status == 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want a non-zero status and %q on stderr\n%s", c.want, r.describe())
			}
		})
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKernelCrashReport: a fault in the kernel prints the registers and a
// symbolized stack, and the guest exits with the kernel-panic status.
func TestKernelCrashReport(t *testing.T) {
	img := image(t, "../../examples/hello")
	r := unigo(t, "run", timeoutFlag(), "--kernel-arg", "unigo.crash=boot", img)
	for _, want := range []string{"page fault in the kernel", "E regs: rip ", "core.crashOnPurpose", "core.kernelMain"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("crash report lacks %q", want)
		}
	}
	if r.status != 112 {
		t.Errorf("kernel panic: status %d; want 112\n%s", r.status, r.describe())
	}
}

// TestIdleGuestBurnsNoCPU: a guest that sleeps halts its CPU (sti; hlt),
// so QEMU uses little host CPU while it waits. The bound is loose on
// purpose (a busy-polling idle loop would use all of the wall time).
func TestIdleGuestBurnsNoCPU(t *testing.T) {
	img := image(t, "../programs/sleeper")
	start := time.Now()
	cmd := exec.Command(unigoBin, "run", timeoutFlag(), img, "--", "4s")
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil || !strings.Contains(string(out), "awake") {
		t.Fatalf("sleeper: %v\n%s", err, out)
	}
	// unigo waits for QEMU, so its rusage includes QEMU's CPU time.
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	t.Logf("wall %v, host CPU %v (unigo + QEMU)", wall.Round(time.Millisecond), cpu.Round(time.Millisecond))
	// The guest's TSC is calibrated against the PIT in a few short
	// windows at boot: allow a few percent.
	if wall < 3800*time.Millisecond {
		t.Errorf("a 4 s sleep took %v of wall time: the guest clock runs fast", wall)
	}
	if cpu > wall/2 {
		t.Errorf("idle guest used %v of host CPU in %v: the idle loop is not halting", cpu, wall)
	}
}

// TestInterrupt: SIGINT to unigo (Ctrl-C) stops the guest: unigo exits 130
// and leaves no QEMU behind.
func TestInterrupt(t *testing.T) {
	img := image(t, "../programs/sleeper")
	cmd := exec.Command(unigoBin, "run", timeoutFlag(), img)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(stdout, buf, len("sleeping"))
	if !strings.Contains(string(buf[:n]), "sleeping") {
		cmd.Process.Kill()
		t.Fatalf("guest did not start: %q", buf[:n])
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("unigo did not stop within 30 s of SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status after SIGINT = %d; want 130\n%s", code, stderr.String())
	}
	if out, _ := exec.Command("pgrep", "-f", img).Output(); len(out) > 0 {
		t.Errorf("QEMU still running after SIGINT: pids %s", out)
	}
}

// TestOldCPU runs the kernel's ABI tests on a CPU without XSAVE (vector
// state saved with FXSAVE), AVX, RDRAND or RDSEED (random seeded from TSC
// jitter, with a boot warning).
func TestOldCPU(t *testing.T) {
	setup(t)
	r := unigo(t, "test", timeoutFlag(), "--cpu", "qemu64", "../guest")
	if r.status != 0 || !strings.Contains(r.stdout, "\nPASS\n") {
		t.Errorf("ABI tests on qemu64 failed:\n%s", r.describe())
	}
	if !strings.Contains(r.stdout, "no RDRAND/RDSEED") {
		t.Errorf("no boot warning about the missing hardware random source:\n%s", r.describe())
	}
}

// TestLinuxBootEntry boots through the 64-bit Linux boot protocol entry
// (the ELF entry point, used by VMMs without PVH such as older Firecracker):
// the kernel restarts a PVH boot there with a boot_params describing the
// same machine (unigo.selftest=linuxboot), and the program must run as usual.
func TestLinuxBootEntry(t *testing.T) {
	img := image(t, "../../examples/hello")
	r := unigo(t, "run", timeoutFlag(), "--kernel-log", "info", "--kernel-arg", "unigo.selftest=linuxboot", img, "--", "alice")
	if !strings.Contains(r.stdout, "unigo kernel (linux64)") {
		t.Errorf("the kernel did not come up through the Linux boot entry:\n%s", r.describe())
	}
	if r.status != 0 || !strings.Contains(r.stdout, "Hello from unigo!\narg[1]=alice\n") || strings.Contains(r.stdout, "arg[2]") {
		t.Errorf("hello after the Linux boot entry:\n%s", r.describe())
	}
}

// TestGracefulShutdown: SIGTERM to unigo presses the guest's ACPI power
// button (QMP system_powerdown); the kernel sends SIGTERM to the program.
// A program that handles it exits cleanly; one that does not dies of it
// (143), as under Linux. Both the PM1 (q35) and GED (microvm) paths.
func TestGracefulShutdown(t *testing.T) {
	handles := image(t, "../programs/sigterm")
	ignores := image(t, "../programs/sleeper")
	cases := []struct {
		machine, img, ready, want string
		status                    int
	}{
		{"microvm", handles, "waiting for SIGTERM", "got terminated - cleaning up\n", 0},
		{"q35", handles, "waiting for SIGTERM", "got terminated - cleaning up\n", 0},
		{"microvm", ignores, "sleeping", "", 143},
	}
	for _, c := range cases {
		t.Run(c.machine+"_"+filepath.Base(c.img), func(t *testing.T) {
			cmd := exec.Command(unigoBin, "run", timeoutFlag(), "--machine", c.machine, c.img)
			var out bytes.Buffer
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			n, _ := io.ReadAtLeast(stdout, buf, len(c.ready))
			if !strings.Contains(string(buf[:n]), c.ready) {
				cmd.Process.Kill()
				t.Fatalf("guest not ready: %q", buf[:n])
			}
			cmd.Process.Signal(syscall.SIGTERM)
			rest, _ := io.ReadAll(stdout)
			cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != c.status || !strings.Contains(string(rest), c.want) {
				t.Errorf("after SIGTERM: status %d, output %q; want %d and %q\nstderr:\n%s", got, rest, c.status, c.want, out.String())
			}
		})
	}
}

// TestConsoleInput: the program reads standard input from the console
// (the UART's receive interrupt), without losing bytes, including those
// sent before the kernel has booted.
func TestConsoleInput(t *testing.T) {
	img := image(t, "../programs/upper")
	var in, want strings.Builder
	want.WriteString("ready\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&in, "line %d of the input\n", i)
		fmt.Fprintf(&want, "LINE %d OF THE INPUT\n", i)
	}
	in.WriteString("quit\n")
	want.WriteString("bye\n")
	cmd := exec.Command(unigoBin, "run", timeoutFlag(), img)
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || string(out) != want.String() {
		t.Errorf("console input: %v\ngot:\n%s\nwant:\n%s\nstderr:\n%s", err, out, want.String(), stderr.String())
	}
}

// TestDisk: a raw disk image attached with --disk is the guest's /dev/vda
// (virtio-blk over virtio-mmio): the guest reads what the host wrote, and
// the host finds what the guest wrote (unaligned, across sectors) after fsync.
func TestDisk(t *testing.T) {
	img := image(t, "../programs/disk")
	pattern := bytes.Repeat([]byte("guest-wrote-this "), 1000)
	for _, machine := range []string{"microvm", "q35"} { // virtio-mmio, virtio-pci with MSI-X
		t.Run(machine, func(t *testing.T) {
			disk := filepath.Join(t.TempDir(), "disk.img")
			data := make([]byte, 8<<20)
			copy(data, "HOSTDATA-0123456")
			if err := os.WriteFile(disk, data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := unigo(t, "run", timeoutFlag(), "--machine", machine, "--disk", disk, img)
			want := "size 8388608\nhead \"HOSTDATA-0123456\"\nreadback ok true\n"
			if r.status != 0 || r.stdout != want {
				t.Fatalf("disk program:\n%s\nwant stdout:\n%s", r.describe(), want)
			}
			got, err := os.ReadFile(disk)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[1000:1000+len(pattern)], pattern) {
				t.Errorf("the host does not see the guest's write at offset 1000")
			}
			if !bytes.Equal(got[:16], []byte("HOSTDATA-0123456")) || got[999] != 0 || got[1000+len(pattern)] != 0 {
				t.Errorf("the guest's write spilled outside its range")
			}
		})
	}
	// Bad input: a missing image file.
	r := unigo(t, "run", "--disk", filepath.Join(t.TempDir(), "nope.img"), img)
	if r.status == 0 || !strings.Contains(r.stderr, "not a disk image file") {
		t.Errorf("missing --disk file:\n%s", r.describe())
	}
}

// TestFullFileSystem: filling the in-memory root file system ends in ENOSPC
// (ramfs is capped at half of RAM, as tmpfs), not in an out-of-memory kill;
// other files survive and deleting gives the space back.
func TestFullFileSystem(t *testing.T) {
	img := image(t, "../programs/fillfs")
	r := unigo(t, "run", timeoutFlag(), "-m", "64M", img)
	if r.status != 0 || r.stdout != "full: ENOSPC\nspace given back: ok\n" {
		t.Errorf("filling the file system:\n%s", r.describe())
	}
}

// TestNoFileSystem: a program that names no files gets the kernel without
// a file system (ADR 0010) — the image has no VFS code — and still boots,
// prints its arguments, reads standard input, uses pipes and timers, and
// gets clean errors (ENOENT for paths, Linux's errors for descriptors of
// the wrong kind) without a kernel warning; mounts asked for on the
// command line are refused with a warning, not a crash. A program that
// names files gets the whole file system.
func TestNoFileSystem(t *testing.T) {
	img := image(t, "../programs/nofiles")
	nofsImg := img
	if n := vfsSymbols(t, img); n != 0 {
		t.Errorf("%s: %d symbols of kernel/vfs; want none (the program names no files)", img, n)
	}
	if n := vfsSymbols(t, image(t, "../programs/fillfs")); n == 0 {
		t.Errorf("fillfs names files but its image has no kernel/vfs code")
	}
	want := `nofiles: hello [alice bob]
openat /etc/hosts: no such file or directory
openat O_CREAT /tmp/new: no such file or directory
newfstatat /: no such file or directory
mkdirat /d: no such file or directory
getcwd: no such file or directory
mount: no such device
fstat 1: ok
fstat 1: character device true
ioctl 0 TCGETS: ok
lseek 1: illegal seek
fsync 1: invalid argument
getdents64 0: not a directory
fsync 99: bad file descriptor
pipe: "through the pipe"
pread64 pipe: illegal seek
timer: true
nofiles: ok
FIRST LINE
SECOND LINE
bye
`
	for _, tt := range []struct {
		name    string
		flags   []string
		warning string // on the console (stdout), before the program's output
	}{
		{"plain", nil, ""},
		// A stripped image hides what it lacks from the host tool: the
		// kernel warns about the share it cannot mount and runs the program.
		{"stripped share", []string{"-v", t.TempDir() + ":/data"}, "this image has no file system"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := img
			if strings.HasPrefix(tt.name, "stripped") {
				img = filepath.Join(t.TempDir(), "stripped.img")
				if out, err := exec.Command("strip", "-o", img, nofsImg).CombinedOutput(); err != nil {
					t.Skipf("strip: %v %s", err, out)
				}
			}
			args := append(append([]string{"run", timeoutFlag()}, tt.flags...), img, "--", "alice", "bob")
			cmd := exec.Command(unigoBin, args...)
			cmd.Stdin = strings.NewReader("first line\nsecond line\nquit\n")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			got := string(out)
			if tt.warning != "" {
				first, rest, _ := strings.Cut(got, "\n")
				if !strings.Contains(first, tt.warning) {
					t.Errorf("first console line %q; want the warning %q", first, tt.warning)
				}
				got = rest
			}
			if err != nil || got != want {
				t.Errorf("unigo %s: %v\ngot:\n%s\nwant:\n%s\nstderr:\n%s", shellJoin(args), err, out, want, stderr.String())
			}
		})
	}
	// With its symbols, the host tool refuses the share before booting.
	r := unigo(t, "run", timeoutFlag(), "-v", t.TempDir()+":/data", img)
	if r.status != 2 || !strings.Contains(r.stderr, "-v needs the file-system driver p9, which is not in this image") {
		t.Errorf("-v with an image without a file system: want status 2 and a clear error\n%s", r.describe())
	}
}

// vfsSymbols counts the image's symbols of package kernel/vfs.
func vfsSymbols(t *testing.T, img string) int {
	t.Helper()
	f, err := elf.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("%s: %v", img, err)
	}
	n := 0
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "unigo.dev/unigo/kernel/vfs.") {
			n++
		}
	}
	return n
}

// TestImageSize: issue 2's size target. The hello image is at most 1.15
// times the same program built as a static Linux binary by the same Go
// toolchain in the same run (both are deterministic: this is no timed
// assertion). bench/cmd/startup reports the same figure.
func TestImageSize(t *testing.T) {
	img := image(t, "../../examples/hello")
	linux := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command("go", "build", "-o", linux, ".")
	cmd.Dir = "../../examples/hello"
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (static Linux binary): %v\n%s", err, out)
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	u, l := size(img), size(linux)
	ratio := float64(u) / float64(l)
	t.Logf("hello: image %d bytes, static Linux binary %d bytes: %.3f×", u, l, ratio)
	if ratio > 1.15 {
		t.Errorf("hello image is %d bytes, %.3f× the static Linux binary (%d bytes); the target is ≤ 1.15× (see bench/README.md for where the bytes go)", u, ratio, l)
	}
}
