package oci

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "images"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pack packs a fake kernel (any bytes: Pack does not boot it) and tags it.
func pack(t *testing.T, s *Store, ref string, spec Spec) Entry {
	t.Helper()
	if spec.Kernel == "" {
		spec.Kernel = filepath.Join(t.TempDir(), "kernel.img")
		os.WriteFile(spec.Kernel, []byte("\x7fELF not really a kernel"), 0o755)
	}
	release, err := s.Writing()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	md, err := s.Pack(spec)
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	r, _ := ParseRef(ref, false)
	if err := s.Tag(r, md); err != nil {
		t.Fatal(err)
	}
	e, err := s.Resolve(r)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// layerFiles lists a stored layer's entries as "name mode [-> link | =content]".
func layerFiles(t *testing.T, s *Store, d Descriptor) []string {
	t.Helper()
	var out []string
	err := s.readLayer(d, func(h *tar.Header, r io.Reader) error {
		line := h.Name + " " + os.FileMode(h.Mode).String()
		switch h.Typeflag {
		case tar.TypeSymlink:
			line += " -> " + h.Linkname
		case tar.TypeReg:
			b, _ := io.ReadAll(r)
			if len(b) < 40 {
				line += " =" + string(b)
			}
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPackLoad(t *testing.T) {
	s := newStore(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "greeting"), []byte("hi\n"), 0o644)
	os.Symlink("greeting", filepath.Join(root, "etc", "link"))
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := pack(t, s, "localhost:5000/web:1.0", Spec{Rootfs: root, Argv0: "web", Cmd: []string{"-v"},
		Env: []string{"A=1"}, Ports: []string{"8080", "53/udp"}, Labels: map[string]string{"team": "x"},
		MemoryMiB: 64, Created: created})
	if e.Ref != "localhost:5000/web:1.0" || e.Manifest.ArtifactType != ArtifactType || e.Manifest.Platform.Architecture != "amd64" {
		t.Errorf("index entry = %+v", e)
	}
	img, err := s.Load(e)
	if err != nil {
		t.Fatal(err)
	}
	m, c := img.Manifest, img.Config
	if m.ArtifactType != ArtifactType || m.Config.MediaType != MediaTypeConfig || len(m.Layers) != 2 {
		t.Fatalf("manifest = %+v", m)
	}
	for i, kind := range []string{"kernel", "rootfs"} {
		if l := m.Layers[i]; l.MediaType != MediaTypeLayer || l.Annotations[AnnotationLayer] != kind {
			t.Errorf("layer %d = %+v; want a %s layer of type %s", i, l, kind, MediaTypeLayer)
		}
	}
	if c.OS != "linux" || c.Architecture != "amd64" || !slices.Equal(c.Config.Entrypoint, []string{"/unigo/kernel.img"}) ||
		!slices.Equal(c.Config.Cmd, []string{"-v"}) || !slices.Equal(c.Config.Env, []string{"A=1"}) ||
		len(c.Config.ExposedPorts) != 2 || c.Config.Labels["team"] != "x" || c.Config.Labels[LabelArgv0] != "web" ||
		c.Config.Labels[LabelMemory] != "64" || len(c.RootFS.DiffIDs) != 2 || !c.Created.Equal(created) {
		t.Errorf("config = %+v", c)
	}
	if _, ok := c.Config.ExposedPorts["53/udp"]; !ok {
		t.Errorf("exposed ports %v lack 53/udp", c.Config.ExposedPorts)
	}
	if got, want := layerFiles(t, s, m.Layers[0]), []string{"unigo/ -rwxr-xr-x", "unigo/kernel.img -rwxr-xr-x =\x7fELF not really a kernel"}; !slices.Equal(got, want) {
		t.Errorf("kernel layer = %q; want %q", got, want)
	}
	if got, want := layerFiles(t, s, m.Layers[1]), []string{"etc/ -rwxr-xr-x", "etc/greeting -rw-r--r-- =hi\n", "etc/link -rwxrwxrwx -> greeting"}; !slices.Equal(got, want) {
		t.Errorf("rootfs layer = %q; want %q", got, want)
	}
	// Same inputs, same time: the same digest (reproducible images).
	e2 := pack(t, s, "localhost:5000/web:again", Spec{Rootfs: root, Argv0: "web", Cmd: []string{"-v"},
		Env: []string{"A=1"}, Ports: []string{"8080", "53/udp"}, Labels: map[string]string{"team": "x"},
		MemoryMiB: 64, Created: created})
	if e2.Manifest.Digest != e.Manifest.Digest {
		t.Errorf("packing twice gave %s and %s", e.Manifest.Digest, e2.Manifest.Digest)
	}
}

func TestUnpackKernelOnly(t *testing.T) {
	s := newStore(t)
	e := pack(t, s, "web", Spec{Created: time.Now()})
	img, err := s.Load(e)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "k.img")
	if err := s.Unpack(img, dst, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "\x7fELF not really a kernel" {
		t.Errorf("unpacked kernel = %q", b)
	}
	// A damaged layer blob is caught.
	kl, _ := img.Layer("kernel")
	b, _ := os.ReadFile(s.BlobPath(kl.Digest))
	b = append(b, 0) // trailing garbage after the gzip stream
	os.WriteFile(s.BlobPath(kl.Digest), b, 0o644)
	if err := s.Unpack(img, dst, t.TempDir()); !errors.Is(err, ErrBadDigest) {
		t.Errorf("Unpack of a damaged layer = %v; want ErrBadDigest", err)
	}
}

func TestResolveRemove(t *testing.T) {
	s := newStore(t)
	a := pack(t, s, "localhost:5000/a:1", Spec{Created: time.Unix(1, 0)})
	b := pack(t, s, "localhost:5000/b:1", Spec{Created: time.Unix(2, 0)})
	// Re-tagging replaces.
	a2 := pack(t, s, "localhost:5000/a:1", Spec{Created: time.Unix(3, 0)})
	list, _ := s.List()
	if len(list) != 2 {
		t.Fatalf("List = %+v; want 2 images", list)
	}
	for _, tt := range []struct {
		ref  string
		want string
	}{
		{"localhost:5000/a:1", a2.Manifest.Digest},
		{"localhost:5000/b@" + b.Manifest.Digest, b.Manifest.Digest},
	} {
		r, _ := ParseRef(tt.ref, false)
		if e, err := s.Resolve(r); err != nil || e.Manifest.Digest != tt.want {
			t.Errorf("Resolve(%s) = %v, %v; want %s", tt.ref, e.Manifest.Digest, err, tt.want)
		}
	}
	for _, missing := range []string{"localhost:5000/a:2", "localhost:5000/b@" + a.Manifest.Digest, "web"} {
		r, _ := ParseRef(missing, false)
		if _, err := s.Resolve(r); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%s) = %v; want ErrNotFound", missing, err)
		}
	}
	// Removing b deletes its blobs, but not the kernel blob a shares with it.
	r, _ := ParseRef("localhost:5000/b:1", false)
	if _, err := s.Remove(r); err != nil {
		t.Fatal(err)
	}
	imgA, err := s.Load(a2)
	if err != nil {
		t.Fatalf("a after removing b: %v", err)
	}
	kl, _ := imgA.Layer("kernel")
	if !s.HasBlob(kl.Digest) || s.HasBlob(b.Manifest.Digest) {
		t.Errorf("after rmi b: shared kernel blob kept %v, b's manifest kept %v", s.HasBlob(kl.Digest), s.HasBlob(b.Manifest.Digest))
	}
	if _, err := s.Remove(r); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove = %v; want ErrNotFound", err)
	}
	r, _ = ParseRef("localhost:5000/a:1", false)
	s.Remove(r)
	if blobs, _ := os.ReadDir(filepath.Join(s.Dir(), "blobs", "sha256")); len(blobs) != 0 {
		t.Errorf("%d blobs left in an empty store", len(blobs))
	}
}

func TestBlobDigestMismatch(t *testing.T) {
	s := newStore(t)
	_, err := s.PutBlob([]byte("data"), "sha256:"+strings.Repeat("0", 64))
	if !errors.Is(err, ErrBadDigest) {
		t.Errorf("PutBlob with the wrong digest = %v; want ErrBadDigest", err)
	}
	if blobs, _ := os.ReadDir(filepath.Join(s.Dir(), "blobs", "sha256")); len(blobs) != 0 {
		t.Errorf("a rejected blob was stored")
	}
	if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
		t.Errorf("a rejected blob left a temporary file")
	}
}

func TestParseManifest(t *testing.T) {
	d := `"digest":"sha256:` + strings.Repeat("a", 64) + `","size":1`
	tests := []struct {
		name, json string
		want       error
	}{
		{"unigo", `{"schemaVersion":2,"mediaType":"` + MediaTypeManifest + `","config":{` + d + `},"layers":[{` + d + `,"annotations":{"dev.unigo.layer":"kernel"}}]}`, nil},
		{"no kernel layer", `{"schemaVersion":2,"mediaType":"` + MediaTypeManifest + `","config":{` + d + `},"layers":[{` + d + `}]}`, ErrNotUnigo},
		{"docker manifest", `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{` + d + `},"layers":[]}`, ErrNotUnigo},
		{"bad digest", `{"schemaVersion":2,"config":{"digest":"sha256:../../etc","size":1},"layers":[]}`, ErrBadManifest},
		{"not json", `{`, ErrBadManifest},
	}
	for _, tt := range tests {
		_, err := ParseManifest([]byte(tt.json))
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: ParseManifest = %v; want %v", tt.name, err, tt.want)
		}
	}
}

func TestParseRef(t *testing.T) {
	for _, ok := range []string{"web", "web:1.0", "localhost:5000/web:1.0", "ghcr.io/x/y@sha256:" + strings.Repeat("a", 64)} {
		if _, err := ParseRef(ok, false); err != nil {
			t.Errorf("ParseRef(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Web", "a b", "x::y", "host/x@sha256:12"} {
		if _, err := ParseRef(bad, false); err == nil || !strings.Contains(err.Error(), "malformed image reference") {
			t.Errorf("ParseRef(%q) = %v; want a malformed-reference error", bad, err)
		}
	}
	if got := Short("index.docker.io/library/web:1"); got != "web:1" {
		t.Errorf("Short = %q", got)
	}
}

func TestNormalizePort(t *testing.T) {
	for in, want := range map[string]string{"80": "80/tcp", "53/udp": "53/udp", "0080/tcp": "80/tcp"} {
		if got, err := NormalizePort(in); err != nil || got != want {
			t.Errorf("NormalizePort(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "65536", "http", "80/icmp"} {
		if _, err := NormalizePort(bad); err == nil {
			t.Errorf("NormalizePort(%q) succeeded", bad)
		}
	}
}

// TestExtractorRefusesEscapes: a rootfs layer cannot write outside the
// directory it is unpacked into.
func TestExtractorRefusesEscapes(t *testing.T) {
	tests := []struct {
		name    string
		entries []tar.Header
	}{
		{"dotdot", []tar.Header{{Name: "../evil", Typeflag: tar.TypeReg}}},
		{"absolute", []tar.Header{{Name: "/etc/evil", Typeflag: tar.TypeReg}}},
		{"through a symlink", []tar.Header{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/"}, {Name: "l/evil", Typeflag: tar.TypeReg}}},
	}
	for _, tt := range tests {
		root := t.TempDir()
		x := extractor{root: root, links: map[string]bool{}}
		var err error
		for i := range tt.entries {
			h := tt.entries[i]
			h.Mode = 0o644
			if err = x.entry(&h, bytes.NewReader(nil)); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("%s: extracted without error", tt.name)
		}
	}
}
