// Package kernelsrc provides the directory holding the unigo kernel module's
// source, which every guest build compiles in.
//
// The unigo binary carries the kernel source embedded ([kernel.Source]).
// [Dir] extracts it once into a content-addressed cache directory,
// $XDG_CACHE_HOME/unigo/kernel-<sha256 prefix> (os.UserCacheDir), writing a
// temporary directory first and renaming it into place so that concurrent
// unigo processes never see a half-written tree. The environment variable
// UNIGO_KERNEL_DIR overrides all of this with a kernel source directory
// (developer mode: edit kernel/ and rebuild guests without rebuilding unigo).
package kernelsrc

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
)

// EnvDir names the environment variable that overrides the kernel directory.
const EnvDir = "UNIGO_KERNEL_DIR"

// ModulePath is the kernel's module path.
const ModulePath = "unigo.dev/unigo/kernel"

// Dir returns the kernel source directory: $UNIGO_KERNEL_DIR if set,
// otherwise the embedded source extracted under the user cache directory.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return "", fmt.Errorf("unigo: %s=%s has no go.mod: point it at the kernel module directory (kernel/ in the unigo repository)", EnvDir, d)
		}
		slog.Debug("kernel source from environment", "dir", abs)
		return abs, nil
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	return Extract(embedded(), cache)
}

// CacheDir returns unigo's cache directory, creating it if needed.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("unigo: no cache directory: %v: set XDG_CACHE_HOME or HOME", err)
	}
	d := filepath.Join(base, "unigo")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("unigo: creating cache directory: %v", err)
	}
	return d, nil
}

// Hash returns the hex SHA-256 of the files in fsys (their paths and
// contents, in lexical order).
func Hash(fsys fs.FS) (string, error) {
	files, err := list(fsys)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func list(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// Extract writes the files of fsys to cacheDir/kernel-<hash prefix> unless
// that directory already exists, and returns its path. fsys must hold a
// go.mod at its root.
func Extract(fsys fs.FS, cacheDir string) (string, error) {
	if _, err := fs.Stat(fsys, "go.mod"); err != nil {
		return "", fmt.Errorf("unigo: embedded kernel source has no go.mod: this unigo binary was built wrongly; set %s to the kernel source directory", EnvDir)
	}
	sum, err := Hash(fsys)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(cacheDir, "kernel-"+sum[:16])
	if _, err := os.Stat(filepath.Join(dst, "go.mod")); err == nil {
		return dst, nil
	}
	tmp, err := os.MkdirTemp(cacheDir, ".kernel-tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	files, err := list(fsys)
	if err != nil {
		return "", err
	}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, data, 0o444); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		// Another process won the race: use its copy.
		if _, statErr := os.Stat(filepath.Join(dst, "go.mod")); statErr == nil {
			return dst, nil
		}
		return "", errors.Join(fmt.Errorf("unigo: extracting kernel source"), err)
	}
	slog.Debug("extracted kernel source", "dir", dst)
	return dst, nil
}
