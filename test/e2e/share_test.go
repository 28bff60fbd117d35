package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Host shares (unigo run -v, virtio-9p): test/programs/share reads, writes
// and changes a host directory from the guest; the host then checks what it
// sees. On microvm (virtio-mmio) and q35 (virtio-pci, MSI-X).

// shareTree fills dir with the files test/programs/share expects and
// returns big.bin's content.
func shareTree(t *testing.T, dir string) []byte {
	t.Helper()
	big := make([]byte, 1<<20+12345)
	rand.New(rand.NewSource(9)).Read(big)
	files := map[string]string{
		"hello.txt":     "hello from the host\n",
		"remove-me.txt": "bye\n",
		"mode.txt":      "mode\n",
		"trunc.txt":     "0123456789",
		"big.bin":       string(big),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "many"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		name := filepath.Join(dir, "many", fmt.Sprintf("file-with-a-longish-name-%03d.txt", i))
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return big
}

func sharePattern() []byte {
	p := make([]byte, 300000)
	for i := range p {
		p[i] = byte(i*7 + i/251)
	}
	return p
}

// need9p skips while the kernel source has no 9P file-system driver (the
// driver lands separately from these tests; remove with it).
func need9p(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("../../kernel/fs/p9/fs.go"); err != nil {
		t.Skip("the 9P driver (kernel/fs/p9/fs.go) has not landed yet")
	}
}

func TestShare(t *testing.T) {
	need9p(t)
	img := image(t, "../programs/share")
	for _, machine := range []string{"microvm", "q35"} {
		t.Run(machine, func(t *testing.T) {
			dir := t.TempDir()
			big := shareTree(t, dir)
			r := unigo(t, "run", timeoutFlag(), "--machine", machine, "-v", dir+":/data", img, "--", "rw", "/data")

			bigSum := sha256.Sum256(big)
			partSum := sha256.Sum256(big[100001 : 100001+200000])
			want := strings.Join([]string{
				"read hello.txt: hello from the host ok",
				fmt.Sprintf("read big.bin: %d bytes sha256 %x ok", len(big), bigSum),
				fmt.Sprintf("pread big.bin: 200000 bytes sha256 %x ok", partSum),
				"write out.bin: ok",
				"stat out.bin: 300000 -rw-r-----",
				"append out.bin: ok",
				"mkdir newdir: ok",
				"write newdir/a.txt: ok",
				"rename newdir renamed: ok",
				"mkdir existing: EEXIST",
				"rmdir non-empty: ENOTEMPTY",
				"symlink link: ok",
				"readlink link: hello.txt ok",
				"read via link: hello from the host ok",
				"hard link: ok",
				"nlink hello.txt: 2",
				"remove remove-me.txt: ok",
				"stat removed: ENOENT",
				"chmod mode.txt: ok",
				"mode mode.txt: -rw-------",
				"truncate trunc.txt: ok",
				"readdir: big.bin hard.txt hello.txt link@ many/ mode.txt out.bin renamed/ trunc.txt ok",
				"readdir many: 300 entries ok",
				"statfs type: 0x1021997 ok",
				"remove renamed/a.txt: ok",
				"rmdir renamed: ok",
				"stat rmdir'd: ENOENT",
				"share: done",
			}, "\n") + "\n"
			if r.status != 0 || r.stdout != want {
				t.Fatalf("share program%s\n%s\nwant stdout:\n%s", firstDiff(want, r.stdout), r.describe(), want)
			}

			// What the host sees.
			out, err := os.ReadFile(filepath.Join(dir, "out.bin"))
			if err != nil || !bytes.Equal(out, append(sharePattern(), "tail"...)) {
				t.Errorf("host's out.bin: %d bytes, %v; want the guest's 300004 bytes byte for byte", len(out), err)
			}
			checkMode(t, filepath.Join(dir, "out.bin"), 0o640)
			checkMode(t, filepath.Join(dir, "mode.txt"), 0o600)
			if target, err := os.Readlink(filepath.Join(dir, "link")); err != nil || target != "hello.txt" {
				t.Errorf("host's link: %q, %v; want a symbolic link to hello.txt", target, err)
			}
			if a, b := inode(t, filepath.Join(dir, "hello.txt")), inode(t, filepath.Join(dir, "hard.txt")); a != b {
				t.Errorf("host's hard.txt is inode %d, hello.txt %d: want one file", b, a)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "trunc.txt")); string(b) != "01234" {
				t.Errorf("host's trunc.txt = %q, %v; want \"01234\"", b, err)
			}
			for _, gone := range []string{"remove-me.txt", "newdir", "renamed"} {
				if _, err := os.Lstat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
					t.Errorf("host still has %s (%v): the guest removed it", gone, err)
				}
			}
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != want {
		t.Errorf("host's %s: mode %v, %v; want %v", filepath.Base(path), st.Mode().Perm(), err, want)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestShareReadOnly: every change to a :ro share fails with EROFS and the
// host directory is unchanged.
func TestShareReadOnly(t *testing.T) {
	need9p(t)
	img := image(t, "../programs/share")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("read only\n"), 0o644)
	r := unigo(t, "run", timeoutFlag(), "-v", dir+":/data:ro", img, "--", "ro", "/data")
	want := strings.Join([]string{
		"read hello.txt: read only ok",
		"create: EROFS",
		"open for writing: EROFS",
		"mkdir: EROFS",
		"remove: EROFS",
		"rename: EROFS",
		"chmod: EROFS",
		"symlink: EROFS",
		"share: done",
	}, "\n") + "\n"
	if r.status != 0 || r.stdout != want {
		t.Fatalf("share program%s\n%s\nwant stdout:\n%s", firstDiff(want, r.stdout), r.describe(), want)
	}
	ents, _ := os.ReadDir(dir)
	checkMode(t, filepath.Join(dir, "hello.txt"), 0o644)
	if len(ents) != 1 {
		t.Errorf("the read-only share changed on the host: %v", ents)
	}
}

// TestShareEscape: the guest cannot reach host files outside the share
// through "..", absolute symbolic links (escape -> /etc, resolved in the
// guest: the guest's /etc) or relative ones climbing out of the share.
func TestShareEscape(t *testing.T) {
	need9p(t)
	img := image(t, "../programs/share")
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("host secret\n"), 0o644)
	for name, target := range map[string]string{
		"escape": "/etc",
		"up":     "../../../../..",
		"secret": secret,
		"tmpesc": "/tmp",
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	const hostProbe = "/tmp/unigo-9p-escape-test"
	if _, err := os.Lstat(hostProbe); err == nil {
		t.Fatalf("%s exists on the host before the test: remove it", hostProbe)
	}
	r := unigo(t, "run", timeoutFlag(), "-v", dir+":/data", img, "--", "escape", "/data")
	want := strings.Join([]string{
		"read /data/../../etc/passwd: guest file",
		"read /data/../../../../../../etc/passwd: guest file",
		"read escape/passwd (escape -> /etc): guest file",
		"read up/etc/passwd (up -> ../../../../..): guest file",
		"read secret (-> host path outside the share): ENOENT",
		"share root's parent has dev, proc, etc: true ok",
		"chdir share/../..: /",
		"chdir: ok",
		"write through tmpesc (-> /tmp): ok",
		"it is in the guest's /tmp: ok",
		"share: done",
	}, "\n") + "\n"
	if r.status != 0 || r.stdout != want {
		t.Errorf("share program%s\n%s\nwant stdout:\n%s", firstDiff(want, r.stdout), r.describe(), want)
	}
	if _, err := os.Lstat(hostProbe); err == nil {
		os.Remove(hostProbe)
		t.Errorf("the guest wrote %s on the host through a symbolic link in the share", hostProbe)
	}
}

// TestFSDiffShare runs the file-system differential (TestFSDiff's program)
// on a host share instead of the guest's ramfs: the guest's output on
// /data/fstree must equal a Linux process's on a copy of the same tree.
func TestFSDiffShare(t *testing.T) {
	need9p(t)
	img := image(t, "../programs/fsdiff")
	dir := t.TempDir()
	nativeRoot := filepath.Join(dir, "native", "fstree")
	copyTree(t, "testdata/fstree", nativeRoot)
	share := filepath.Join(dir, "share")
	copyTree(t, "testdata/fstree", filepath.Join(share, "fstree"))
	want, err := exec.Command("go", "run", "../programs/fsdiff", nativeRoot).Output()
	if err != nil {
		t.Fatalf("go run ../programs/fsdiff %s: %v\n%s", nativeRoot, err, want)
	}
	r := unigo(t, "run", timeoutFlag(), "-v", share+":/data", img, "--", "/data/fstree")
	if r.status != 0 || r.stdout != string(want) {
		t.Errorf("unikernel output on a 9p share differs from the Linux process's%s\n--- want (go run ../programs/fsdiff %s)\n%s\n%s",
			firstDiff(string(want), r.stdout), nativeRoot, want, r.describe())
	}
}
