// Command fsdiff exercises the file system through the standard library:
// it reads a prepared tree (test/e2e/testdata/fstree), renders text/template
// files from it, walks an embed.FS, and then creates, appends, seeks,
// truncates, renames, links, symlinks, chmods, lists and removes files and
// directories in a scratch directory of that tree, including the error
// cases of each.
//
// Usage: fsdiff ROOT. It touches nothing outside ROOT (os.CreateTemp and
// os.MkdirTemp get a directory under ROOT), and leaves ROOT as it found it.
//
// Its standard output is deterministic: the same bytes as a Linux process on
// ext4 or tmpfs and as a unigo unikernel on its ramfs root. So it prints
// names (relative to ROOT), sizes of regular files and symbolic links,
// modes (fs.FileMode.String), link counts of regular files, contents and
// error kinds (the errno by name, and which of fs.ErrNotExist/ErrExist/
// ErrPermission it is), and never what differs between file systems or
// runs: inode numbers, timestamps it did not set itself, block counts,
// sizes and link counts of directories (btrfs says 1, ext4 2+subdirs, and
// directory sizes are file-system specific), the random part of temporary
// names, or absolute host paths (ROOT is printed as $ROOT). It sets its own
// umask (022) so that the modes of new files do not depend on the caller's.
// Nothing relies on permission checks: the native run may be root.
//
// It ends with "fsdiff: ok" and exit status 0; an unexpected failure prints
// "FAIL: ..." and exits 1.
package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/template"
	"time"
	"unsafe"
)

//go:embed embedded
var embedded embed.FS

var (
	root    string // absolute, symbolic links resolved
	scratch string // root/scratch
	failed  bool
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fsdiff ROOT")
		os.Exit(2)
	}
	r, err := filepath.Abs(os.Args[1])
	must(err, "abs")
	root, err = filepath.EvalSymlinks(r)
	must(err, "evalsymlinks")
	scratch = filepath.Join(root, "scratch")
	if _, err := os.Lstat(scratch); !errors.Is(err, fs.ErrNotExist) {
		fail("%s exists already (%v): run on a fresh copy of the tree", rel(scratch), kind(err))
	}
	syscall.Umask(0o022)

	before := walkTree()
	sections := []struct {
		name string
		run  func()
	}{
		{"tree", func() { fmt.Print(before) }},
		{"read", readTree},
		{"dirs", dirs},
		{"template", templates},
		{"embed", embedFS},
		{"write", writeAppend},
		{"seek", seekReadWriteAt},
		{"truncate", truncate},
		{"rename", rename},
		{"symlink", symlinks},
		{"link", hardLinks},
		{"chmod", chmod},
		{"times", chtimes},
		{"open", openFlags},
		{"fd", descriptors},
		{"readdir", readDir},
		{"temp", temp},
		{"copy", copies},
		{"names", names},
		{"cwd", cwd},
		{"dirfs", dirFS},
		{"osroot", osRoot},
		{"walk", func() { fmt.Print(walkTree()) }},
		{"remove", remove},
	}
	for _, s := range sections {
		fmt.Printf("== %s\n", s.name)
		s.run()
	}
	fmt.Println("== restored")
	after := walkTree()
	check("tree as before", after == before)
	if failed {
		os.Exit(1)
	}
	fmt.Println("fsdiff: ok")
}

// ---- helpers

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func must(err error, what string) {
	if err != nil {
		fail("%s: %v", what, strip(err.Error()))
	}
}

func check(name string, ok bool) {
	fmt.Printf("%s: %v\n", name, ok)
	if !ok {
		failed = true
		fmt.Printf("FAIL: %s\n", name)
	}
}

// strip replaces the root in s by $ROOT.
func strip(s string) string { return strings.ReplaceAll(s, root, "$ROOT") }

// longName is a name of the maximum length (NAME_MAX, 255 bytes).
var longName = strings.Repeat("n", 255)

// rel names p relative to the root, as written (not cleaned), with
// longName shortened to "<255 n>".
func rel(p string) string {
	switch {
	case p == root:
		p = "."
	case strings.HasPrefix(p, root+"/"):
		p = p[len(root)+1:]
	default:
		p = strip(p)
	}
	return strings.ReplaceAll(p, longName, "<255 n>")
}

// s names p in the scratch directory. It joins without cleaning, so that
// "..", "." and trailing slashes reach the kernel as written.
func s(p ...string) string { return scratch + "/" + strings.Join(p, "/") }

var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.EBADF: "EBADF",
	syscall.EACCES: "EACCES", syscall.EEXIST: "EEXIST", syscall.EXDEV: "EXDEV",
	syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR", syscall.EINVAL: "EINVAL",
	syscall.EFBIG: "EFBIG", syscall.ENOSPC: "ENOSPC", syscall.ESPIPE: "ESPIPE",
	syscall.EROFS: "EROFS", syscall.EMLINK: "EMLINK", syscall.ENAMETOOLONG: "ENAMETOOLONG",
	syscall.ENOTEMPTY: "ENOTEMPTY", syscall.ELOOP: "ELOOP", syscall.ENOSYS: "ENOSYS",
	syscall.EOPNOTSUPP: "EOPNOTSUPP", syscall.EBUSY: "EBUSY", syscall.ETXTBSY: "ETXTBSY",
	syscall.EFAULT: "EFAULT", syscall.EAGAIN: "EAGAIN", syscall.ENXIO: "ENXIO",
	syscall.EOVERFLOW: "EOVERFLOW",
}

// kind describes an error by what a program can test: the errno by name
// and the fs error it matches, or the message (root stripped) otherwise.
func kind(err error) string {
	if err == nil {
		return "ok"
	}
	var b strings.Builder
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		if n, ok := errnoNames[errno]; ok {
			b.WriteString(n)
		} else {
			fmt.Fprintf(&b, "errno %d (%v)", int(errno), errno)
		}
	case err == io.EOF:
		return "EOF"
	default:
		return "error " + strip(err.Error())
	}
	for _, e := range []struct {
		err  error
		name string
	}{{fs.ErrNotExist, "not-exist"}, {fs.ErrExist, "exist"}, {fs.ErrPermission, "permission"}} {
		if errors.Is(err, e.err) {
			b.WriteString(" " + e.name)
		}
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		fmt.Fprintf(&b, " [%s %s]", pe.Op, rel(pe.Path))
	case errors.As(err, &le):
		fmt.Fprintf(&b, " [%s %s %s]", le.Op, rel(le.Old), rel(le.New))
	}
	return b.String()
}

// try prints what and the kind of err.
func try(what string, err error) { fmt.Printf("%s: %s\n", what, kind(err)) }

// describe prints the deterministic facts of fi: the mode; for regular
// files the size and link count; for symbolic links the size (the length
// of the target; for a link to an absolute name under the root, which is
// longer natively than in the guest, the length past the root).
func describe(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return fmt.Sprintf("%v size=%d nlink=%d", m, fi.Size(), nlink(fi))
	case m&fs.ModeSymlink != 0:
		if absLinks[fi.Name()] {
			return fmt.Sprintf("%v size=len($ROOT)+%d", m, fi.Size()-int64(len(root)))
		}
		return fmt.Sprintf("%v size=%d", m, fi.Size())
	}
	return m.String()
}

// absLinks names the symbolic links the program makes to absolute names
// under the root.
var absLinks = map[string]bool{"abs": true, "outside-abs": true}

func nlink(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

func stat(p string) {
	fi, err := os.Stat(p)
	if err != nil {
		fmt.Printf("stat %s: %s\n", rel(p), kind(err))
		return
	}
	fmt.Printf("stat %s: %s\n", rel(p), describe(fi))
}

func lstat(p string) {
	fi, err := os.Lstat(p)
	if err != nil {
		fmt.Printf("lstat %s: %s\n", rel(p), kind(err))
		return
	}
	fmt.Printf("lstat %s: %s\n", rel(p), describe(fi))
}

func content(p string) {
	b, err := os.ReadFile(p)
	if err != nil {
		fmt.Printf("read %s: %s\n", rel(p), kind(err))
		return
	}
	fmt.Printf("read %s: %s\n", rel(p), show(b))
}

// show quotes b, or summarizes it when it is long.
func show(b []byte) string {
	if len(b) <= 80 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes sha256=%x head=%q tail=%q", len(b), sha256.Sum256(b), b[:16], b[len(b)-16:])
}

func write(p, data string) { must(os.WriteFile(p, []byte(data), 0o644), "write "+rel(p)) }

// ls prints os.ReadDir of p: names with their type bits.
func ls(p string) {
	ents, err := os.ReadDir(p)
	if err != nil {
		fmt.Printf("ls %s: %s\n", rel(p), kind(err))
		return
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case e.IsDir():
			n += "/"
		case e.Type()&fs.ModeSymlink != 0:
			n += "@"
		}
		names = append(names, n)
	}
	fmt.Printf("ls %s: [%s]\n", rel(p), strings.Join(names, " "))
}

// walkTree describes the whole tree under the root with filepath.WalkDir
// (lexical order): every entry's type and mode, sizes and contents of
// regular files, targets of symbolic links.
func walkTree() string {
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(&b, "%s: walk error %s\n", rel(p), kind(err))
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			fmt.Fprintf(&b, "%s: info %s\n", rel(p), kind(err))
			return nil
		}
		if d.Type() != fi.Mode().Type() {
			fmt.Fprintf(&b, "%s: FAIL: DirEntry type %v, Info type %v\n", rel(p), d.Type(), fi.Mode().Type())
			failed = true
		}
		fmt.Fprintf(&b, "%s %s", rel(p), describe(fi))
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintf(&b, " read %s", kind(err))
			} else {
				fmt.Fprintf(&b, " %s", show(data))
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			fmt.Fprintf(&b, " -> %q %s", strip(t), kind(err))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		fmt.Fprintf(&b, "walk: %s\n", kind(err))
	}
	return b.String()
}

// ---- sections

func readTree() {
	j := func(p string) string { return root + "/" + p } // not cleaned: ".." after a link is the kernel's
	content(j("a/one.txt"))
	content(j("link-one"))
	content(j("link-dir/two.txt"))
	content(j("a/up-link"))
	content(j("a/b/../one.txt"))
	content(j("./a/./b/c/three.txt"))
	content(j("link-dir/../one.txt")) // .. after a symlink goes up from its target: a/one.txt
	content(j("data/empty.txt"))
	content(j("dangling"))
	content(j("a"))               // a directory: EISDIR from read
	content(j("a/one.txt/x"))     // ENOTDIR
	content(j("a/one.txt/"))      // trailing slash on a file: ENOTDIR
	content(j("nonexistent.txt")) // ENOENT
	for _, p := range []string{"link-one", "link-dir", "dangling", "a", "bin/tool.sh", "link-dir/", "a/b/c"} {
		stat(j(p))
		lstat(j(p))
	}
	for _, p := range []string{"link-one", "link-dir", "dangling", "a/up-link", "a/one.txt", "a", "missing"} {
		t, err := os.Readlink(j(p))
		fmt.Printf("readlink %s: %q %s\n", p, t, kind(err))
	}
	for _, p := range []string{".", "a", "a/b", "link-dir", "names", "data", "a/one.txt", "missing"} {
		ls(j(p))
	}
	f, err := os.Open(j("data/numbers.txt"))
	must(err, "open numbers")
	buf := make([]byte, 10)
	n, err := io.ReadFull(f, buf)
	fmt.Printf("readfull numbers: %d %q %s\n", n, buf[:n], kind(err))
	rest, err := io.ReadAll(f)
	fmt.Printf("readall rest: %d bytes, last line %q %s\n", len(rest), rest[bytes.LastIndexByte(rest[:len(rest)-1], '\n')+1:], kind(err))
	n, err = f.Read(buf)
	fmt.Printf("read at EOF: %d %s\n", n, kind(err))
	fi, err := f.Stat()
	must(err, "fstat")
	fmt.Printf("fstat numbers: %s name=%s\n", describe(fi), fi.Name())
	f.Close()
	_, err = f.Read(buf)
	fmt.Printf("read after close: %s\n", kind(err))

	d, err := os.Open(j("a"))
	must(err, "open dir")
	n, err = d.Read(buf)
	fmt.Printf("read on a directory fd: %d %s\n", n, kind(err))
	d.Close()
}

type item struct {
	Name  string
	Count int
}

func templates() {
	data := map[string]any{
		"Name":  "Gopher",
		"Admin": false,
		"Items": []item{{"apple", 3}, {"pear", 1}, {"fig", 12}},
	}
	t, err := template.ParseFiles(filepath.Join(root, "templates/greet.tmpl"), filepath.Join(root, "templates/item.tmpl"))
	must(err, "ParseFiles")
	fmt.Printf("templates: %s\n", defined(t))
	var b strings.Builder
	must(t.ExecuteTemplate(&b, "greet", data), "execute greet")
	fmt.Print(b.String())

	t2, err := template.ParseGlob(filepath.Join(root, "templates", "*.tmpl"))
	must(err, "ParseGlob")
	b.Reset()
	data["Admin"] = true
	must(t2.ExecuteTemplate(&b, "greet", data), "execute glob greet")
	fmt.Print(b.String())

	t3, err := template.ParseFS(os.DirFS(root), "templates/*.tmpl")
	must(err, "ParseFS DirFS")
	fmt.Printf("ParseFS(DirFS) name=%s %s\n", t3.Name(), defined(t3))

	_, err = template.ParseFiles(filepath.Join(root, "templates/missing.tmpl"))
	fmt.Printf("ParseFiles missing: %s\n", kind(err))

	// Write the output to a file and read it back.
	must(os.MkdirAll(s("out"), 0o755), "mkdir out")
	f, err := os.Create(s("out", "greet.txt"))
	must(err, "create greet.txt")
	must(t.ExecuteTemplate(f, "greet", data), "execute into file")
	must(f.Close(), "close")
	content(s("out", "greet.txt"))
}

// defined lists the templates of t, sorted (DefinedTemplates follows map
// order).
func defined(t *template.Template) string {
	var names []string
	for _, x := range t.Templates() {
		names = append(names, x.Name())
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

func embedFS() {
	err := fs.WalkDir(embedded, ".", func(p string, d fs.DirEntry, err error) error {
		must(err, "embed walk")
		fi, err := d.Info()
		must(err, "embed info")
		line := fmt.Sprintf("embed %s %v", p, fi.Mode())
		if !d.IsDir() {
			data, err := fs.ReadFile(embedded, p)
			must(err, "embed read")
			line += fmt.Sprintf(" size=%d %s", fi.Size(), show(data))
		}
		fmt.Println(line)
		return nil
	})
	must(err, "embed walk")
	matches, err := fs.Glob(embedded, "embedded/*/*")
	fmt.Printf("embed glob: %v %s\n", matches, kind(err))
	_, err = embedded.Open("embedded/.dotfile")
	fmt.Printf("embed dotfile: %s\n", kind(err))
	sub, err := fs.Sub(embedded, "embedded")
	must(err, "sub")
	t, err := template.ParseFS(sub, "tmpl/*.tmpl")
	must(err, "ParseFS embed")
	var b strings.Builder
	must(t.ExecuteTemplate(&b, "page", map[string]any{"Title": "Embedded", "Lines": []string{"a < b", "c & d"}}), "execute page")
	fmt.Print(b.String())

	// os.CopyFS writes the embedded tree to the file system: 0666 and 0777
	// minus the umask.
	must(os.CopyFS(s("embedcopy"), sub), "CopyFS")
	err = filepath.WalkDir(s("embedcopy"), func(p string, d fs.DirEntry, err error) error {
		must(err, "walk embedcopy")
		fi, err := d.Info()
		must(err, "info")
		fmt.Printf("copied %s %s\n", rel(p), describe(fi))
		return nil
	})
	must(err, "walk embedcopy")
	err = os.CopyFS(s("embedcopy"), sub)
	fmt.Printf("CopyFS again: %s\n", kind(err))
}

func dirs() {
	try("mkdir scratch", os.Mkdir(scratch, 0o755))
	stat(scratch)
	try("mkdir scratch again", os.Mkdir(scratch, 0o755))
	try("mkdirall x/y/z", os.MkdirAll(s("x/y/z"), 0o755))
	try("mkdirall x/y/z again", os.MkdirAll(s("x/y/z"), 0o755))
	try("mkdirall x/y", os.MkdirAll(s("x/y"), 0o700))
	stat(s("x/y"))
	try("mkdir x/y/z (exists)", os.Mkdir(s("x/y/z"), 0o755))
	try("mkdir nope/q (no parent)", os.Mkdir(s("nope/q"), 0o755))
	write(s("x/file"), "f\n")
	try("mkdirall x/file/sub (a file in the way)", os.MkdirAll(s("x/file/sub"), 0o755))
	try("mkdirall x/file (is a file)", os.MkdirAll(s("x/file"), 0o755))
	try("mkdir x/file (exists as file)", os.Mkdir(s("x/file"), 0o755))
	try("mkdir x/new/ (trailing slash)", os.Mkdir(s("x/new")+"/", 0o755))
	try("mkdir 0777", os.Mkdir(s("x/m777"), 0o777))
	try("mkdir 0700", os.Mkdir(s("x/m700"), 0o700))
	try("mkdir 0", os.Mkdir(s("x/m000"), 0))
	for _, p := range []string{"x/new", "x/m777", "x/m700", "x/m000"} {
		stat(s(p))
	}
	// Not root natively: walking the tree later must be able to open it.
	must(os.Chmod(s("x/m000"), 0o700), "chmod m000")
	syscall.Umask(0o077)
	try("mkdir under umask 077", os.Mkdir(s("x/u077"), 0o777))
	write(s("x/u077f"), "umask\n")
	syscall.Umask(0o022)
	stat(s("x/u077"))
	stat(s("x/u077f"))
	ls(s("x"))
}

func writeAppend() {
	p := s("w.txt")
	write(p, "hello\n")
	stat(p)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	must(err, "open append")
	n, err := f.WriteString("world\n")
	fmt.Printf("append: %d %s\n", n, kind(err))
	off, err := f.Seek(0, io.SeekStart)
	fmt.Printf("seek 0 on O_APPEND: %d %s\n", off, kind(err))
	n, err = f.WriteString("again\n") // O_APPEND: still at the end
	fmt.Printf("append after seek: %d %s\n", n, kind(err))
	off, err = f.Seek(0, io.SeekCurrent)
	fmt.Printf("offset after append: %d %s\n", off, kind(err))
	_, err = f.WriteAt([]byte("X"), 0)
	fmt.Printf("WriteAt on O_APPEND: %s\n", kind(err))
	// pwrite(2) on an O_APPEND descriptor appends on Linux, whatever the offset.
	rc, err := f.SyscallConn()
	must(err, "syscallconn")
	var pn int
	var perr error
	must(rc.Write(func(fd uintptr) bool {
		pn, perr = syscall.Pwrite(int(fd), []byte("P\n"), 0)
		return true
	}), "rawconn write")
	fmt.Printf("pwrite(0) on O_APPEND: %d %s\n", pn, kind(perr))
	buf := make([]byte, 4)
	_, err = f.Read(buf)
	fmt.Printf("read on O_WRONLY: %s\n", kind(err))
	must(f.Close(), "close")
	content(p)
	stat(p)

	// O_APPEND|O_CREATE of a new file, twice.
	for i := 0; i < 2; i++ {
		f, err := os.OpenFile(s("log.txt"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		must(err, "open log")
		fmt.Fprintf(f, "line %d\n", i)
		f.Close()
	}
	stat(s("log.txt"))
	content(s("log.txt"))

	// Two descriptors without O_APPEND overwrite each other.
	f1, err := os.OpenFile(p, os.O_RDWR, 0)
	must(err, "open f1")
	f2, err := os.OpenFile(p, os.O_RDWR, 0)
	must(err, "open f2")
	f1.WriteString("AAA")
	f2.WriteString("B")
	f1.WriteString("C")
	f1.Close()
	f2.Close()
	content(p)

	// os.Create truncates.
	f, err = os.Create(p)
	must(err, "create")
	fi, _ := f.Stat()
	fmt.Printf("after Create: %s\n", describe(fi))
	f.WriteString("fresh\n")
	f.Close()
	content(p)

	// A larger file, written in odd-sized pieces.
	big := make([]byte, 0, 300000)
	for i := 0; len(big) < 300000; i++ {
		big = fmt.Appendf(big, "%d,", i*7919)
	}
	f, err = os.Create(s("big.bin"))
	must(err, "create big")
	for rest := big; len(rest) > 0; {
		k := min(len(rest), 12345)
		if _, err := f.Write(rest[:k]); err != nil {
			fail("write big: %v", err)
		}
		rest = rest[k:]
	}
	must(f.Sync(), "fsync")
	must(f.Close(), "close big")
	got, err := os.ReadFile(s("big.bin"))
	must(err, "read big")
	check("big.bin reads back", bytes.Equal(got, big))
	content(s("big.bin"))
}

func seekReadWriteAt() {
	p := s("seek.txt")
	write(p, "0123456789abcdef")
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	must(err, "open seek")
	defer f.Close()
	seek := func(off int64, whence int) {
		names := []string{"start", "current", "end"}
		n, err := f.Seek(off, whence)
		fmt.Printf("seek %d %s: %d %s\n", off, names[whence], n, kind(err))
	}
	read := func(k int) {
		buf := make([]byte, k)
		n, err := f.Read(buf)
		fmt.Printf("read %d: %q %s\n", k, buf[:n], kind(err))
	}
	seek(0, io.SeekEnd)
	seek(-3, io.SeekCurrent)
	read(10)
	seek(4, io.SeekStart)
	read(2)
	seek(2, io.SeekCurrent)
	read(3)
	seek(-1, io.SeekStart) // EINVAL
	seek(0, io.SeekCurrent)
	seek(-100, io.SeekEnd) // EINVAL
	seek(100, io.SeekStart)
	read(4) // EOF
	readAt := func(k int, off int64) {
		buf := make([]byte, k)
		n, err := f.ReadAt(buf, off)
		fmt.Printf("readat %d@%d: %q %s\n", k, off, buf[:n], kind(err))
	}
	readAt(4, 0)
	readAt(4, 14) // short: EOF
	readAt(4, 16)
	readAt(4, 100)
	_, err = f.ReadAt(make([]byte, 1), -1)
	fmt.Printf("readat negative: %s\n", kind(err))
	writeAt := func(data string, off int64) {
		n, err := f.WriteAt([]byte(data), off)
		fmt.Printf("writeat %q@%d: %d %s\n", data, off, n, kind(err))
	}
	writeAt("XY", 2)
	writeAt("END", 16)
	writeAt("far", 24)      // leaves a hole of zeros
	seek(0, io.SeekCurrent) // WriteAt does not move the offset
	fi, _ := f.Stat()
	fmt.Printf("fstat: %s\n", describe(fi))
	content(p)
	// A write past the end after a seek leaves a hole too.
	seek(40, io.SeekStart)
	n, err := f.WriteString("Z")
	fmt.Printf("write at 40: %d %s\n", n, kind(err))
	content(p)
	readAt(5, 26)
}

func truncate() {
	p := s("trunc.txt")
	write(p, "abcdefghij")
	try("truncate 4", os.Truncate(p, 4))
	content(p)
	try("truncate 1MiB (sparse)", os.Truncate(p, 1<<20))
	stat(p)
	b, err := os.ReadFile(p)
	must(err, "read trunc")
	check("1MiB: head abcd, then zeros", len(b) == 1<<20 && string(b[:4]) == "abcd" && bytes.Count(b[4:], []byte{0}) == len(b)-4)
	try("truncate 6", os.Truncate(p, 6))
	content(p) // the bytes past the old end read as zeros
	try("truncate 0", os.Truncate(p, 0))
	stat(p)
	try("truncate -1", os.Truncate(p, -1))
	try("truncate missing", os.Truncate(s("missing"), 1))
	try("truncate a directory", os.Truncate(scratch, 0))
	try("truncate through a symlink", os.Symlink("trunc.txt", s("trunc-link")))
	write(p, "0123456789")
	try("truncate link 3", os.Truncate(s("trunc-link"), 3))
	content(p)
	lstat(s("trunc-link"))
	must(os.Remove(s("trunc-link")), "rm trunc-link")

	f, err := os.OpenFile(p, os.O_RDWR, 0)
	must(err, "open")
	f.Seek(2, io.SeekStart)
	try("ftruncate 1 (offset 2 stays)", f.Truncate(1))
	n, err := f.WriteString("W")
	fmt.Printf("write after ftruncate: %d %s\n", n, kind(err))
	f.Close()
	content(p)
	f, err = os.Open(p)
	must(err, "open ro")
	try("ftruncate on O_RDONLY", f.Truncate(0))
	f.Close()
	content(p)
	// O_TRUNC truncates even with O_RDONLY on Linux.
	f, err = os.OpenFile(p, os.O_RDONLY|os.O_TRUNC, 0)
	fmt.Printf("open O_RDONLY|O_TRUNC: %s\n", kind(err))
	if err == nil {
		f.Close()
	}
	stat(p)
}

func rename() {
	write(s("r1"), "one\n")
	write(s("r2"), "two\n")
	try("rename r1 r1 (same)", os.Rename(s("r1"), s("r1")))
	try("rename r1 r3", os.Rename(s("r1"), s("r3")))
	stat(s("r1"))
	content(s("r3"))
	// Over an existing file: the old r2 goes away, an open descriptor keeps it.
	old, err := os.Open(s("r2"))
	must(err, "open r2")
	try("rename r3 r2 (replace)", os.Rename(s("r3"), s("r2")))
	content(s("r2"))
	fi, err := old.Stat()
	must(err, "fstat old")
	fmt.Printf("replaced file still open: %s\n", describe(fi))
	data, err := io.ReadAll(old)
	fmt.Printf("replaced file reads: %q %s\n", data, kind(err))
	old.Close()
	try("rename missing", os.Rename(s("nothing"), s("r9")))
	try("rename into a missing dir", os.Rename(s("r2"), s("nodir/r2")))

	must(os.MkdirAll(s("d1/sub"), 0o755), "mkdir d1")
	write(s("d1/sub/f"), "in d1\n")
	must(os.Mkdir(s("empty"), 0o755), "mkdir empty")
	must(os.MkdirAll(s("full/x"), 0o755), "mkdir full")
	try("rename d1 d2", os.Rename(s("d1"), s("d2")))
	content(s("d2/sub/f"))
	// os.Rename refuses an existing directory as the target (EEXIST, a
	// check in Go); rename(2) replaces an empty one.
	try("os.Rename d2 over an empty dir", os.Rename(s("d2"), s("empty")))
	try("rename(2) d2 over an empty dir", syscall.Rename(s("d2"), s("empty")))
	ls(s("empty"))
	stat(s("d2"))
	must(os.Mkdir(s("d2"), 0o755), "mkdir d2")
	try("rename(2) dir over a non-empty dir", syscall.Rename(s("d2"), s("full")))
	try("rename(2) file over a dir", syscall.Rename(s("r2"), s("full")))
	try("rename(2) file over an empty dir", syscall.Rename(s("r2"), s("d2")))
	try("rename(2) dir over a file", syscall.Rename(s("full"), s("r2")))
	try("rename(2) dir into itself", syscall.Rename(s("empty"), s("empty/sub/deeper")))
	try("rename(2) dir to its own child name", syscall.Rename(s("empty"), s("empty/x")))
	try("rename(2) dir to its grandchild", syscall.Rename(s("empty"), s("empty/sub/x")))
	try("rename(2) a parent into its child", syscall.Rename(scratch, s("empty/x")))
	try("rename(2) dir/. away", syscall.Rename(s("."), s("dot")))
	try("rename(2) dir/.. away", syscall.Rename(s("full/.."), s("dotdot")))
	try("rename(2) onto dir/.", syscall.Rename(s("d2"), s("full/.")))
	try("rename(2) d2 d2 (same dir)", syscall.Rename(s("d2"), s("d2")))
	try("rmdir d2", syscall.Rmdir(s("d2")))
	try("rename to a trailing slash (file)", os.Rename(s("r2"), s("r4")+"/"))
	try("rename dir with trailing slashes", os.Rename(s("empty")+"/", s("emptied")+"/"))
	try("rename file with a trailing slash on the source", os.Rename(s("r2")+"/", s("r5")))
	// Rename an open directory and keep using it by descriptor.
	d, err := os.Open(s("emptied"))
	must(err, "open emptied")
	try("rename open dir", os.Rename(s("emptied"), s("moved")))
	names, err := d.Readdirnames(-1)
	slices.Sort(names)
	fmt.Printf("readdir through the old descriptor: %v %s\n", names, kind(err))
	d.Close()
	// A symbolic link is renamed, not its target.
	must(os.Symlink("r2", s("rl")), "symlink rl")
	try("rename symlink", os.Rename(s("rl"), s("rl2")))
	lstat(s("rl2"))
	content(s("rl2"))
	must(os.Remove(s("rl2")), "rm rl2")
	ls(scratch)
}

func symlinks() {
	must(os.Mkdir(s("sym"), 0o755), "mkdir sym")
	write(s("sym/target"), "target\n")
	try("symlink rel", os.Symlink("target", s("sym/rel")))
	try("symlink up", os.Symlink("../r2", s("sym/up")))
	try("symlink dir", os.Symlink("../moved", s("sym/dir")))
	try("symlink abs", os.Symlink(s("sym/target"), s("sym/abs")))
	try("symlink dangling", os.Symlink("no/such", s("sym/dangle")))
	try("symlink over existing", os.Symlink("target", s("sym/rel")))
	try("symlink over dangling", os.Symlink("target", s("sym/dangle")))
	try("symlink empty target", os.Symlink("", s("sym/empty")))
	try("symlink in missing dir", os.Symlink("target", s("nodir/l")))
	for _, n := range []string{"rel", "up", "dir", "abs", "dangle", "target"} {
		p := s("sym", n)
		lstat(p)
		stat(p)
		t, err := os.Readlink(p)
		fmt.Printf("readlink %s: %q %s\n", n, strip(t), kind(err))
	}
	content(s("sym/rel"))
	content(s("sym/abs"))
	content(s("sym/up"))
	ls(s("sym/dir"))
	lstat(s("sym/dir") + "/")
	content(s("sym/dangle"))
	// O_CREATE through a dangling link creates its target; O_EXCL does not.
	f, err := os.OpenFile(s("sym/dangle"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	fmt.Printf("O_CREATE|O_EXCL on a dangling link: %s\n", kind(err))
	if err == nil {
		f.Close()
	}
	must(os.Symlink("made", s("sym/tomake")), "symlink tomake")
	f, err = os.OpenFile(s("sym/tomake"), os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Printf("O_CREATE through a dangling link: %s\n", kind(err))
	if err == nil {
		f.WriteString("made\n")
		f.Close()
	}
	content(s("sym/made"))
	lstat(s("sym/made"))
	// Loops and chains.
	must(os.Symlink("loop2", s("sym/loop1")), "loop1")
	must(os.Symlink("loop1", s("sym/loop2")), "loop2")
	stat(s("sym/loop1"))
	lstat(s("sym/loop1"))
	content(s("sym/loop2"))
	must(os.Symlink("self", s("sym/self")), "self")
	stat(s("sym/self"))
	prev := "target"
	for i := 1; i <= 41; i++ {
		name := fmt.Sprintf("chain%02d", i)
		must(os.Symlink(prev, s("sym", name)), "chain")
		prev = name
	}
	stat(s("sym/chain08"))
	stat(s("sym/chain40")) // 40 links: the limit
	stat(s("sym/chain41")) // one too many
	f, err = os.OpenFile(s("sym/rel"), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	fmt.Printf("open O_NOFOLLOW on a link: %s\n", kind(err))
	if err == nil {
		f.Close()
	}
	f, err = os.OpenFile(s("sym/dir"), os.O_RDONLY|syscall.O_DIRECTORY, 0)
	fmt.Printf("open O_DIRECTORY through a dir link: %s\n", kind(err))
	if err == nil {
		f.Close()
	}
	t, err := filepath.EvalSymlinks(s("sym/chain08"))
	fmt.Printf("EvalSymlinks chain08: %s %s\n", rel(t), kind(err))
	t, err = filepath.EvalSymlinks(s("sym/dir/../r2")) // EvalSymlinks resolves dir before ..: moved/../r2
	fmt.Printf("EvalSymlinks dir/../r2: %s %s\n", rel(t), kind(err))
	_, err = filepath.EvalSymlinks(s("sym/loop1"))
	fmt.Printf("EvalSymlinks loop1: %s\n", kind(err))
	// Removing a link leaves its target.
	try("remove rel", os.Remove(s("sym/rel")))
	content(s("sym/target"))
	try("remove a dir link (not the dir)", os.Remove(s("sym/dir")))
	ls(s("moved"))
	try("remove a dir link with a slash", os.Remove(s("sym/up")+"/"))
	try("rmdir through a dir link", syscall.Rmdir(s("sym/abs")))
}

func hardLinks() {
	p := s("h1")
	write(p, "shared\n")
	stat(p)
	try("link h1 h2", os.Link(p, s("h2")))
	try("link h1 h3", os.Link(p, s("h3")))
	stat(p)
	stat(s("h3"))
	must(os.WriteFile(s("h2"), []byte("changed via h2\n"), 0o644), "write h2")
	content(p)
	try("link over existing", os.Link(p, s("h2")))
	try("link a directory", os.Link(s("moved"), s("dlink")))
	try("link missing", os.Link(s("nope"), s("h4")))
	try("link into missing dir", os.Link(p, s("nodir/h4")))
	// A link to a symbolic link links the link itself (linkat without
	// AT_SYMLINK_FOLLOW).
	must(os.Symlink("h1", s("hs")), "symlink hs")
	try("link a symlink", os.Link(s("hs"), s("hs2")))
	lstat(s("hs2"))
	content(s("hs2"))
	stat(p)
	must(os.Remove(s("hs")), "rm hs")
	must(os.Remove(s("hs2")), "rm hs2")
	// rename between two links of one file does nothing.
	try("rename h2 h3 (same file)", os.Rename(s("h2"), s("h3")))
	ls(scratch)
	stat(p)
	try("chmod h3 0600", os.Chmod(s("h3"), 0o600))
	stat(p)
	must(os.Chmod(p, 0o644), "chmod back")
	// Unlinking an open file: the descriptor still reads it, with nlink 0.
	f, err := os.Open(s("h3"))
	must(err, "open h3")
	try("remove h1", os.Remove(p))
	try("remove h2", os.Remove(s("h2")))
	stat(s("h3"))
	try("remove h3", os.Remove(s("h3")))
	fi, err := f.Stat()
	must(err, "fstat")
	fmt.Printf("open after unlink: %s\n", describe(fi))
	data, err := io.ReadAll(f)
	fmt.Printf("reads: %q %s\n", data, kind(err))
	f.Close()
	// Write to an unlinked file.
	f, err = os.Create(s("ghost"))
	must(err, "create ghost")
	must(os.Remove(s("ghost")), "rm ghost")
	f.WriteString("boo")
	f.Seek(0, io.SeekStart)
	data, err = io.ReadAll(f)
	fmt.Printf("unlinked file written and read: %q %s\n", data, kind(err))
	f.Close()
	stat(s("ghost"))
}

func chmod() {
	p := s("c.txt")
	write(p, "mode\n")
	// Go maps ModeSetuid, ModeSetgid and ModeSticky to the Unix bits (a
	// numeric 0o4755 would lose its setuid bit in os.Chmod).
	for _, m := range []fs.FileMode{0o600, 0o755, 0o000, fs.ModeSetuid | 0o755, fs.ModeSetgid | 0o711,
		fs.ModeSticky | 0o644, fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o777, 0o644} {
		err := os.Chmod(p, m)
		fi, _ := os.Stat(p)
		fmt.Printf("chmod %v: %s -> %v\n", m, kind(err), fi.Mode())
	}
	// The raw syscall with file-type bits set: Linux ignores them.
	try("chmod(2) 0100640", syscall.Chmod(p, syscall.S_IFREG|0o640))
	stat(p)
	must(os.Mkdir(s("cd"), 0o755), "mkdir cd")
	for _, m := range []fs.FileMode{fs.ModeSticky | 0o777, fs.ModeSetgid | 0o750, 0o500, 0o755} {
		err := os.Chmod(s("cd"), m)
		fi, _ := os.Stat(s("cd"))
		fmt.Printf("chmod dir %v: %s -> %v\n", m, kind(err), fi.Mode())
	}
	// chmod follows symbolic links.
	must(os.Symlink("c.txt", s("cl")), "symlink cl")
	try("chmod through link 0640", os.Chmod(s("cl"), 0o640))
	stat(p)
	lstat(s("cl"))
	try("chmod missing", os.Chmod(s("missing"), 0o644))
	try("chmod dangling link", os.Chmod(s("sym/dangle"), 0o644))
	f, err := os.Open(p)
	must(err, "open c")
	try("fchmod 0604", f.Chmod(0o604))
	fi, _ := f.Stat()
	fmt.Printf("fstat after fchmod: %v\n", fi.Mode())
	f.Close()
	// A file created with 0666 under umask 022 gets 0644; an explicit
	// mode is kept by OpenFile only up to the umask.
	f, err = os.OpenFile(s("c2"), os.O_CREATE|os.O_WRONLY, 0o777)
	must(err, "create c2")
	f.Close()
	stat(s("c2"))
	f, err = os.OpenFile(s("c2"), os.O_CREATE|os.O_WRONLY, 0o600) // exists: mode unchanged
	must(err, "reopen c2")
	f.Close()
	stat(s("c2"))
	must(os.Remove(s("cl")), "rm cl")
}

func chtimes() {
	p := s("c.txt")
	mt := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	at := time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)
	try("chtimes", os.Chtimes(p, at, mt))
	fi, err := os.Stat(p)
	must(err, "stat")
	fmt.Printf("mtime: %s\n", fi.ModTime().UTC().Format(time.RFC3339Nano))
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		fmt.Printf("atime: %s\n", time.Unix(st.Atim.Unix()).UTC().Format(time.RFC3339Nano))
	}
	// A zero time leaves that time alone (UTIME_OMIT).
	try("chtimes mtime only", os.Chtimes(p, time.Time{}, mt.Add(time.Hour)))
	fi, _ = os.Stat(p)
	fmt.Printf("mtime: %s\n", fi.ModTime().UTC().Format(time.RFC3339Nano))
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		fmt.Printf("atime: %s\n", time.Unix(st.Atim.Unix()).UTC().Format(time.RFC3339Nano))
	}
	try("chtimes on a dir", os.Chtimes(s("cd"), at, mt))
	fi, _ = os.Stat(s("cd"))
	fmt.Printf("dir mtime: %s\n", fi.ModTime().UTC().Format(time.RFC3339Nano))
	try("chtimes missing", os.Chtimes(s("missing"), at, mt))
	// Chtimes follows links; the link's own times are not printed.
	must(os.Symlink("c.txt", s("tl")), "symlink tl")
	try("chtimes through link", os.Chtimes(s("tl"), at, at))
	fi, _ = os.Stat(p)
	fmt.Printf("mtime: %s\n", fi.ModTime().UTC().Format(time.RFC3339Nano))
	must(os.Remove(s("tl")), "rm tl")
	// Writing moves mtime forward from 2001.
	must(os.WriteFile(p, []byte("new\n"), 0), "rewrite")
	fi, _ = os.Stat(p)
	fmt.Printf("mtime after write is later: %v\n", fi.ModTime().After(mt.Add(time.Hour)))
}

func openFlags() {
	p := s("o.txt")
	write(p, "open flags\n")
	open := func(what, name string, flag int, perm fs.FileMode) {
		f, err := os.OpenFile(name, flag, perm)
		fmt.Printf("open %s: %s\n", what, kind(err))
		if err == nil {
			f.Close()
		}
	}
	open("O_CREATE|O_EXCL existing", p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	open("O_CREATE|O_EXCL new", s("o2.txt"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	open("missing", s("nope.txt"), os.O_RDONLY, 0)
	open("O_WRONLY a dir", scratch, os.O_WRONLY, 0)
	open("O_RDWR a dir", scratch, os.O_RDWR, 0)
	open("O_CREATE a dir", scratch, os.O_CREATE|os.O_RDONLY, 0o644)
	open("O_DIRECTORY a file", p, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	open("O_DIRECTORY a dir", scratch, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	open("file with a trailing slash", p+"/", os.O_RDONLY, 0)
	open("O_CREATE with a trailing slash", s("o3.txt")+"/", os.O_CREATE|os.O_WRONLY, 0o644)
	open("O_CREATE in a missing dir", s("nodir/o.txt"), os.O_CREATE|os.O_WRONLY, 0o644)
	open("under a file", p+"/x", os.O_RDONLY, 0)
	open("empty name", "", os.O_RDONLY, 0)
	stat(s("o3.txt"))

	f, err := os.Open(p)
	must(err, "open ro")
	_, err = f.Write([]byte("x"))
	fmt.Printf("write on O_RDONLY: %s\n", kind(err))
	f.Close()
	d, err := os.Open(scratch)
	must(err, "open dir")
	_, err = d.Write([]byte("x"))
	fmt.Printf("write on a directory: %s\n", kind(err))
	_, err = d.Seek(0, io.SeekStart)
	fmt.Printf("seek on a directory: %s\n", kind(err))
	d.Close()
	// O_TRUNC empties, O_RDWR keeps.
	f, err = os.OpenFile(p, os.O_RDWR, 0)
	must(err, "open rw")
	f.WriteString("OPEN")
	f.Close()
	content(p)
	f, err = os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	must(err, "open trunc")
	f.WriteString("t\n")
	f.Close()
	content(p)
	must(os.Remove(s("o2.txt")), "rm o2")
	// Special files in /dev behave as on Linux.
	null, err := os.ReadFile("/dev/null")
	fmt.Printf("read /dev/null: %q %s\n", null, kind(err))
	z, err := os.Open("/dev/zero")
	must(err, "open /dev/zero")
	buf := []byte{1, 2, 3}
	n, err := z.Read(buf)
	fmt.Printf("read /dev/zero: %d %v %s\n", n, buf, kind(err))
	z.Close()
}

// renameat2 flags (linux/fs.h); package syscall has no wrapper.
const (
	renameNoreplace = 1 << 0
	renameExchange  = 1 << 1
)

func renameat2(oldpath, newpath string, flags int) error {
	o, err := syscall.BytePtrFromString(oldpath)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(newpath)
	if err != nil {
		return err
	}
	const sysRenameat2 = 316 // amd64
	atFDCWD := -100
	_, _, e := syscall.Syscall6(sysRenameat2, uintptr(atFDCWD), uintptr(unsafe.Pointer(o)),
		uintptr(atFDCWD), uintptr(unsafe.Pointer(n)), uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

func descriptors() {
	p := s("fd.txt")
	write(p, "0123456789")
	// A duplicated descriptor shares the offset.
	f, err := os.Open(p)
	must(err, "open fd.txt")
	fd2, err := syscall.Dup(int(f.Fd()))
	must(err, "dup")
	g := os.NewFile(uintptr(fd2), "dup")
	buf := make([]byte, 3)
	f.Read(buf)
	off, err := g.Seek(0, io.SeekCurrent)
	fmt.Printf("dup shares the offset: read %q via one, offset %d via the other %s\n", buf, off, kind(err))
	g.Read(buf)
	fmt.Printf("read via the dup: %q\n", buf)
	g.Close()
	n, err := f.Read(buf)
	fmt.Printf("original after closing the dup: %q %s\n", buf[:n], kind(err))
	f.Close()
	// Two opens do not share it.
	f1, _ := os.Open(p)
	f2, _ := os.Open(p)
	f1.Read(buf)
	n, _ = f2.Read(buf)
	fmt.Printf("separate opens: %q\n", buf[:n])
	f1.Close()
	f2.Close()
	// pread on a directory.
	d, err := os.Open(scratch)
	must(err, "open scratch")
	_, err = d.ReadAt(buf, 0)
	fmt.Printf("pread on a directory: %s\n", kind(err))
	d.Close()
	// access(2); X_OK needs an execute bit even for root.
	for _, c := range []struct {
		name string
		mode uint32
	}{{"bin/tool.sh", 1}, {"a/one.txt", 1}, {"a/one.txt", 4}, {"a/one.txt", 0}, {"link-one", 0}, {"dangling", 0}, {"missing", 0}, {"a/one.txt/x", 0}, {"a", 1}} {
		fmt.Printf("access %s %d: %s\n", c.name, c.mode, kind(syscall.Access(filepath.Join(root, c.name), c.mode)))
	}
	// renameat2.
	write(s("ra"), "A")
	write(s("rb"), "B")
	try("renameat2 NOREPLACE onto an existing file", renameat2(s("ra"), s("rb"), renameNoreplace))
	try("renameat2 NOREPLACE onto a new name", renameat2(s("ra"), s("rc"), renameNoreplace))
	try("renameat2 EXCHANGE", renameat2(s("rc"), s("rb"), renameExchange))
	content(s("rb"))
	content(s("rc"))
	must(os.Mkdir(s("rd"), 0o755), "mkdir rd")
	try("renameat2 EXCHANGE a file and a dir", renameat2(s("rc"), s("rd"), renameExchange))
	stat(s("rc"))
	stat(s("rd"))
	try("renameat2 EXCHANGE with a missing name", renameat2(s("rc"), s("missing"), renameExchange))
	try("renameat2 NOREPLACE|EXCHANGE", renameat2(s("rc"), s("rd"), renameNoreplace|renameExchange))
	for _, n := range []string{"rb", "rc", "rd", "fd.txt"} {
		must(os.Remove(s(n)), "remove "+n)
	}
}

func readDir() {
	must(os.Mkdir(s("many"), 0o755), "mkdir many")
	// Created in an order unrelated to the sorted one.
	var want []string
	for i := 0; i < 150; i++ {
		n := fmt.Sprintf("f%03d", (i*37)%150)
		if i%10 == 0 {
			must(os.Mkdir(s("many", n), 0o755), "mkdir")
		} else {
			write(s("many", n), n)
		}
		want = append(want, n)
	}
	slices.Sort(want)
	ents, err := os.ReadDir(s("many"))
	must(err, "readdir many")
	var got []string
	dirsSeen := 0
	for _, e := range ents {
		got = append(got, e.Name())
		if e.IsDir() {
			dirsSeen++
		}
	}
	check("os.ReadDir sorted, all 150", slices.Equal(got, want))
	fmt.Printf("dirs among them: %d\n", dirsSeen)

	// Raw reads in chunks: the order is the file system's, so sort it.
	f, err := os.Open(s("many"))
	must(err, "open many")
	var chunks []int
	var raw []string
	for {
		es, err := f.ReadDir(32)
		if err == io.EOF {
			chunks = append(chunks, -1)
			break
		}
		must(err, "readdir chunk")
		chunks = append(chunks, len(es))
		for _, e := range es {
			raw = append(raw, e.Name())
		}
	}
	fmt.Printf("chunks: %v\n", chunks)
	seen := map[string]bool{}
	dups := false
	for _, n := range raw {
		dups = dups || seen[n] || n == "." || n == ".."
		seen[n] = true
	}
	slices.Sort(raw)
	check("File.ReadDir(32) chunks: each name once, no . or ..", !dups && slices.Equal(raw, want))
	// Rewind and read again.
	_, err = f.Seek(0, io.SeekStart)
	fmt.Printf("rewind: %s\n", kind(err))
	names, err := f.Readdirnames(-1)
	fmt.Printf("after rewind: %d names %s\n", len(names), kind(err))
	names, err = f.Readdirnames(-1)
	fmt.Printf("at the end, n<=0: %d names %s\n", len(names), kind(err))
	names, err = f.Readdirnames(1)
	fmt.Printf("at the end, n>0: %d names %s\n", len(names), kind(err))
	f.Close()
	infos, err := func() ([]fs.FileInfo, error) {
		f, err := os.Open(s("many"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return f.Readdir(-1)
	}()
	var sizes int64
	for _, fi := range infos {
		if fi.Mode().IsRegular() {
			sizes += fi.Size()
		}
	}
	fmt.Printf("Readdir: %d infos, regular bytes %d %s\n", len(infos), sizes, kind(err))
	// Removing entries while reading does not return an entry twice.
	f, err = os.Open(s("many"))
	must(err, "open many")
	first, err := f.Readdirnames(10)
	must(err, "readdirnames 10")
	for _, n := range first {
		must(os.RemoveAll(s("many", n)), "remove while reading")
	}
	rest, err := f.Readdirnames(-1)
	f.Close()
	all := append(first, rest...)
	slices.Sort(all)
	check("remove while reading: no name twice, none lost", len(slices.Compact(slices.Clone(all))) == len(all) && len(all) == 150)
	ents, _ = os.ReadDir(s("many"))
	fmt.Printf("left: %d\n", len(ents))
	ls(s("moved"))
	_, err = os.ReadDir(s("c.txt"))
	fmt.Printf("ReadDir a file: %s\n", kind(err))
	_, err = os.ReadDir(s("nope"))
	fmt.Printf("ReadDir missing: %s\n", kind(err))
	must(os.RemoveAll(s("many")), "rm many")
}

func temp() {
	must(os.Mkdir(s("tmp"), 0o755), "mkdir tmp")
	f, err := os.CreateTemp(s("tmp"), "pre-*.txt")
	must(err, "CreateTemp")
	name := filepath.Base(f.Name())
	fmt.Printf("CreateTemp: dir ok %v, prefix %v, suffix %v\n",
		filepath.Dir(f.Name()) == filepath.Clean(s("tmp")), strings.HasPrefix(name, "pre-"), strings.HasSuffix(name, ".txt"))
	fi, err := f.Stat()
	must(err, "stat temp")
	fmt.Printf("CreateTemp: %s\n", describe(fi))
	f.WriteString("temporary\n")
	f.Close()
	data, err := os.ReadFile(f.Name())
	fmt.Printf("read back: %q %s\n", data, kind(err))
	f2, err := os.CreateTemp(s("tmp"), "pre-*.txt")
	must(err, "CreateTemp 2")
	check("two temp files differ", f2.Name() != f.Name())
	f2.Close()
	f3, err := os.CreateTemp(s("tmp"), "nostar")
	must(err, "CreateTemp 3")
	fmt.Printf("CreateTemp without *: prefix %v\n", strings.HasPrefix(filepath.Base(f3.Name()), "nostar"))
	f3.Close()
	_, err = os.CreateTemp(s("tmp"), "bad/pattern*")
	fmt.Printf("CreateTemp with a separator: %s\n", kind(err))
	_, err = os.CreateTemp(s("nodir"), "x*")
	fmt.Printf("CreateTemp in a missing dir: ENOENT %v\n", errors.Is(err, syscall.ENOENT)) // the error names the random file
	d, err := os.MkdirTemp(s("tmp"), "dir-*")
	must(err, "MkdirTemp")
	fi, err = os.Stat(d)
	must(err, "stat MkdirTemp")
	fmt.Printf("MkdirTemp: %s\n", describe(fi))
	fmt.Printf("MkdirTemp: prefix %v\n", strings.HasPrefix(filepath.Base(d), "dir-"))
	ents, err := os.ReadDir(s("tmp"))
	must(err, "readdir tmp")
	fmt.Printf("tmp holds %d entries\n", len(ents))
	try("removeall tmp", os.RemoveAll(s("tmp")))
}

func copies() {
	// io.Copy between files: *os.File.ReadFrom may use copy_file_range,
	// splice or sendfile; the bytes must be the same either way.
	src, err := os.Open(s("big.bin"))
	must(err, "open big")
	dst, err := os.Create(s("big.copy"))
	must(err, "create copy")
	n, err := io.Copy(dst, src)
	fmt.Printf("io.Copy file to file: %d %s\n", n, kind(err))
	// A partial copy from the middle.
	src.Seek(1000, io.SeekStart)
	part, err := os.Create(s("part.copy"))
	must(err, "create part")
	n, err = io.CopyN(part, src, 5000)
	fmt.Printf("io.CopyN 5000 from 1000: %d %s\n", n, kind(err))
	off, _ := src.Seek(0, io.SeekCurrent)
	fmt.Printf("source offset after: %d\n", off)
	src.Close()
	dst.Close()
	part.Close()
	a, _ := os.ReadFile(s("big.bin"))
	b, _ := os.ReadFile(s("big.copy"))
	c, _ := os.ReadFile(s("part.copy"))
	check("copy equal", bytes.Equal(a, b))
	check("part equal", len(a) > 6000 && bytes.Equal(a[1000:6000], c))
	// Copy from a file through a pipe-less writer (a bytes.Buffer: WriteTo).
	src, _ = os.Open(s("seek.txt"))
	var buf bytes.Buffer
	n, err = io.Copy(&buf, src)
	src.Close()
	fmt.Printf("io.Copy to a buffer: %d %q %s\n", n, buf.Bytes(), kind(err))
	must(os.Remove(s("big.copy")), "rm big.copy")
	must(os.Remove(s("part.copy")), "rm part.copy")
}

func names() {
	must(os.Mkdir(s("nm"), 0o755), "mkdir nm")
	for _, n := range []string{"with space", "ünïcödé", ".dot", "..dots", "-dash", "a\tb", "UPPER", "upper", "x.y.z", "\x01ctl"} {
		try(fmt.Sprintf("create %q", n), os.WriteFile(s("nm", n), []byte(n), 0o644))
	}
	long := longName
	try("create 255-byte name", os.WriteFile(s("nm", long), nil, 0o644))
	try("create 256-byte name", os.WriteFile(s("nm", long+"n"), nil, 0o644))
	try("mkdir 256-byte name", os.Mkdir(s("nm", long+"n"), 0o755))
	stat(s("nm", long+"n"))
	deep := s("nm") + strings.Repeat("/.", 2100) // > PATH_MAX (4096)
	stat(deep)
	ents, err := os.ReadDir(s("nm"))
	must(err, "readdir nm")
	for _, e := range ents {
		fmt.Printf("  %q\n", e.Name())
	}
	content(s("nm", "UPPER"))
	content(s("nm", "ünïcödé"))
	stat(s("nm", "Upper"))
	stat(s("nm", "ünïcödé"[:4])) // a prefix of the name
	stat(s("nm", ".."))
	stat(s("nm", "...")) // an ordinary missing name
	stat(s("nm") + "//with space")
	stat(s("nm") + "/./.dot")
	must(os.RemoveAll(s("nm")), "rm nm")
}

func cwd() {
	old, err := os.Getwd()
	must(err, "getwd")
	must(os.Chdir(s("moved")), "chdir moved")
	wd, err := os.Getwd()
	fmt.Printf("getwd: %s %s\n", rel(wd), kind(err))
	content("sub/f")
	content("../r2")
	try("mkdir rel", os.Mkdir("reldir", 0o755))
	write("reldir/x", "relative\n")
	try("rename rel", os.Rename("reldir/x", "../relx"))
	content(s("relx"))
	try("chdir a file", os.Chdir(s("relx")))
	try("chdir missing", os.Chdir(s("nope")))
	try("chdir ..", os.Chdir(".."))
	wd, _ = os.Getwd()
	fmt.Printf("getwd: %s\n", rel(wd))
	// Remove the working directory: Getwd fails, relative names too.
	must(os.Mkdir("gone", 0o755), "mkdir gone")
	must(os.Chdir("gone"), "chdir gone")
	must(os.Remove(s("gone")), "rmdir gone")
	_, err = syscall.Getwd()
	fmt.Printf("getwd in a removed dir: %s\n", kind(err))
	try("create in a removed cwd", os.WriteFile("new", nil, 0o644))
	_, err = os.Stat(".")
	fmt.Printf("stat . in a removed dir: %s\n", kind(err))
	_, err = os.Stat("..")
	fmt.Printf("stat .. in a removed dir: %s\n", kind(err))
	must(os.Chdir(old), "chdir back")
	try("chdir via a dir symlink", os.Chdir(filepath.Join(root, "link-dir")))
	wd, _ = syscall.Getwd()
	fmt.Printf("getwd after chdir through link-dir: %s\n", rel(wd))
	content("two.txt")
	content("../one.txt")
	must(os.Chdir(old), "chdir back")
}

func dirFS() {
	fsys := os.DirFS(root)
	var paths []string
	err := fs.WalkDir(fsys, "a", func(p string, d fs.DirEntry, err error) error {
		must(err, "dirfs walk")
		paths = append(paths, p+" "+d.Type().String())
		return nil
	})
	fmt.Printf("DirFS walk a: %v %s\n", paths, kind(err))
	m, err := fs.Glob(fsys, "*/*.txt")
	fmt.Printf("DirFS glob */*.txt: %v %s\n", m, kind(err))
	m, err = fs.Glob(fsys, "scratch/sym/chain0[1-3]")
	fmt.Printf("DirFS glob chain0[1-3]: %v %s\n", m, kind(err))
	b, err := fs.ReadFile(fsys, "link-one")
	fmt.Printf("DirFS read link-one: %q %s\n", b, kind(err))
	t, err := fs.ReadLink(fsys, "link-dir")
	fmt.Printf("DirFS readlink link-dir: %q %s\n", t, kind(err))
	fi, err := fs.Lstat(fsys, "link-dir")
	if err == nil {
		fmt.Printf("DirFS lstat link-dir: %s\n", describe(fi))
	}
	_, err = fs.ReadFile(fsys, "../outside")
	fmt.Printf("DirFS ../outside: %s\n", kind(err))
	_, err = fs.Stat(fsys, "/abs")
	fmt.Printf("DirFS /abs: %s\n", kind(err))
	sub, err := fs.Sub(fsys, "a/b")
	must(err, "sub")
	es, err := fs.ReadDir(sub, ".")
	var ns []string
	for _, e := range es {
		ns = append(ns, e.Name())
	}
	fmt.Printf("DirFS sub a/b: %v %s\n", ns, kind(err))
}

func osRoot() {
	r, err := os.OpenRoot(scratch)
	must(err, "OpenRoot")
	defer r.Close()
	try("root mkdir rt", r.Mkdir("rt", 0o750))
	f, err := r.Create("rt/file")
	must(err, "root create")
	f.WriteString("in root\n")
	f.Close()
	fi, err := r.Stat("rt/file")
	if err == nil {
		fmt.Printf("root stat rt/file: %s\n", describe(fi))
	}
	fi, err = r.Stat("rt")
	if err == nil {
		fmt.Printf("root stat rt: %s\n", describe(fi))
	}
	b, err := r.ReadFile("rt/file")
	fmt.Printf("root readfile: %q %s\n", b, kind(err))
	_, err = r.Open("../README.txt")
	fmt.Printf("root open ../README.txt: %s\n", kind(err))
	_, err = r.Open("/etc/passwd")
	fmt.Printf("root open absolute: %s\n", kind(err))
	must(os.Symlink("../../README.txt", s("rt/escape")), "symlink escape")
	_, err = r.Open("rt/escape")
	fmt.Printf("root open an escaping link: %s\n", kind(err))
	must(os.Symlink("file", s("rt/inside")), "symlink inside")
	b, err = r.ReadFile("rt/inside")
	fmt.Printf("root read through an inner link: %q %s\n", b, kind(err))
	b, err = r.ReadFile("rt/../rt/./file")
	fmt.Printf("root read rt/../rt/./file: %q %s\n", b, kind(err))
	try("root rename", r.Rename("rt/file", "rt/file2"))
	try("root symlink", r.Symlink("file2", "rt/l2"))
	t, err := r.Readlink("rt/l2")
	fmt.Printf("root readlink: %q %s\n", t, kind(err))
	try("root link", r.Link("rt/file2", "rt/hard"))
	fi, err = r.Lstat("rt/hard")
	if err == nil {
		fmt.Printf("root lstat rt/hard: %s\n", describe(fi))
	}
	try("root chmod", r.Chmod("rt/file2", 0o600))
	try("root remove non-empty", r.Remove("rt"))
	try("root removeall", r.RemoveAll("rt"))
	_, err = r.Stat("rt")
	fmt.Printf("root stat after removeall: %s\n", kind(err))
	try("root mkdirall", r.MkdirAll("p/q/r", 0o755))
	try("root writefile", r.WriteFile("p/q/r/w", []byte("w"), 0o644))
	try("root removeall p", r.RemoveAll("p"))
}

func remove() {
	try("remove missing", os.Remove(s("nope")))
	try("remove a non-empty dir", os.Remove(s("moved")))
	try("remove an empty dir", os.Remove(s("cd")))
	try("unlink a dir", syscall.Unlink(s("moved")))
	try("rmdir a file", syscall.Rmdir(s("r2")))
	try("rmdir .", syscall.Rmdir(s("moved")+"/."))
	try("rmdir ..", syscall.Rmdir(s("moved")+"/.."))
	try("remove under a file", os.Remove(s("r2/x")))
	try("removeall missing", os.RemoveAll(s("nope")))
	try("removeall a file", os.RemoveAll(s("r2")))
	// RemoveAll does not follow links into directories outside.
	must(os.Symlink("../a", s("sym/outside")), "symlink outside")
	must(os.Symlink(filepath.Join(root, "a"), s("sym/outside-abs")), "symlink outside-abs")
	ls(scratch)
	try("removeall scratch", os.RemoveAll(scratch))
	stat(scratch)
	stat(filepath.Join(root, "a/one.txt"))
	try("removeall with a trailing /.", os.RemoveAll(filepath.Join(root, "a")+"/."))
}
