package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Store is a local image store: an OCI image layout directory
// (image-spec "image-layout.md": oci-layout, index.json, blobs/sha256/)
// whose index.json names each image by its full reference in
// [AnnotationRefName].
//
// Locks: index.lock is held exclusively while index.json is read-modified-
// written; gc.lock is held shared by anyone writing blobs that are not yet
// referenced (pack, pull) and exclusively by garbage collection, which
// therefore never deletes a blob about to be tagged. Order: gc, then index.
type Store struct {
	dir string
}

// Errors of the store.
var (
	ErrNotFound    = errors.New("no such image in the local store")
	ErrNotUnigo    = errors.New("not a unigo image")
	ErrBadDigest   = errors.New("content does not match its digest")
	ErrBadManifest = errors.New("malformed image manifest")
)

// OpenStore opens (creating if needed) the store in dir.
func OpenStore(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "blobs", "sha256"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	s := &Store{dir: dir}
	layout := filepath.Join(dir, "oci-layout")
	if _, err := os.Stat(layout); errors.Is(err, os.ErrNotExist) {
		if err := writeFileAtomic(filepath.Join(dir, "tmp"), layout, []byte(`{"imageLayoutVersion":"1.0.0"}`+"\n")); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Dir is the store's directory (an OCI image layout).
func (s *Store) Dir() string { return s.dir }

// lock flocks file in the store; the returned function releases it.
func (s *Store) lock(file string, how int) (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, file), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("image store lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("image store lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// Writing returns a release function after taking the shared lock that
// keeps garbage collection away while new blobs are written and tagged.
func (s *Store) Writing() (func(), error) { return s.lock("gc.lock", syscall.LOCK_SH) }

// BlobPath is where a blob with digest "sha256:<hex>" lives.
func (s *Store) BlobPath(digest string) string {
	alg, hexd, _ := strings.Cut(digest, ":")
	return filepath.Join(s.dir, "blobs", alg, hexd)
}

// ReadBlob reads a whole (small) blob and checks its digest.
func (s *Store) ReadBlob(d Descriptor) ([]byte, error) {
	if !validDigest(d.Digest) {
		return nil, fmt.Errorf("%w: bad digest %q", ErrBadManifest, d.Digest)
	}
	b, err := os.ReadFile(s.BlobPath(d.Digest))
	if err != nil {
		return nil, err
	}
	if got := digestOf(b); got != d.Digest {
		return nil, fmt.Errorf("blob %s: %w (got %s): the store is damaged; remove the image and pull or build it again", d.Digest, ErrBadDigest, got)
	}
	return b, nil
}

// OpenBlob opens a blob for reading.
func (s *Store) OpenBlob(digest string) (*os.File, error) {
	if !validDigest(digest) {
		return nil, fmt.Errorf("%w: bad digest %q", ErrBadManifest, digest)
	}
	return os.Open(s.BlobPath(digest))
}

// HasBlob reports whether the store holds digest.
func (s *Store) HasBlob(digest string) bool {
	if !validDigest(digest) {
		return false
	}
	_, err := os.Stat(s.BlobPath(digest))
	return err == nil
}

// BlobWriter writes one blob: bytes go to a temporary file and are hashed;
// Commit checks the digest (if one is expected) and moves the file into
// place. Preconditions: the caller holds [Store.Writing].
type BlobWriter struct {
	s    *Store
	f    *os.File
	h    hash.Hash
	n    int64
	done bool
}

// NewBlob starts a blob.
func (s *Store) NewBlob() (*BlobWriter, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "blob-*")
	if err != nil {
		return nil, err
	}
	return &BlobWriter{s: s, f: f, h: sha256.New()}, nil
}

func (w *BlobWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Commit finishes the blob. With want non-empty, a different digest is
// an error wrapping [ErrBadDigest] and nothing is stored.
func (w *BlobWriter) Commit(want string) (Descriptor, error) {
	defer w.Abort()
	got := "sha256:" + hex.EncodeToString(w.h.Sum(nil))
	if want != "" && got != want {
		return Descriptor{}, fmt.Errorf("%w: want %s, got %s", ErrBadDigest, want, got)
	}
	if err := w.f.Close(); err != nil {
		return Descriptor{}, err
	}
	if err := os.Rename(w.f.Name(), w.s.BlobPath(got)); err != nil {
		return Descriptor{}, err
	}
	w.done = true
	return Descriptor{Digest: got, Size: w.n}, nil
}

// Abort drops an uncommitted blob.
func (w *BlobWriter) Abort() {
	if !w.done {
		w.f.Close()
		os.Remove(w.f.Name())
		w.done = true
	}
}

// PutBlob stores b and returns its descriptor (without media type).
func (s *Store) PutBlob(b []byte, want string) (Descriptor, error) {
	w, err := s.NewBlob()
	if err != nil {
		return Descriptor{}, err
	}
	if _, err := w.Write(b); err != nil {
		w.Abort()
		return Descriptor{}, err
	}
	return w.Commit(want)
}

func digestOf(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

func validDigest(d string) bool {
	alg, h, ok := strings.Cut(d, ":")
	if !ok || alg != "sha256" || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

func (s *Store) readIndex() (*Index, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, "index.json"))
	if errors.Is(err, os.ErrNotExist) {
		return &Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: []Descriptor{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("image store %s: index.json: %w", s.dir, err)
	}
	return &idx, nil
}

func (s *Store) writeIndex(idx *Index) error {
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, "tmp"), filepath.Join(s.dir, "index.json"), append(b, '\n'))
}

func writeFileAtomic(tmpDir, path string, data []byte) error {
	f, err := os.CreateTemp(tmpDir, ".write-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// ParseRef parses an image reference ("localhost:5000/web:1.0",
// "web" = docker.io/library/web:latest, "host/x@sha256:...").
func ParseRef(ref string, insecure bool) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		why := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "could not parse reference: "+ref), ": ")
		if why != "" {
			why = " (" + why + ")"
		}
		return nil, fmt.Errorf("malformed image reference %q%s: want [REGISTRY/]REPOSITORY[:TAG|@sha256:DIGEST] in lower case, e.g. localhost:5000/web:1.0", ref, why)
	}
	return r, nil
}

// Short returns a reference the way people write it: without the default
// registry and the library/ namespace.
func Short(full string) string {
	for _, p := range []string{"index.docker.io/library/", "index.docker.io/"} {
		if strings.HasPrefix(full, p) {
			return strings.TrimPrefix(full, p)
		}
	}
	return full
}

// Entry is an image in the store.
type Entry struct {
	Ref      string     // full reference (registry/repository:tag or @digest)
	Manifest Descriptor // the manifest's descriptor in index.json
}

// String is the entry as REF@DIGEST (just REF when it is a digest
// reference).
func (e Entry) String() string {
	if strings.Contains(e.Ref, "@") {
		return Short(e.Ref)
	}
	return Short(e.Ref) + "@" + e.Manifest.Digest
}

// Tag points ref at the manifest m (replacing what ref named before).
func (s *Store) Tag(ref name.Reference, m Descriptor) error {
	unlock, err := s.lock("index.lock", syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	full := ref.Name()
	idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d Descriptor) bool { return d.Annotations[AnnotationRefName] == full })
	d := Descriptor{MediaType: MediaTypeManifest, Digest: m.Digest, Size: m.Size, ArtifactType: ArtifactType,
		Platform: &Platform{Architecture: "amd64", OS: "linux"},
		Annotations: map[string]string{
			AnnotationRefName:        full,
			AnnotationContainerdName: full,
			AnnotationCreated:        time.Now().UTC().Format(time.RFC3339),
		}}
	idx.Manifests = append(idx.Manifests, d)
	return s.writeIndex(idx)
}

// List returns the store's images in index order.
func (s *Store) List() ([]Entry, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, d := range idx.Manifests {
		out = append(out, Entry{Ref: d.Annotations[AnnotationRefName], Manifest: d})
	}
	return out, nil
}

// Resolve finds ref in the store: by its name (repo:tag, or repo@digest
// as pulled by digest), else for repo@digest a tag of repo holding that
// manifest.
func (s *Store) Resolve(ref name.Reference) (Entry, error) {
	all, err := s.List()
	if err != nil {
		return Entry{}, err
	}
	for _, e := range all {
		if e.Ref == ref.Name() {
			return e, nil
		}
	}
	// repo@digest also finds a tag of repo that holds that manifest.
	if dg, ok := ref.(name.Digest); ok {
		repo := dg.Context().Name()
		for _, e := range all {
			if e.Manifest.Digest == dg.DigestStr() && strings.HasPrefix(e.Ref, repo+":") {
				return e, nil
			}
		}
	}
	return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, Short(ref.Name()))
}

// Remove untags ref and deletes every blob no other image uses.
func (s *Store) Remove(ref name.Reference) (Entry, error) {
	unlockGC, err := s.lock("gc.lock", syscall.LOCK_EX)
	if err != nil {
		return Entry{}, err
	}
	defer unlockGC()
	unlock, err := s.lock("index.lock", syscall.LOCK_EX)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	e, err := s.Resolve(ref)
	if err != nil {
		return Entry{}, err
	}
	idx, err := s.readIndex()
	if err != nil {
		return Entry{}, err
	}
	idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d Descriptor) bool { return d.Annotations[AnnotationRefName] == e.Ref })
	if err := s.writeIndex(idx); err != nil {
		return Entry{}, err
	}
	return e, s.gc(idx)
}

// gc deletes blobs that idx does not reach, and stale temporary files.
// Preconditions: gc.lock is held exclusively.
func (s *Store) gc(idx *Index) error {
	keep := map[string]bool{}
	for _, d := range idx.Manifests {
		keep[d.Digest] = true
		b, err := s.ReadBlob(d)
		if err != nil {
			continue // a missing or damaged manifest keeps nothing
		}
		var m Manifest
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		keep[m.Config.Digest] = true
		for _, l := range m.Layers {
			keep[l.Digest] = true
		}
	}
	dir := filepath.Join(s.dir, "blobs", "sha256")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !keep["sha256:"+e.Name()] {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	tmps, _ := os.ReadDir(filepath.Join(s.dir, "tmp"))
	for _, e := range tmps {
		os.Remove(filepath.Join(s.dir, "tmp", e.Name())) // no writer runs: we hold gc.lock
	}
	return nil
}

// Image is a stored image, read back and checked.
type Image struct {
	Entry
	Manifest Manifest
	Config   Config
	Raw      []byte // the manifest's bytes
}

// Load reads e's manifest and config and checks that it is a unigo image.
func (s *Store) Load(e Entry) (*Image, error) {
	raw, err := s.ReadBlob(e.Manifest)
	if err != nil {
		return nil, err
	}
	img, err := ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	img.Entry = e
	cb, err := s.ReadBlob(img.Manifest.Config)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(cb, &img.Config); err != nil {
		return nil, fmt.Errorf("%w: config: %v", ErrBadManifest, err)
	}
	return img, nil
}

// ParseManifest parses a manifest and checks that it describes a unigo
// image (a kernel layer at least).
func ParseManifest(raw []byte) (*Image, error) {
	img := &Image{Raw: raw}
	if err := json.Unmarshal(raw, &img.Manifest); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	m := img.Manifest
	if m.MediaType != MediaTypeManifest && m.MediaType != "" {
		return nil, fmt.Errorf("%w: manifest media type %s", ErrNotUnigo, m.MediaType)
	}
	if !validDigest(m.Config.Digest) {
		return nil, fmt.Errorf("%w: config digest %q", ErrBadManifest, m.Config.Digest)
	}
	kernels := 0
	for _, l := range m.Layers {
		if !validDigest(l.Digest) {
			return nil, fmt.Errorf("%w: layer digest %q", ErrBadManifest, l.Digest)
		}
		if l.Annotations[AnnotationLayer] == "kernel" {
			kernels++
		}
	}
	if kernels != 1 {
		return nil, fmt.Errorf("%w: it has %d layers annotated %s=kernel, want 1 (build it with 'unigo pkg')", ErrNotUnigo, kernels, AnnotationLayer)
	}
	return img, nil
}

// Layer returns the descriptor of the layer of the given kind ("kernel",
// "rootfs"), if any.
func (img *Image) Layer(kind string) (Descriptor, bool) {
	for _, l := range img.Manifest.Layers {
		if l.Annotations[AnnotationLayer] == kind {
			return l, true
		}
	}
	return Descriptor{}, false
}

// Size is the image's total size in the store: manifest, config, layers.
func (img *Image) Size() int64 {
	n := int64(len(img.Raw)) + img.Manifest.Config.Size
	for _, l := range img.Manifest.Layers {
		n += l.Size
	}
	return n
}

// WriteTo is a helper for tests and unpacking: copies blob digest to w.
func (s *Store) copyBlob(w io.Writer, digest string) error {
	f, err := s.OpenBlob(digest)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
