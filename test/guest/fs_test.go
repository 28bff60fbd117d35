package guest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

func TestFileReadWriteSeek(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("hello, world"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(7, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "world" {
		t.Errorf("read after seek = %q, %v", buf, err)
	}
	if _, err := f.WriteAt([]byte("W"), 7); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(buf, 7); err != nil || string(buf) != "World" {
		t.Errorf("ReadAt = %q, %v", buf, err)
	}
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "hello" {
		t.Errorf("after truncate: %q", b)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode() != 0o640 || fi.Size() != 5 {
		t.Errorf("stat = %v, %v", fi, err)
	}
	if _, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("O_EXCL on an existing file = %v", err)
	}
	// Append.
	a, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.WriteString("!!")
	a.Close()
	if b, _ := os.ReadFile(p); string(b) != "hello!!" {
		t.Errorf("after append: %q", b)
	}
	// A big file crosses many pages.
	big := bytes.Repeat([]byte("0123456789"), 100000)
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "big")); !bytes.Equal(got, big) {
		t.Error("big file round trip differs")
	}
}

func TestDirectoriesRenameLinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a/b/c"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a/b/c/f"), []byte("F"), 0o644)
	if err := os.Symlink("b/c/f", filepath.Join(dir, "a/link")); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "a/link")); err != nil || target != "b/c/f" {
		t.Errorf("readlink = %q, %v", target, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a/link")); err != nil || string(b) != "F" {
		t.Errorf("read through symlink = %q, %v", b, err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "a/link")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("lstat of a symlink = %v, %v", fi, err)
	}
	if err := os.Link(filepath.Join(dir, "a/b/c/f"), filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "hard")); fi.Sys().(*syscall.Stat_t).Nlink != 2 {
		t.Errorf("nlink after link = %d", fi.Sys().(*syscall.Stat_t).Nlink)
	}
	if err := os.Rename(filepath.Join(dir, "a/b"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "moved/c/f")); err != nil {
		t.Errorf("after renaming a directory: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "moved")); err == nil {
		t.Error("removed a non-empty directory")
	}
	var walked []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", p, err)
		}
		rel, _ := filepath.Rel(dir, p)
		walked = append(walked, rel)
		return nil
	})
	sort.Strings(walked)
	want := ". a a/link hard moved moved/c moved/c/f"
	if got := strings.Join(walked, " "); got != want {
		t.Errorf("walk = %s; want %s", got, want)
	}
	if err := os.RemoveAll(filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "moved")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after RemoveAll: %v", err)
	}
}

func TestUnlinkWhileOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("still here"), 0o644)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(f); err != nil || string(b) != "still here" {
		t.Errorf("read after unlink = %q, %v", b, err)
	}
}

func TestChdirGetwd(t *testing.T) {
	dir := t.TempDir()
	old, _ := os.Getwd()
	defer os.Chdir(old)
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("rel", []byte("r"), 0o644)
	if b, err := os.ReadFile(filepath.Join(dir, "rel")); err != nil || string(b) != "r" {
		t.Errorf("relative create in the new cwd: %q, %v", b, err)
	}
	wd, err := os.Getwd()
	real, _ := filepath.EvalSymlinks(dir)
	if err != nil || (wd != dir && wd != real) {
		t.Errorf("Getwd = %q, %v; want %q", wd, err, dir)
	}
}

func TestDevices(t *testing.T) {
	if err := os.WriteFile("/dev/null", []byte("gone"), 0); err != nil {
		t.Errorf("write /dev/null: %v", err)
	}
	if b, err := os.ReadFile("/dev/null"); err != nil || len(b) != 0 {
		t.Errorf("read /dev/null = %q, %v", b, err)
	}
	z, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	buf := []byte{1, 2, 3}
	if _, err := z.Read(buf); err != nil || buf[0]|buf[1]|buf[2] != 0 {
		t.Errorf("read /dev/zero = %v, %v", buf, err)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("stat /dev/null = %v, %v", fi, err)
	}
}

func TestProcSelf(t *testing.T) {
	exe, err := os.Executable()
	if err != nil || exe == "" {
		t.Errorf("os.Executable = %q, %v", exe, err)
	}
	b, err := os.ReadFile("/proc/self/cmdline")
	if err != nil || !bytes.HasPrefix(b, []byte(os.Args[0])) {
		t.Errorf("/proc/self/cmdline = %q, %v", b, err)
	}
	if b, err := os.ReadFile("/proc/self/maps"); err != nil || !bytes.Contains(b, []byte("r-xp")) {
		t.Errorf("/proc/self/maps lacks an executable mapping: %v", err)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err != nil || !bytes.HasPrefix(b, []byte("MemTotal:")) {
		t.Errorf("/proc/meminfo = %.40q, %v", b, err)
	}
	f, _ := os.Open("/proc/self/status")
	defer f.Close()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil || len(ents) < 3 {
		t.Errorf("/proc/self/fd has %d entries, %v", len(ents), err)
	}
}

func TestRegularFileNotPollable(t *testing.T) {
	f, err := os.CreateTemp("", "poll")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(f.Fd()), &ev); err != syscall.EPERM {
		t.Errorf("epoll_ctl on a regular file = %v; want EPERM", err)
	}
}

// TestDeletedFilesFreeMemory: writing and deleting files does not leak
// memory (ramfs gives pages back when the last name and descriptor go).
func TestDeletedFilesFreeMemory(t *testing.T) {
	free := func() uint64 {
		var si syscall.Sysinfo_t
		syscall.Sysinfo(&si)
		return si.Freeram * uint64(si.Unit)
	}
	dir := t.TempDir()
	data := bytes.Repeat([]byte("m"), 4<<20)
	p := filepath.Join(dir, "f")
	os.WriteFile(p, data, 0o644) // warm up
	os.Remove(p)
	before := free()
	for i := 0; i < 20; i++ { // 80 MiB written in total
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	after := free()
	if before > after && before-after > 16<<20 {
		t.Errorf("free memory fell by %d MiB after writing and deleting 80 MiB", (before-after)>>20)
	}
}
