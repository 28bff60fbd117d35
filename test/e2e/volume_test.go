package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Persistent volumes (unigo run --volume-disk, ext2 on virtio-blk): what a
// guest wrote and synced survives the VM being killed; what it wrote
// before a clean exit or the power button survives too; the host's
// e2fsck finds nothing to fix and debugfs reads the same bytes.

const volumeFiles = 40

// volumeContent is test/programs/volume's Content.
func volumeContent(i int) []byte {
	size := (i * 7919) % (300 << 10)
	if i%5 == 0 {
		size = i
	}
	b := make([]byte, 0, size+32)
	seed := sha256.Sum256([]byte("unigo volume " + strconv.Itoa(i)))
	for len(b) < size {
		b = append(b, seed[:]...)
		seed = sha256.Sum256(seed[:])
	}
	return b[:size]
}

func volumePath(i int) string { return fmt.Sprintf("d%d/file-%03d", i%4, i) }

func e2tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/sbin/" + name; fileExists(p) {
		return p
	}
	t.Skipf("%s not found: install e2fsprogs", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// fsckClean runs e2fsck -fn on the host and fails on any finding.
func fsckClean(t *testing.T, vol string) {
	t.Helper()
	out, err := exec.Command(e2tool(t, "e2fsck"), "-fn", vol).CombinedOutput()
	if err != nil {
		t.Errorf("e2fsck -fn %s: %v\n%s", vol, err, out)
	}
}

// checkVolumeFiles reads the volume with debugfs (rdump under dir) and
// compares the files the program wrote.
func checkVolumeFiles(t *testing.T, vol, dir string, n int) {
	t.Helper()
	out := t.TempDir()
	if b, err := exec.Command(e2tool(t, "debugfs"), "-R", "rdump "+dir+" "+out, vol).CombinedOutput(); err != nil {
		t.Fatalf("debugfs rdump: %v\n%s", err, b)
	}
	base := filepath.Join(out, filepath.Base(dir))
	bad := 0
	for i := 0; i < n; i++ {
		got, err := os.ReadFile(filepath.Join(base, volumePath(i)))
		if want := volumeContent(i); err != nil || !bytes.Equal(got, want) {
			if bad++; bad < 5 {
				t.Errorf("host view of %s/%s: %d bytes (%v); want the %d written", dir, volumePath(i), len(got), err, len(want))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d files lost or wrong", bad, n)
	}
}

// startGuestUntil runs unigo and returns once its console printed ready.
func startGuestUntil(t *testing.T, ready string, args ...string) (*exec.Cmd, *bytes.Buffer, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(unigoBin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	done := make(chan string, 1)
	go func() {
		var seen strings.Builder
		for {
			line, err := r.ReadString('\n')
			seen.WriteString(line)
			if strings.Contains(line, ready) || err != nil {
				done <- seen.String()
				return
			}
		}
	}()
	select {
	case seen := <-done:
		if !strings.Contains(seen, ready) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("guest did not print %q:\n%s\nstderr:\n%s\ncommand: %s %s", ready, seen, stderr.String(), unigoBin, shellJoin(args))
		}
	case <-time.After(guestTimeout):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("guest did not print %q within %v\nstderr:\n%s\ncommand: %s %s", ready, guestTimeout, stderr.String(), unigoBin, shellJoin(args))
	}
	return cmd, &stderr, r
}

// qemuChild returns the pid of unigo's QEMU child (started by any of its
// threads).
func qemuChild(t *testing.T, pid int) int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var all []string
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(b)) {
			all = append(all, f)
			c, _ := strconv.Atoi(f)
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", c)); strings.Contains(exe, "qemu") {
				return c
			}
		}
	}
	t.Fatalf("unigo (pid %d) has no QEMU child (children %q)", pid, all)
	return 0
}

func TestVolumeDurability(t *testing.T) {
	img := image(t, "../programs/volume")
	e2tool(t, "e2fsck")
	for _, machine := range []string{"microvm", "q35"} {
		t.Run(machine, func(t *testing.T) {
			vol := filepath.Join(t.TempDir(), "data.img")
			spec := vol + ":/var/lib/app:size=64M"
			// Boot 1: write and fsync, then the VM is killed hard.
			args := []string{"run", timeoutFlag(), "--machine", machine, "--volume-disk", spec, img,
				"--", "write", "/var/lib/app", strconv.Itoa(volumeFiles), "fsync", "hold"}
			cmd, stderr, _ := startGuestUntil(t, fmt.Sprintf("written %d", volumeFiles), args...)
			q := qemuChild(t, cmd.Process.Pid)
			syscall.Kill(q, syscall.SIGKILL)
			cmd.Wait()
			if !strings.Contains(stderr.String(), "created volume") {
				t.Errorf("no creation note on stderr:\n%s", stderr.String())
			}
			fsckClean(t, vol)
			checkVolumeFiles(t, vol, "/", volumeFiles)
			// Boot 2: the guest reads every fsynced byte back.
			r := unigo(t, "run", timeoutFlag(), "--machine", machine, "--volume-disk", vol+":/var/lib/app", img,
				"--", "verify", "/var/lib/app", strconv.Itoa(volumeFiles))
			if r.status != 0 || !strings.Contains(r.stdout, fmt.Sprintf("verified %d", volumeFiles)) {
				t.Errorf("second boot:\n%s", r.describe())
			}
			fsckClean(t, vol)
		})
	}
}

// TestVolumeCleanShutdown: no fsync at all; the program exits (status 0),
// or dies of SIGTERM from the power button (143): the teardown hooks
// unmount the volume, and everything is on the host.
func TestVolumeCleanShutdown(t *testing.T) {
	img := image(t, "../programs/volume")
	e2tool(t, "e2fsck")
	t.Run("exit", func(t *testing.T) {
		vol := filepath.Join(t.TempDir(), "data.img")
		r := unigo(t, "run", timeoutFlag(), "--volume-disk", vol+":/data", img,
			"--", "write", "/data", strconv.Itoa(volumeFiles), "nosync", "exit")
		if r.status != 0 {
			t.Fatalf("guest:\n%s", r.describe())
		}
		fsckClean(t, vol)
		checkVolumeFiles(t, vol, "/", volumeFiles)
		out, _ := exec.Command(e2tool(t, "dumpe2fs"), "-h", vol).CombinedOutput()
		if !strings.Contains(string(out), "Filesystem state:         clean") {
			t.Errorf("volume not marked clean after a clean exit:\n%s", out)
		}
	})
	t.Run("power-button", func(t *testing.T) {
		vol := filepath.Join(t.TempDir(), "data.img")
		cmd, stderr, rest := startGuestUntil(t, fmt.Sprintf("written %d", volumeFiles), "run", timeoutFlag(),
			"--volume-disk", vol+":/data", img, "--", "write", "/data", strconv.Itoa(volumeFiles), "nosync", "sleep")
		cmd.Process.Signal(syscall.SIGTERM)
		io.Copy(io.Discard, rest)
		cmd.Wait()
		if got := cmd.ProcessState.ExitCode(); got != 143 {
			t.Errorf("status %d after SIGTERM; want 143 (the program dies of it)\nstderr:\n%s", got, stderr.String())
		}
		fsckClean(t, vol)
		checkVolumeFiles(t, vol, "/", volumeFiles)
	})
}

// TestVolumeMountSyscall: an ext2 image attached raw (--disk) is mounted
// by the program with mount(2), written, and unmounted by the kernel at
// exit.
func TestVolumeMountSyscall(t *testing.T) {
	img := image(t, "../programs/volume")
	mkfs := e2tool(t, "mke2fs")
	vol := filepath.Join(t.TempDir(), "raw.img")
	if out, err := exec.Command(mkfs, "-q", "-t", "ext2", vol, "32M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	r := unigo(t, "run", timeoutFlag(), "--disk", vol, img, "--", "mount", "/dev/vda", "/mnt/vol", "write", "10", "nosync", "exit")
	if r.status != 0 || !strings.Contains(r.stdout, "written 10") {
		t.Fatalf("guest:\n%s", r.describe())
	}
	fsckClean(t, vol)
	checkVolumeFiles(t, vol, "/", 10)
}

// TestVolumeLinuxMade: a volume populated on the host (mke2fs -d) reads in
// the guest exactly as the host tree does.
func TestVolumeLinuxMade(t *testing.T) {
	img := image(t, "../programs/volume")
	mkfs := e2tool(t, "mke2fs")
	src := t.TempDir()
	for i := 0; i < 30; i++ {
		p := filepath.Join(src, volumePath(i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, volumeContent(i), fs.FileMode(0o600+i%3*0o40)); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(src, "empty"), 0o750)
	os.Symlink("d1/file-001", filepath.Join(src, "short-link"))
	os.Symlink(strings.Repeat("long/", 20)+"target", filepath.Join(src, "long-link"))
	var hostWalk strings.Builder
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(src, p)
		st, _ := os.Lstat(p)
		line := fmt.Sprintf("%s %s %o %d", rel, st.Mode().Type(), st.Mode().Perm(), st.Size())
		switch {
		case st.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		case st.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case st.IsDir():
			line = fmt.Sprintf("%s %s %o", rel, st.Mode().Type(), st.Mode().Perm())
		}
		fmt.Fprintln(&hostWalk, line)
		return nil
	})
	for _, bs := range []string{"1024", "4096"} {
		t.Run(bs, func(t *testing.T) {
			vol := filepath.Join(t.TempDir(), "linux.img")
			if out, err := exec.Command(mkfs, "-q", "-t", "ext2", "-b", bs, "-d", src, vol, "16M").CombinedOutput(); err != nil {
				t.Fatalf("mke2fs -d: %v\n%s", err, out)
			}
			r := unigo(t, "run", timeoutFlag(), "--volume-disk", vol+":/srv:ro", img, "--", "walk", "/srv")
			var guest strings.Builder
			for _, l := range strings.SplitAfter(r.stdout, "\n") {
				if !strings.HasPrefix(l, "lost+found ") {
					guest.WriteString(l)
				}
			}
			if r.status != 0 || guest.String() != hostWalk.String() {
				t.Errorf("guest walk differs from the host's:\n%s\nwant:\n%s", r.describe(), hostWalk.String())
			}
		})
	}
}

// TestVolumeBadInput: clear errors, non-zero exits, images untouched.
func TestVolumeBadInput(t *testing.T) {
	img := image(t, "../programs/volume")
	mkfs := e2tool(t, "mke2fs")
	dir := t.TempDir()
	notExt2 := filepath.Join(dir, "zeros.img")
	os.WriteFile(notExt2, make([]byte, 4<<20), 0o644)
	ext4 := filepath.Join(dir, "ext4.img")
	if out, err := exec.Command(mkfs, "-q", "-t", "ext4", ext4, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	// A volume whose superblock is fine but whose group descriptor table
	// is corrupt: only the guest's driver can tell.
	corrupt := filepath.Join(dir, "corrupt.img")
	if out, err := exec.Command(mkfs, "-q", "-t", "ext2", "-b", "1024", corrupt, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	f, _ := os.OpenFile(corrupt, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff, 0xff, 0xff, 0x00}, 2048)
	f.Close()
	before, _ := os.ReadFile(corrupt)
	cases := []struct {
		name   string
		args   []string
		status int
		want   string
	}{
		{"not ext2", []string{"--volume-disk", notExt2 + ":/data"}, 2, "not an ext2 file system"},
		{"ext4", []string{"--volume-disk", ext4 + ":/data"}, 2, "extent"},
		{"relative guest path", []string{"--volume-disk", notExt2 + ":data"}, 2, "is not absolute"},
		{"duplicate guest path", []string{"--volume-disk", filepath.Join(dir, "a.img") + ":/data", "--volume-disk", filepath.Join(dir, "b.img") + ":/data"}, 2, "already used"},
		{"missing directory", []string{"--volume-disk", filepath.Join(dir, "no/such/dir/v.img") + ":/data"}, 2, "does not exist"},
		{"bad option", []string{"--volume-disk", notExt2 + ":/data:rx"}, 2, "unknown option"},
		{"corrupt", []string{"--volume-disk", corrupt + ":/data"}, 111, "corrupt group descriptor 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"run", timeoutFlag()}, c.args...), img, "--", "walk", "/data")
			r := unigo(t, args...)
			if r.status != c.status || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want status %d and %q on stderr:\n%s", c.status, c.want, r.describe())
			}
		})
	}
	if after, _ := os.ReadFile(corrupt); !bytes.Equal(before, after) {
		t.Errorf("the refused volume was changed")
	}
	for _, p := range []string{"a.img", "b.img"} {
		if fileExists(filepath.Join(dir, p)) {
			t.Errorf("a refused command line created %s", p)
		}
	}
}

// TestFSDiffOnVolume runs test/programs/fsdiff (see TestFSDiff) on an ext2
// volume populated from the same tree by mke2fs -d: walking, reading,
// creating, renaming, linking, truncating, chmodding and removing on the
// volume prints what the Linux process prints on the host's copy.
func TestFSDiffOnVolume(t *testing.T) {
	setup(t)
	mkfs := e2tool(t, "mke2fs")
	dir := t.TempDir()
	nativeRoot := filepath.Join(dir, "native", "fstree")
	copyTree(t, "testdata/fstree", nativeRoot)
	// mke2fs makes lost+found (e2fsck wants it): the native tree gets one too.
	if err := os.Mkdir(filepath.Join(nativeRoot, "lost+found"), 0o700); err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(dir, "seed")
	copyTree(t, "testdata/fstree", seed)
	vol := filepath.Join(dir, "fstree.img")
	if out, err := exec.Command(mkfs, "-q", "-t", "ext2", "-d", seed, vol, "32M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs -d: %v\n%s", err, out)
	}
	img := image(t, "../programs/fsdiff")
	native := exec.Command("go", "run", "../programs/fsdiff", nativeRoot)
	want, err := native.Output()
	if err != nil {
		t.Fatalf("go run ../programs/fsdiff %s: %v\n%s", nativeRoot, err, want)
	}
	r := unigo(t, "run", timeoutFlag(), "--volume-disk", vol+":/fstree", img, "--", "/fstree")
	if r.status != 0 || r.stdout != string(want) {
		t.Errorf("unikernel output on the volume differs from the Linux process's%s\n--- want\n%s\n%s",
			firstDiff(string(want), r.stdout), want, r.describe())
	}
	fsckClean(t, vol)
}

// TestStdlibOnVolume runs the os package's tests with TMPDIR on an ext2
// volume (their t.TempDir trees are created, changed and removed there),
// then checks the volume with the host's e2fsck. The skipped tests are
// TestStdlibInGuest's (exec, sockets, host directories).
func TestStdlibOnVolume(t *testing.T) {
	setup(t)
	e2tool(t, "e2fsck")
	vol := filepath.Join(t.TempDir(), "tmp.img")
	skip := "^(TestProcessAlreadyDone|TestFileChdirTestlog|TestPidfdLeak|TestStdPipe|TestReadNonblockingFd|" +
		"TestProcessWithHandleLinux|TestKillFindProcess|TestGetppid|TestKillStartProcess|TestStatStdin|" +
		"TestStartProcess|TestExecutable|TestLargeCopyViaNetwork|TestSpliceFile|TestGetPollFDAndNetwork|TestSendFile|" +
		"TestChdirAndGetwd|TestReaddirnamesOneAtATime)$"
	r := unigo(t, "test", timeoutFlag(), "-m", "512M", "-e", "TMPDIR=/scratch", "--volume-disk", vol+":/scratch:size=1G",
		"os", "--", "-test.short", "-test.skip", skip)
	if r.status != 0 || !strings.Contains(r.stdout, "ok  \tos") {
		t.Errorf("unigo test os on a volume failed:\n%s", r.describe())
	}
	fsckClean(t, vol)
}
