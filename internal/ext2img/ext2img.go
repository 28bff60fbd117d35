// Package ext2img creates and checks, on the host, the ext2 images that
// `unigo run --volume-disk` attaches as persistent volumes: it makes them
// with e2fsprogs' mke2fs and, before a boot, reads the superblock to turn a
// file that the guest kernel would refuse into a clear error on the host.
//
// The feature sets mirror the guest driver (kernel/fs/ext2): incompatible
// features other than filetype refuse the volume; read-only-compatible
// ones other than sparse_super and large_file allow only a read-only
// attachment.
package ext2img

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultSize is the size of a volume created without an explicit size.
const DefaultSize = 256 << 20

// MinSize is the smallest volume Create makes.
const MinSize = 1 << 20

// Superblock fields (offsets in the 1024-byte superblock at byte 1024).
const (
	superOffset  = 1024
	sBlocksCount = 4
	sLogBlock    = 24
	sMagic       = 56
	sState       = 58
	sRevLevel    = 76
	sCompat      = 92
	sIncompat    = 96
	sRoCompat    = 100
	magic        = 0xEF53

	incompatFiletype = 0x2
	incompatRecover  = 0x4
	roCompatOK       = 0x1 | 0x2 | 0x4 // sparse_super, large_file, btree_dir
)

var incompatNames = map[uint32]string{
	0x1: "compression", 0x4: "needs_recovery", 0x8: "journal_dev", 0x10: "meta_bg",
	0x40: "extent", 0x80: "64bit", 0x100: "mmp", 0x200: "flex_bg", 0x400: "ea_inode",
	0x1000: "dirdata", 0x2000: "metadata_csum_seed", 0x4000: "large_dir",
	0x8000: "inline_data", 0x10000: "encrypt", 0x20000: "casefold",
}

var roCompatNames = map[uint32]string{
	0x8: "huge_file", 0x10: "uninit_bg", 0x20: "dir_nlink", 0x40: "extra_isize",
	0x80: "snapshot", 0x100: "quota", 0x200: "bigalloc", 0x400: "metadata_csum",
	0x800: "replica", 0x1000: "read-only", 0x2000: "project", 0x4000: "shared_blocks",
	0x8000: "verity", 0x10000: "orphan_present",
}

func names(bits uint32, table map[uint32]string) string {
	var out []string
	for b := uint32(1); b != 0; b <<= 1 {
		if bits&b != 0 {
			n, ok := table[b]
			if !ok {
				n = fmt.Sprintf("%#x", b)
			}
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// ErrNotExt2 is wrapped by Check's error for a file without an ext2
// superblock.
var ErrNotExt2 = errors.New("not an ext2 file system")

// Info is what Check learned from the superblock.
type Info struct {
	BlockSize int64
	Blocks    int64
	Clean     bool // s_state says cleanly unmounted, no errors
}

// Check reads path's superblock and reports whether the guest can mount
// it (read-only when readOnly).
func Check(path string, readOnly bool) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	sb := make([]byte, 1024)
	if _, err := f.ReadAt(sb, superOffset); err != nil {
		if errors.Is(err, io.EOF) {
			return Info{}, fmt.Errorf("%w: the file is too small to hold one", ErrNotExt2)
		}
		return Info{}, err
	}
	le := binary.LittleEndian
	if m := le.Uint16(sb[sMagic:]); m != magic {
		return Info{}, fmt.Errorf("%w (superblock magic %#04x, want 0xef53)", ErrNotExt2, m)
	}
	log := le.Uint32(sb[sLogBlock:])
	if log > 2 {
		return Info{}, fmt.Errorf("block size %d is not supported (1, 2 or 4 KiB)", 1024<<log)
	}
	info := Info{BlockSize: 1024 << log, Blocks: int64(le.Uint32(sb[sBlocksCount:]))}
	state := le.Uint16(sb[sState:])
	info.Clean = state&1 != 0 && state&2 == 0
	if le.Uint32(sb[sRevLevel:]) >= 1 {
		incompat := le.Uint32(sb[sIncompat:])
		if incompat&incompatRecover != 0 {
			return info, fmt.Errorf("its journal needs recovery: run e2fsck -f %s", path)
		}
		if bad := incompat &^ incompatFiletype; bad != 0 {
			return info, fmt.Errorf("it uses features the guest's ext2 driver does not have (%s; an ext4 volume?): make the volume with mke2fs -t ext2", names(bad, incompatNames))
		}
		if bad := le.Uint32(sb[sRoCompat:]) &^ roCompatOK; bad != 0 && !readOnly {
			return info, fmt.Errorf("its features %s are readable but not writable by the guest: attach it read-only (:ro) or make the volume with mke2fs -t ext2", names(bad, roCompatNames))
		}
	}
	st, err := f.Stat()
	if err != nil {
		return info, err
	}
	if need := info.Blocks * info.BlockSize; st.Mode().IsRegular() && st.Size() < need {
		return info, fmt.Errorf("the file (%d bytes) is shorter than its file system (%d bytes): truncated copy?", st.Size(), need)
	}
	return info, nil
}

// Mke2fs returns the path of mke2fs, or an error that says how to get it.
func Mke2fs() (string, error) {
	for _, name := range []string{"mke2fs", "mkfs.ext2"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if p := filepath.Join(dir, name); isExec(p) {
				return p, nil
			}
		}
	}
	return "", errors.New("mke2fs not found: install e2fsprogs (apt-get install e2fsprogs, dnf install e2fsprogs, brew install e2fsprogs) or create the volume yourself with mke2fs -t ext2")
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Create makes a new, sparse ext2 volume of size bytes at path (which must
// not exist): 4 KiB blocks, 256-byte inodes, the ext2 features Linux
// defaults to, label label.
func Create(path string, size int64, label string) error {
	if size < MinSize {
		return fmt.Errorf("size %d is too small: a volume needs at least 1M", size)
	}
	mkfs, err := Mke2fs()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	f.Close()
	args := []string{"-q", "-F", "-t", "ext2", "-b", "4096", "-I", "256", "-m", "0"}
	if label != "" {
		args = append(args, "-L", label)
	}
	args = append(args, path)
	cmd := exec.Command(mkfs, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(path)
		return fmt.Errorf("%s %s: %v: %s", mkfs, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ParseSize parses a volume size: bytes, or a number with K, M, G or T
// (powers of 1024; an optional trailing B or iB is accepted).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(s), "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q: want e.g. 256M or 2G", s)
	}
	return v * mult, nil
}
