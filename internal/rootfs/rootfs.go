// Package rootfs packs host directories into the cpio archive (newc format,
// package [unigo.dev/unigo/internal/cpio]) that a unigo guest unpacks as its
// root file system.
//
// The archive holds directories, regular files and symbolic links, with
// relative names ("etc", "etc/hosts": no leading "/" or "./"), sorted byte by
// byte so that parents come before children and the same tree always packs
// to the same bytes. Every entry is owned by uid 0 and gid 0 (root in the
// guest), keeps its permission bits (with setuid, setgid and sticky) and
// modification time, and has a unique inode number; nlink is 2 for
// directories and 1 otherwise. Hard links are stored as separate regular
// files. Symbolic links are stored as they are, wherever they point.
// Devices, sockets and named pipes are skipped with a warning. The root
// directory itself has no entry.
//
// Several [Source]s merge into one archive: each directory goes at its own
// place in the guest (unigo test puts --rootfs at "/" and the package
// directory at its host path). Later sources replace earlier ones' files;
// a path that is a directory in one and not in another is an error.
package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"unigo.dev/unigo/internal/cpio"
)

// Source is a host directory to pack.
type Source struct {
	// Dir is the host directory.
	Dir string
	// At is where Dir goes in the guest: "" or "/" for the root, otherwise
	// an absolute path such as "/home/me/pkg". Missing parents of At are
	// created with the metadata of the host directories of the same path
	// (0755 when there are none).
	At string
	// Name says how messages name Dir, e.g. "--rootfs ./r".
	Name string
	// SkipVCS leaves out directories named .git.
	SkipVCS bool
	// MaxFileSize, when positive, leaves out larger regular files with a
	// warning.
	MaxFileSize int64
	// Exclude lists host files to leave out (such as the image being built).
	Exclude []string
}

// Stats describes a packed archive.
type Stats struct {
	Entries int   // directories, files and links (not the trailer)
	Size    int64 // bytes of the archive
}

// maxSize is the largest file a newc header can describe.
const maxSize = 1<<32 - 1

// entry is one archive member before it is written.
type entry struct {
	mode  uint32
	mtime uint32
	size  int64
	host  string // regular file: where to read the data
	link  string // symbolic link: its target
	from  string // the Source.Name it came from, for messages
}

func (e *entry) isDir() bool { return e.mode&cpio.TypeMask == cpio.TypeDir }

// CheckDir returns a user-facing error unless dir is a directory. name
// says how messages name it.
func CheckDir(name, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("unigo: %s: no such directory: pass the directory to pack as the guest's file system", name)
	case err != nil:
		return fmt.Errorf("unigo: %s: %v: check its permissions", name, unwrapPath(err))
	case !st.IsDir():
		return fmt.Errorf("unigo: %s: not a directory: pass a directory (its contents become the guest's files)", name)
	}
	return nil
}

// Pack writes the archive of srcs to w. Warnings (skipped files) go to
// warn, one line each.
func Pack(w io.Writer, srcs []Source, warn io.Writer) (Stats, error) {
	entries := map[string]*entry{}
	for _, src := range srcs {
		if err := collect(entries, src, warn); err != nil {
			return Stats{}, err
		}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)

	cw := cpio.NewWriter(w)
	for i, name := range names {
		e := entries[name]
		h := &cpio.Header{Name: name, Mode: e.mode, Ino: uint32(i + 1), Nlink: 1, Mtime: e.mtime}
		switch {
		case e.isDir():
			h.Nlink = 2
		case e.host != "":
			h.Size = uint32(e.size)
		default:
			h.Size = uint32(len(e.link))
		}
		if err := cw.WriteHeader(h); err != nil {
			return Stats{}, err
		}
		switch {
		case e.host != "":
			if err := copyFile(cw, e); err != nil {
				return Stats{}, err
			}
		case !e.isDir():
			if _, err := io.WriteString(cw, e.link); err != nil {
				return Stats{}, err
			}
		}
	}
	if err := cw.Close(); err != nil {
		return Stats{}, err
	}
	return Stats{Entries: len(names), Size: cw.Size()}, nil
}

// openFile opens a file to pack; tests replace it (as root, no file is
// unreadable).
var openFile = os.Open

func copyFile(w io.Writer, e *entry) error {
	f, err := openFile(e.host)
	if err != nil {
		return fmt.Errorf("unigo: %s: cannot read %s: %v: make it readable or remove it", e.from, e.host, unwrapPath(err))
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, e.size))
	if err != nil {
		return fmt.Errorf("unigo: %s: reading %s: %v", e.from, e.host, unwrapPath(err))
	}
	if n != e.size {
		return fmt.Errorf("unigo: %s: %s shrank from %d to %d bytes while being packed: try again", e.from, e.host, e.size, n)
	}
	return nil
}

// collect adds the entries of src to entries.
func collect(entries map[string]*entry, src Source, warn io.Writer) error {
	if err := CheckDir(src.Name, src.Dir); err != nil {
		return err
	}
	root, err := filepath.EvalSymlinks(src.Dir)
	if err != nil {
		return fmt.Errorf("unigo: %s: %v", src.Name, unwrapPath(err))
	}
	at := strings.Trim(path.Clean("/"+filepath.ToSlash(src.At)), "/")
	if at != "" {
		// Parents of At, from the host directories of the same path.
		parts := strings.Split(at, "/")
		for i := 1; i < len(parts); i++ {
			p := strings.Join(parts[:i], "/")
			e := &entry{mode: cpio.TypeDir | 0o755, from: src.Name}
			if st, err := os.Stat("/" + p); err == nil && st.IsDir() {
				e.mode, e.mtime = cpio.TypeDir|modeBits(st.Mode()), mtime(st)
			}
			if err := add(entries, p, e); err != nil {
				return err
			}
		}
	}
	exclude := map[string]bool{}
	for _, x := range src.Exclude {
		if r, err := filepath.EvalSymlinks(x); err == nil {
			x = r
		}
		exclude[filepath.Clean(x)] = true
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("unigo: %s: cannot read %s: %v: make it readable or remove it", src.Name, p, unwrapPath(err))
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := path.Join(at, filepath.ToSlash(rel))
		if name == "." {
			return nil // the guest's root directory has no entry
		}
		if exclude[p] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if src.SkipVCS && d.IsDir() && d.Name() == ".git" && rel != "." {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("unigo: %s: cannot read %s: %v: make it readable or remove it", src.Name, p, unwrapPath(err))
		}
		e := &entry{mode: modeBits(info.Mode()), mtime: mtime(info), from: src.Name}
		switch t := info.Mode().Type(); {
		case t == 0:
			if src.MaxFileSize > 0 && info.Size() > src.MaxFileSize {
				fmt.Fprintf(warn, "unigo: %s: leaving out %s: %d MiB is more than the %d MiB limit\n", src.Name, p, info.Size()>>20, src.MaxFileSize>>20)
				return nil
			}
			if info.Size() > maxSize {
				return fmt.Errorf("unigo: %s: %s is %d bytes, more than the 4 GiB a cpio archive can hold: leave it out", src.Name, p, info.Size())
			}
			e.mode |= cpio.TypeReg
			e.host, e.size = p, info.Size()
		case t == fs.ModeDir:
			e.mode |= cpio.TypeDir
		case t == fs.ModeSymlink:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("unigo: %s: cannot read the link %s: %v", src.Name, p, unwrapPath(err))
			}
			e.mode = cpio.TypeLink | 0o777
			e.link = target
		default:
			fmt.Fprintf(warn, "unigo: %s: leaving out %s: %s (only directories, regular files and symbolic links are packed)\n", src.Name, p, kind(t))
			return nil
		}
		return add(entries, name, e)
	})
}

// add puts e at name; a directory merges with a directory, anything else
// replaces a non-directory.
func add(entries map[string]*entry, name string, e *entry) error {
	if old, ok := entries[name]; ok && old.isDir() != e.isDir() {
		what := func(x *entry) string {
			if x.isDir() {
				return "a directory"
			}
			return "not a directory"
		}
		return fmt.Errorf("unigo: /%s is %s in %s but %s in %s: rename one of them", name, what(old), old.from, what(e), e.from)
	}
	entries[name] = e
	return nil
}

// modeBits returns the permission, setuid, setgid and sticky bits of m in
// st_mode form.
func modeBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func mtime(info fs.FileInfo) uint32 {
	s := info.ModTime().Unix()
	return uint32(max(0, min(s, maxSize)))
}

func kind(t fs.FileMode) string {
	switch {
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	}
	return "a special file"
}

// unwrapPath drops the path from an *fs.PathError, which messages already name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
