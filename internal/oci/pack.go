package oci

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec describes an image to pack.
type Spec struct {
	Kernel    string            // the bootable image file
	Rootfs    string            // a directory for the rootfs layer; "" for none
	Argv0     string            // the program's argv[0] in the guest
	Cmd       []string          // program arguments
	Env       []string          // KEY=VALUE
	Ports     []string          // "8080", "8080/tcp", "53/udp"
	Labels    map[string]string // user labels
	MemoryMiB int               // default guest memory; 0 for none
	Created   time.Time         // also the kernel file's time in its layer
	Warn      io.Writer         // messages about files left out of the rootfs
}

// NormalizePort turns "8080" into "8080/tcp" and checks the number and
// protocol.
func NormalizePort(p string) (string, error) {
	num, proto, ok := strings.Cut(p, "/")
	if !ok {
		proto = "tcp"
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
		return "", fmt.Errorf("bad port %q: want NUMBER[/tcp|udp|sctp] with a number from 1 to 65535", p)
	}
	return strconv.Itoa(n) + "/" + proto, nil
}

// Pack writes the image that spec describes into the store and returns its
// manifest's descriptor. The image is not tagged ([Store.Tag] does that).
// Preconditions: the caller holds [Store.Writing].
func (s *Store) Pack(spec Spec) (Descriptor, error) {
	created := spec.Created.UTC().Truncate(time.Second)
	kernel, err := os.Open(spec.Kernel)
	if err != nil {
		return Descriptor{}, err
	}
	defer kernel.Close()
	st, err := kernel.Stat()
	if err != nil {
		return Descriptor{}, err
	}
	kl, kdiff, err := s.writeLayer(func(tw *tar.Writer) error {
		hdr := func(name string, mode int64, typ byte, size int64) *tar.Header {
			return &tar.Header{Name: name, Mode: mode, Typeflag: typ, Size: size, ModTime: created, Format: tar.FormatPAX}
		}
		if err := tw.WriteHeader(hdr(filepath.Dir(KernelPath)+"/", 0o755, tar.TypeDir, 0)); err != nil {
			return err
		}
		if err := tw.WriteHeader(hdr(KernelPath, 0o755, tar.TypeReg, st.Size())); err != nil {
			return err
		}
		_, err := io.Copy(tw, kernel)
		return err
	})
	if err != nil {
		return Descriptor{}, fmt.Errorf("kernel layer: %w", err)
	}
	kl.Annotations = map[string]string{AnnotationLayer: "kernel", "org.opencontainers.image.title": KernelPath}
	layers, diffs := []Descriptor{kl}, []string{kdiff}
	if spec.Rootfs != "" {
		rl, rdiff, err := s.writeLayer(func(tw *tar.Writer) error { return tarDir(tw, spec.Rootfs, spec.Warn) })
		if err != nil {
			return Descriptor{}, fmt.Errorf("rootfs layer from %s: %w", spec.Rootfs, err)
		}
		rl.Annotations = map[string]string{AnnotationLayer: "rootfs"}
		layers, diffs = append(layers, rl), append(diffs, rdiff)
	}

	var cfg Config
	cfg.Created = &created
	cfg.Architecture, cfg.OS = "amd64", "linux"
	cfg.Config = RuntimeConfig{
		Entrypoint: []string{"/" + KernelPath},
		Cmd:        spec.Cmd,
		Env:        spec.Env,
		WorkingDir: "/",
		Labels:     map[string]string{},
	}
	maps.Copy(cfg.Config.Labels, spec.Labels)
	if spec.Argv0 != "" {
		cfg.Config.Labels[LabelArgv0] = spec.Argv0
	}
	if spec.MemoryMiB > 0 {
		cfg.Config.Labels[LabelMemory] = strconv.Itoa(spec.MemoryMiB)
	}
	for _, p := range spec.Ports {
		np, err := NormalizePort(p)
		if err != nil {
			return Descriptor{}, err
		}
		if cfg.Config.ExposedPorts == nil {
			cfg.Config.ExposedPorts = map[string]struct{}{}
		}
		cfg.Config.ExposedPorts[np] = struct{}{}
	}
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = diffs
	cfg.History = []History{{Created: &created, CreatedBy: "unigo pkg", Comment: "kernel and program"}}
	if spec.Rootfs != "" {
		cfg.History = append(cfg.History, History{Created: &created, CreatedBy: "unigo pkg --rootfs", Comment: "root file system"})
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return Descriptor{}, err
	}
	cd, err := s.PutBlob(cb, "")
	if err != nil {
		return Descriptor{}, err
	}
	cd.MediaType = MediaTypeConfig
	m := Manifest{SchemaVersion: 2, MediaType: MediaTypeManifest, ArtifactType: ArtifactType,
		Config: cd, Layers: layers,
		Annotations: map[string]string{AnnotationVersion: "1", AnnotationCreated: created.Format(time.RFC3339)}}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Descriptor{}, err
	}
	md, err := s.PutBlob(mb, "")
	if err != nil {
		return Descriptor{}, err
	}
	md.MediaType = MediaTypeManifest
	return md, nil
}

// writeLayer stores a gzip-compressed tar produced by fill and returns its
// descriptor and diff id (the digest of the uncompressed tar).
func (s *Store) writeLayer(fill func(*tar.Writer) error) (Descriptor, string, error) {
	bw, err := s.NewBlob()
	if err != nil {
		return Descriptor{}, "", err
	}
	defer bw.Abort()
	zw := gzip.NewWriter(bw) // no name, no time: the same tar compresses to the same bytes
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, diff))
	if err := fill(tw); err != nil {
		return Descriptor{}, "", err
	}
	if err := tw.Close(); err != nil {
		return Descriptor{}, "", err
	}
	if err := zw.Close(); err != nil {
		return Descriptor{}, "", err
	}
	d, err := bw.Commit("")
	if err != nil {
		return Descriptor{}, "", err
	}
	d.MediaType = MediaTypeLayer
	return d, "sha256:" + hex.EncodeToString(diff.Sum(nil)), nil
}

// tarDir writes dir's tree (directories, regular files, symbolic links;
// owned by root, names relative, sorted) to tw.
func tarDir(tw *tar.Writer, dir string, warn io.Writer) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == KernelPath {
			return fmt.Errorf("%s: the root file system may not have /%s: the kernel goes there", p, KernelPath)
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: rel, Mode: int64(info.Mode().Perm()),
			ModTime: info.ModTime().UTC().Truncate(time.Second), Format: tar.FormatPAX}
		// tar keeps setuid, setgid and sticky as the traditional octal bits.
		if info.Mode()&fs.ModeSetuid != 0 {
			hdr.Mode |= 0o4000
		}
		if info.Mode()&fs.ModeSetgid != 0 {
			hdr.Mode |= 0o2000
		}
		if info.Mode()&fs.ModeSticky != 0 {
			hdr.Mode |= 0o1000
		}
		switch {
		case info.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
		case info.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		default:
			if warn != nil {
				fmt.Fprintf(warn, "unigo: rootfs: skipping %s: a %v is not packed\n", p, info.Mode().Type())
			}
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.CopyN(tw, f, info.Size())
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	return nil
}
