// Command share exercises a host share (unigo run -v) from the guest. Its
// e2e test (test/e2e/share_test.go) prepares the host directory, runs it,
// and checks both its output and what the host sees afterwards.
//
// Usage: share rw DIR | ro DIR | escape DIR
//
//	rw      reads host files (a small one, a large one by hash), writes
//	        out.bin (a 300000-byte pattern, larger than one 9P message),
//	        makes, renames, lists, stats and removes files, directories,
//	        symbolic and hard links, so the host can check the results.
//	ro      tries to change a read-only share: every change is EROFS.
//	escape  tries to leave the share: "..", absolute and relative
//	        symbolic links must stay in the guest's own namespace.
//
// Each line is "what: result"; errors print as their errno name.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: share rw|ro|escape DIR")
		os.Exit(2)
	}
	dir := os.Args[2]
	switch os.Args[1] {
	case "rw":
		readWrite(dir)
	case "ro":
		readOnly(dir)
	case "escape":
		escape(dir)
	default:
		fmt.Fprintln(os.Stderr, "share: unknown mode", os.Args[1])
		os.Exit(2)
	}
	fmt.Println("share: done")
}

// errName prints an error as its errno name ("ok" for nil).
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		switch en {
		case syscall.ENOENT:
			return "ENOENT"
		case syscall.EROFS:
			return "EROFS"
		case syscall.EEXIST:
			return "EEXIST"
		case syscall.ENOTEMPTY:
			return "ENOTEMPTY"
		case syscall.EACCES:
			return "EACCES"
		case syscall.EPERM:
			return "EPERM"
		case syscall.EXDEV:
			return "EXDEV"
		case syscall.EINVAL:
			return "EINVAL"
		}
		return fmt.Sprintf("errno %d", int(en))
	}
	return err.Error()
}

func say(what string, v ...any) { fmt.Println(what+":", fmt.Sprint(v...)) }

func readWrite(dir string) {
	p := func(name string) string { return filepath.Join(dir, name) }

	b, err := os.ReadFile(p("hello.txt"))
	say("read hello.txt", string(bytes.TrimSpace(b)), " ", errName(err))

	f, err := os.Open(p("big.bin"))
	if err == nil {
		h := sha256.New()
		n, err2 := io.Copy(h, f)
		f.Close()
		say("read big.bin", n, " bytes sha256 ", fmt.Sprintf("%x", h.Sum(nil)), " ", errName(err2))
	} else {
		say("read big.bin", errName(err))
	}
	// A read at an offset that straddles message boundaries.
	if f, err := os.Open(p("big.bin")); err == nil {
		buf := make([]byte, 200000)
		n, err := f.ReadAt(buf, 100001)
		f.Close()
		sum := sha256.Sum256(buf[:n])
		say("pread big.bin", n, " bytes sha256 ", fmt.Sprintf("%x", sum), " ", errName(err))
	}

	pattern := make([]byte, 300000)
	for i := range pattern {
		pattern[i] = byte(i*7 + i/251)
	}
	say("write out.bin", errName(os.WriteFile(p("out.bin"), pattern, 0o640)))
	if st, err := os.Stat(p("out.bin")); err == nil {
		say("stat out.bin", st.Size(), " ", st.Mode())
	}
	f, err = os.OpenFile(p("out.bin"), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.WriteString("tail")
		err = errors.Join(err, f.Sync(), f.Close())
	}
	say("append out.bin", errName(err))

	say("mkdir newdir", errName(os.Mkdir(p("newdir"), 0o750)))
	say("write newdir/a.txt", errName(os.WriteFile(p("newdir/a.txt"), []byte("in a new dir\n"), 0o644)))
	say("rename newdir renamed", errName(os.Rename(p("newdir"), p("renamed"))))
	say("mkdir existing", errName(os.Mkdir(p("renamed"), 0o755)))
	say("rmdir non-empty", errName(syscall.Rmdir(p("renamed"))))
	say("symlink link", errName(os.Symlink("hello.txt", p("link"))))
	t, err := os.Readlink(p("link"))
	say("readlink link", t, " ", errName(err))
	b, err = os.ReadFile(p("link"))
	say("read via link", string(bytes.TrimSpace(b)), " ", errName(err))
	say("hard link", errName(os.Link(p("hello.txt"), p("hard.txt"))))
	if st, err := os.Stat(p("hello.txt")); err == nil {
		say("nlink hello.txt", st.Sys().(*syscall.Stat_t).Nlink)
	}
	say("remove remove-me.txt", errName(os.Remove(p("remove-me.txt"))))
	_, err = os.Stat(p("remove-me.txt"))
	say("stat removed", errName(err))
	say("chmod mode.txt", errName(os.Chmod(p("mode.txt"), 0o600)))
	if st, err := os.Stat(p("mode.txt")); err == nil {
		say("mode mode.txt", st.Mode())
	}
	say("truncate trunc.txt", errName(os.Truncate(p("trunc.txt"), 5)))

	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name()+typeMark(e.Type()))
	}
	slices.Sort(names)
	say("readdir", strings.Join(names, " "), " ", errName(err))

	// Many entries: listing takes several Treaddir requests.
	ents, err = os.ReadDir(p("many"))
	say("readdir many", len(ents), " entries ", errName(err))

	var st syscall.Statfs_t
	err = syscall.Statfs(dir, &st)
	say("statfs type", fmt.Sprintf("%#x", st.Type), " ", errName(err))

	say("remove renamed/a.txt", errName(os.Remove(p("renamed/a.txt"))))
	say("rmdir renamed", errName(os.Remove(p("renamed"))))
	_, err = os.Stat(p("renamed"))
	say("stat rmdir'd", errName(err))
}

func typeMark(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "/"
	case m&fs.ModeSymlink != 0:
		return "@"
	}
	return ""
}

func readOnly(dir string) {
	p := func(name string) string { return filepath.Join(dir, name) }
	b, err := os.ReadFile(p("hello.txt"))
	say("read hello.txt", string(bytes.TrimSpace(b)), " ", errName(err))
	say("create", errName(os.WriteFile(p("new.txt"), []byte("x"), 0o644)))
	_, err = os.OpenFile(p("hello.txt"), os.O_WRONLY, 0)
	say("open for writing", errName(err))
	say("mkdir", errName(os.Mkdir(p("d"), 0o755)))
	say("remove", errName(os.Remove(p("hello.txt"))))
	say("rename", errName(os.Rename(p("hello.txt"), p("moved.txt"))))
	say("chmod", errName(os.Chmod(p("hello.txt"), 0o600)))
	say("symlink", errName(os.Symlink("x", p("l"))))
}

// guestPasswd is the /etc/passwd the kernel makes when the image has none.
const guestPasswd = "root:x:0:0:root:/root:/bin/sh\n"

func escape(dir string) {
	p := func(name string) string { return filepath.Join(dir, name) }
	show := func(what, path string) {
		b, err := os.ReadFile(path)
		switch {
		case err != nil:
			say(what, errName(err))
		case strings.HasPrefix(string(b), guestPasswd):
			say(what, "guest file")
		default:
			say(what, "HOST FILE (", len(b), " bytes)")
		}
	}
	// String paths with ".." are cleaned by filepath.Join: build them raw.
	show("read "+dir+"/../../etc/passwd", dir+"/../../etc/passwd")
	show("read "+dir+"/../../../../../../etc/passwd", dir+"/../../../../../../etc/passwd")
	show("read escape/passwd (escape -> /etc)", p("escape")+"/passwd")
	show("read up/etc/passwd (up -> ../../../../..)", p("up")+"/etc/passwd")
	show("read secret (-> host path outside the share)", p("secret"))

	// The parent of the share's root is the guest's directory above it.
	ents, err := os.ReadDir(dir + "/..")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	say("share root's parent has dev, proc, etc", slices.Contains(names, "dev") && slices.Contains(names, "proc") &&
		slices.Contains(names, "etc"), " ", errName(err))
	wd, _ := os.Getwd()
	err = os.Chdir(dir)
	if err == nil {
		err = os.Chdir("../..")
		cwd, _ := os.Getwd()
		say("chdir share/../..", cwd)
		os.Chdir(wd)
	}
	say("chdir", errName(err))
	// Writing through an absolute link lands in the guest (tmpesc -> /tmp;
	// the test checks that the host's /tmp did not get the file).
	err = os.WriteFile(p("tmpesc")+"/unigo-9p-escape-test", []byte("guest"), 0o644)
	say("write through tmpesc (-> /tmp)", errName(err))
	_, err = os.Stat("/tmp/unigo-9p-escape-test")
	say("it is in the guest's /tmp", errName(err))
}
