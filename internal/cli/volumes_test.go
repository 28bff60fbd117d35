package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"unigo.dev/unigo/internal/kraftfile"
	"unigo.dev/unigo/internal/vmm/qemu"
)

func TestVolumes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	other := filepath.Join(dir, "other")
	file := filepath.Join(dir, "file.txt")
	os.Mkdir(data, 0o755)
	os.Mkdir(other, 0o755)
	os.WriteFile(file, []byte("x"), 0o644)
	tests := []struct {
		name    string
		vols    []string
		disk    string
		machine string
		shares  []qemu.Share
		mounts  []string
		err     string
	}{
		{"none", nil, "", "", nil, nil, ""},
		{"one", []string{data + ":/data"}, "", "", []qemu.Share{{Path: data, Tag: "share0"}}, []string{"unigo.mount=share0:/data:9p"}, ""},
		{"read-only and clean", []string{data + ":/data/:ro", other + ":/srv//x:rw"}, "", "",
			[]qemu.Share{{Path: data, Tag: "share0", ReadOnly: true}, {Path: other, Tag: "share1"}},
			[]string{"unigo.mount=share0:/data:9p:ro", "unigo.mount=share1:/srv/x:9p"}, ""},
		{"missing host dir", []string{filepath.Join(dir, "nope") + ":/data"}, "", "", nil, nil, "does not exist: create it"},
		{"host file", []string{file + ":/data"}, "", "", nil, nil, "is not a directory"},
		{"relative guest", []string{data + ":data"}, "", "", nil, nil, `guest path "data" is not absolute`},
		{"guest root", []string{data + ":/"}, "", "", nil, nil, "would hide the guest's root"},
		{"bad option", []string{data + ":/data:rx"}, "", "", nil, nil, `unknown option "rx"`},
		{"no guest", []string{data}, "", "", nil, nil, "want HOST:GUEST[:ro], a host directory to share (verbose test output is unigo test PKG -- -test.v)"},
		{"colon in path", []string{data + ":/a:b:ro"}, "", "", nil, nil, "want HOST:GUEST"},
		{"space in guest", []string{data + ":/my data"}, "", "", nil, nil, `has ' '`},
		{"duplicate", []string{data + ":/data", other + ":/data/"}, "", "", nil, nil, "already shared by -v " + data + ":/data"},
		{"nested", []string{data + ":/data", other + ":/data/sub"}, "", "", nil, nil, "nest"},
		{"too many with a disk", slices.Repeat([]string{data + ":/d"}, 8), "disk.img", "microvm", nil, nil, ""},
	}
	for i := range tests[len(tests)-1].vols {
		tests[len(tests)-1].vols[i] += string(rune('a' + i))
	}
	tests[len(tests)-1].err = "at most 7 fit"
	for _, tt := range tests {
		f := vmFlags{volumes: tt.vols, disk: tt.disk, machine: tt.machine}
		shares, mounts, err := f.shares()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: shares(%q) error = %v; want one line containing %q", tt.name, tt.vols, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(shares, tt.shares) || !slices.Equal(mounts, tt.mounts) {
			t.Errorf("%s: shares(%q) = %+v, %q, %v; want %+v, %q", tt.name, tt.vols, shares, mounts, err, tt.shares, tt.mounts)
		}
	}
}

func TestVolumeDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	img := fakeImage(t)
	data := t.TempDir()
	// The fake program opens no files, so its image has no 9P driver: -v
	// is refused before anything boots.
	status, _, stderr := run(t, "run", "--dry-run", "--accel", "tcg", "-v", data+":/data:ro", img)
	if status != ExitUsage || !strings.Contains(stderr, "-v needs the file-system driver p9, which is not in this image") {
		t.Errorf("-v with an image without the 9P driver: status %d, %q; want %d and a clear message", status, stderr, ExitUsage)
	}
	// A stripped image cannot tell and is let through (the kernel
	// reports a missing driver at boot).
	stripped := filepath.Join(t.TempDir(), "stripped.img")
	if out, err := exec.Command("strip", "-o", stripped, img).CombinedOutput(); err != nil {
		t.Skipf("strip: %v %s", err, out)
	}
	img = stripped
	status, stdout, stderr := run(t, "run", "--dry-run", "--accel", "tcg", "-v", data+":/data:ro", img)
	if status != 0 {
		t.Fatalf("dry run = %d: %s", status, stderr)
	}
	for _, want := range []string{
		"-fsdev local,id=share0,path=" + data + ",security_model=none,multidevs=remap,readonly=on",
		"-device virtio-9p-device,fsdev=share0,mount_tag=share0",
		"unigo.mount=share0:/data:9p:ro",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
	status, _, stderr = run(t, "run", "-v", "/nonexistent-unigo-dir:/data", img)
	if status != ExitUsage || !strings.Contains(stderr, "host directory /nonexistent-unigo-dir does not exist") {
		t.Errorf("missing share dir: status %d, %q; want %d and a clear message", status, stderr, ExitUsage)
	}
}

// A Kraftfile's volumes become shares, relative to the Kraftfile, unless
// -v is given.
func TestKraftfileVolumes(t *testing.T) {
	kf := &kraftfile.File{Path: "/proj/Kraftfile", Volumes: []kraftfile.Volume{
		{Source: "./data", Destination: "/data"}, {Source: "/abs", Destination: "/in", ReadOnly: true}}}
	var f vmFlags
	var rest []string
	applyKraftfile(kf, &f, &rest)
	if want := []string{"/proj/data:/data", "/abs:/in:ro"}; !slices.Equal(f.volumes, want) {
		t.Errorf("volumes from the Kraftfile = %q; want %q", f.volumes, want)
	}
	// A -v for a guest path the Kraftfile also shares wins there
	// (docs/kraftfile.md); the Kraftfile's other volumes stay.
	f = vmFlags{volumes: multiFlag{"/x:/y", "/x:/data/"}}
	applyKraftfile(kf, &f, &rest)
	if want := []string{"/abs:/in:ro", "/x:/y", "/x:/data/"}; !slices.Equal(f.volumes, want) {
		t.Errorf("volumes with -v = %q; want %q", f.volumes, want)
	}
}
