package oci

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"unigo.dev/unigo/internal/image"
	"unigo.dev/unigo/internal/rootfs"
)

// Unpack writes img's bootable image to dst: the kernel layer's
// /unigo/kernel.img, with the rootfs layer (if any) packed into it as the
// guest's root file system (package [unigo.dev/unigo/internal/image]).
// tmp is a scratch directory. Every layer is checked against its digest.
func (s *Store) Unpack(img *Image, dst, tmp string) error {
	kl, _ := img.Layer("kernel")
	found := false
	err := s.readLayer(kl, func(h *tar.Header, r io.Reader) error {
		if path.Clean(h.Name) != KernelPath || h.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		found = err == nil
		return err
	})
	if err != nil {
		return fmt.Errorf("kernel layer %s: %w", short(kl.Digest), err)
	}
	if !found {
		return fmt.Errorf("%w: its kernel layer %s has no %s", ErrNotUnigo, short(kl.Digest), KernelPath)
	}
	rl, ok := img.Layer("rootfs")
	if !ok {
		return nil
	}
	root := filepath.Join(tmp, "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	ex := extractor{root: root, links: map[string]bool{}}
	if err := s.readLayer(rl, ex.entry); err != nil {
		return fmt.Errorf("rootfs layer %s: %w", short(rl.Digest), err)
	}
	ex.fixTimes()
	return PackRootfs(dst, root, tmp, "the image's rootfs layer")
}

// PackRootfs packs the directory root (less the paths in exclude) into the
// image dst as its root file system segment (package
// [unigo.dev/unigo/internal/image]); name says how messages call root and
// tmp is a scratch directory. Both unigo run REF and the containerd shim
// (which finds the image unpacked by a snapshotter) boot images made so.
func PackRootfs(dst, root, tmp, name string, exclude ...string) error {
	cp, err := os.Create(filepath.Join(tmp, "rootfs.cpio"))
	if err != nil {
		return err
	}
	defer os.Remove(cp.Name())
	defer cp.Close()
	w := bufio.NewWriter(cp)
	if _, err := rootfs.Pack(w, []rootfs.Source{{Dir: root, Name: name, Exclude: exclude}}, io.Discard); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := cp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = image.AddRootfs(dst, bufio.NewReader(cp))
	return err
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}

// readLayer reads a gzip-compressed tar layer, calling fn for each entry,
// and checks the blob against its digest.
func (s *Store) readLayer(d Descriptor, fn func(*tar.Header, io.Reader) error) error {
	f, err := s.OpenBlob(d.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	zr, err := gzip.NewReader(io.TeeReader(f, h))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := fn(hdr, tr); err != nil {
			return err
		}
	}
	io.Copy(io.Discard, zr)
	return checkSum(h, f, d.Digest)
}

// checkSum drains r into h and compares h with want.
func checkSum(h hash.Hash, r io.Reader, want string) error {
	io.Copy(h, r)
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: want %s, got %s: the store is damaged; remove the image and pull or build it again", ErrBadDigest, want, got)
	}
	return nil
}

// extractor writes tar entries under root, refusing any that would land
// outside it (absolute names, "..", or a path through a symbolic link).
type extractor struct {
	root  string
	links map[string]bool // symbolic links written so far (relative names)
	dirs  []dirTime
}

type dirTime struct {
	path string
	mode os.FileMode
	t    time.Time
}

func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	name := path.Clean(strings.TrimPrefix(h.Name, "./"))
	if name == "." {
		return nil
	}
	if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("entry %q points outside the root file system", h.Name)
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if x.links[p] {
			return fmt.Errorf("entry %q goes through the symbolic link %q", h.Name, p)
		}
	}
	dst := filepath.Join(x.root, filepath.FromSlash(name))
	mode := os.FileMode(h.Mode & 0o777)
	if h.Mode&0o4000 != 0 {
		mode |= os.ModeSetuid
	}
	if h.Mode&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	if h.Mode&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(dst, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		x.dirs = append(x.dirs, dirTime{dst, mode, h.ModTime})
		return nil // mode and time once the contents are written
	case tar.TypeReg:
		os.Remove(dst)
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if err := os.Chmod(dst, mode); err != nil {
			return err
		}
		return os.Chtimes(dst, h.ModTime, h.ModTime)
	case tar.TypeSymlink:
		os.Remove(dst)
		x.links[name] = true
		return os.Symlink(h.Linkname, dst)
	}
	return nil // other types (devices, fifos) have no place in a unigo guest
}

// fixTimes sets directory modes and times after their contents are
// written (a read-only directory could not have been filled).
func (x *extractor) fixTimes() {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		os.Chmod(d.path, d.mode)
		os.Chtimes(d.path, d.t, d.t)
	}
}
