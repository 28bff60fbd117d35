package ext2img

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"256M", 256 << 20}, {"2G", 2 << 30}, {"512k", 512 << 10},
		{"1GiB", 1 << 30}, {"10MB", 10 << 20}, {"1T", 1 << 40},
		{"", 0}, {"M", 0}, {"-1M", 0}, {"1.5G", 0}, {"0", 0}, {"12X", 0},
	} {
		got, err := ParseSize(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d; want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func mkfs(t *testing.T, args ...string) string {
	t.Helper()
	p, err := Mke2fs()
	if err != nil {
		t.Skip(err)
	}
	img := filepath.Join(t.TempDir(), "v.img")
	if out, err := exec.Command(p, append(append([]string{"-q", "-F"}, args...), img, "8M")...).CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	return img
}

func TestCreateAndCheck(t *testing.T) {
	if _, err := Mke2fs(); err != nil {
		t.Skip(err)
	}
	img := filepath.Join(t.TempDir(), "new.img")
	if err := Create(img, 64<<20, "data"); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(img)
	if st.Size() != 64<<20 {
		t.Errorf("size %d", st.Size())
	}
	info, err := Check(img, false)
	if err != nil || info.BlockSize != 4096 || info.Blocks != 16384 || !info.Clean {
		t.Errorf("Check(new volume) = %+v, %v", info, err)
	}
	if err := Create(img, 64<<20, ""); err == nil {
		t.Errorf("Create over an existing file succeeded")
	}
	if e2fsck, err := exec.LookPath("e2fsck"); err == nil {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck: %v\n%s", err, out)
		}
	}
}

func TestCheckRefuses(t *testing.T) {
	zero := filepath.Join(t.TempDir(), "zero.img")
	os.WriteFile(zero, make([]byte, 4096), 0o644)
	if _, err := Check(zero, false); !errors.Is(err, ErrNotExt2) {
		t.Errorf("Check(zeros) = %v; want ErrNotExt2", err)
	}
	tiny := filepath.Join(t.TempDir(), "tiny.img")
	os.WriteFile(tiny, []byte("x"), 0o644)
	if _, err := Check(tiny, false); !errors.Is(err, ErrNotExt2) {
		t.Errorf("Check(1 byte) = %v; want ErrNotExt2", err)
	}
	ext4 := mkfs(t, "-t", "ext4")
	if _, err := Check(ext4, true); err == nil || !strings.Contains(err.Error(), "extent") {
		t.Errorf("Check(ext4) = %v; want a refusal naming extent", err)
	}
	csum := mkfs(t, "-t", "ext2", "-O", "metadata_csum")
	if _, err := Check(csum, false); err == nil || !strings.Contains(err.Error(), "metadata_csum") {
		t.Errorf("Check(metadata_csum, rw) = %v; want a refusal", err)
	}
	if _, err := Check(csum, true); err != nil {
		t.Errorf("Check(metadata_csum, ro) = %v; want ok", err)
	}
	cut := mkfs(t, "-t", "ext2")
	os.Truncate(cut, 4<<20)
	if _, err := Check(cut, false); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Errorf("Check(truncated) = %v", err)
	}
}
