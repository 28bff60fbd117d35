package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/ext2img"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// Persistent volumes: --volume-disk FILE:GUEST[:ro][:size=SIZE] attaches
// the ext2 image FILE as a virtio-blk disk and mounts it at GUEST
// (docs/volumes.md). The disk's serial number is its guest name (vdb when
// --disk has vda, else vda, ...) and the kernel command line carries
// unigo.mount=vdX:GUEST:ext2[:ro]. A missing FILE is created, sparse, with
// mke2fs (256 MiB unless size= says otherwise).

const volumeDiskUsage = "attach the ext2 volume `FILE:GUEST[:ro][:size=SIZE]` at GUEST (virtio-blk; repeatable); a missing FILE is created (size= or 256M)"

// maxDisks is the most virtio-blk disks (--disk and --volume-disk) the
// guest kernel drives.
const maxDisks = 8

// volumeDisk is one parsed --volume-disk flag.
type volumeDisk struct {
	flag     string // as given, for messages
	file     string // absolute path of the image
	guest    string // clean absolute guest path
	readOnly bool
	size     int64 // size of a volume to create (0: the default)
}

// parseVolumeDisk parses one --volume-disk value (no file-system checks).
func parseVolumeDisk(s string) (volumeDisk, error) {
	v := volumeDisk{flag: s}
	flag := "--volume-disk " + s
	parts := strings.Split(s, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return v, fmt.Errorf("unigo: %s: want FILE:GUEST[:ro][:size=SIZE], e.g. data.img:/var/lib/app (file names with ':' cannot be used)", flag)
	}
	for _, opt := range parts[2:] {
		switch {
		case opt == "ro":
			v.readOnly = true
		case opt == "rw":
			v.readOnly = false
		case strings.HasPrefix(opt, "size="):
			n, err := ext2img.ParseSize(strings.TrimPrefix(opt, "size="))
			if err != nil {
				return v, fmt.Errorf("unigo: %s: %v", flag, err)
			}
			if n < ext2img.MinSize {
				return v, fmt.Errorf("unigo: %s: size %s is too small: a volume needs at least 1M", flag, strings.TrimPrefix(opt, "size="))
			}
			v.size = n
		default:
			return v, fmt.Errorf("unigo: %s: unknown option %q: want ro, rw or size=SIZE", flag, opt)
		}
	}
	var err error
	if v.file, err = filepath.Abs(parts[0]); err != nil {
		return v, fmt.Errorf("unigo: %s: %v", flag, err)
	}
	if v.guest, err = guestPath(flag, "a volume", parts[1]); err != nil {
		return v, err
	}
	return v, nil
}

// volumeDisks checks the --volume-disk flags together with -v and --disk,
// creates missing volume files (not with dryRun; a note goes to stderr),
// checks the others' superblocks, and returns QEMU's drives and the kernel
// parameters that mount them.
func (f *vmFlags) volumeDisks(dryRun bool, stderr io.Writer) ([]qemu.Drive, []string, error) {
	if len(f.volumeDisk) == 0 {
		return nil, nil, nil
	}
	type mount struct{ guest, flag string }
	var taken []mount
	for _, s := range f.volumes {
		if v, err := parseVolume(s); err == nil {
			taken = append(taken, mount{v.guest, "-v " + s})
		}
	}
	var vols []volumeDisk
	for _, s := range f.volumeDisk {
		v, err := parseVolumeDisk(s)
		if err != nil {
			return nil, nil, err
		}
		flag := "--volume-disk " + s
		for _, o := range taken {
			switch {
			case o.guest == v.guest:
				return nil, nil, fmt.Errorf("unigo: %s: guest path %s is already used by %s: one mount per guest path", flag, v.guest, o.flag)
			case strings.HasPrefix(v.guest, o.guest+"/"), strings.HasPrefix(o.guest, v.guest+"/"):
				return nil, nil, fmt.Errorf("unigo: %s: guest path %s and %s nest: mounts cannot be made inside mounts; use sibling paths", flag, v.guest, o.flag)
			}
		}
		for _, o := range vols {
			if o.file == v.file {
				return nil, nil, fmt.Errorf("unigo: %s: %s is already attached by --volume-disk %s: a volume can be attached once", flag, v.file, o.flag)
			}
		}
		if d, err := filepath.Abs(f.disk); f.disk != "" && err == nil && d == v.file {
			return nil, nil, fmt.Errorf("unigo: %s: %s is already attached raw by --disk", flag, v.file)
		}
		taken = append(taken, mount{v.guest, flag})
		vols = append(vols, v)
	}
	first := 0
	if f.disk != "" {
		first = 1
	}
	if first+len(vols) > maxDisks {
		return nil, nil, fmt.Errorf("unigo: %d disks (--disk and --volume-disk): at most %d fit; use fewer, larger volumes", first+len(vols), maxDisks)
	}
	if mmio := f.machine == "" || f.machine == "microvm"; mmio && first+len(vols)+len(f.volumes) > maxShares {
		return nil, nil, fmt.Errorf("unigo: %d virtio devices (--disk, --volume-disk, -v): microvm has %d slots; use --machine q35 or fewer devices", first+len(vols)+len(f.volumes), maxShares)
	}
	var drives []qemu.Drive
	var kargs []string
	for i, v := range vols {
		if err := prepareVolume(v, dryRun, stderr); err != nil {
			return nil, nil, err
		}
		name := fmt.Sprintf("vd%c", 'a'+first+i)
		drives = append(drives, qemu.Drive{Path: v.file, Serial: name, ReadOnly: v.readOnly})
		arg := "unigo.mount=" + name + ":" + v.guest + ":ext2"
		if v.readOnly {
			arg += ":ro"
		}
		kargs = append(kargs, arg)
	}
	return drives, kargs, nil
}

// prepareVolume creates v's file if it is missing, or checks that the
// guest can mount the one there.
func prepareVolume(v volumeDisk, dryRun bool, stderr io.Writer) error {
	flag := "--volume-disk " + v.flag
	st, err := os.Stat(v.file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		dir := filepath.Dir(v.file)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("unigo: %s: directory %s does not exist: create it, or put the volume elsewhere", flag, dir)
		}
		if v.readOnly {
			return fmt.Errorf("unigo: %s: %s does not exist, and a new volume cannot be read-only: drop :ro to create it", flag, v.file)
		}
		size := v.size
		if size == 0 {
			size = ext2img.DefaultSize
		}
		if dryRun {
			return nil
		}
		if err := ext2img.Create(v.file, size, filepath.Base(v.guest)); err != nil {
			return fmt.Errorf("unigo: %s: creating the volume: %v", flag, err)
		}
		fmt.Fprintf(stderr, "unigo: created volume %s (ext2, %d MiB, sparse) for %s\n", v.file, size>>20, v.guest)
		return nil
	case err != nil:
		return fmt.Errorf("unigo: %s: %v", flag, err)
	case st.IsDir():
		return fmt.Errorf("unigo: %s: %s is a directory: a volume is an image file (share a directory with -v instead)", flag, v.file)
	case !st.Mode().IsRegular():
		return fmt.Errorf("unigo: %s: %s is not a regular file: a volume is an image file", flag, v.file)
	}
	if v.size != 0 && v.size != st.Size() {
		fmt.Fprintf(stderr, "unigo: %s: %s exists (%d MiB): size= applies only to new volumes\n", flag, v.file, st.Size()>>20)
	}
	info, err := ext2img.Check(v.file, v.readOnly)
	if errors.Is(err, ext2img.ErrNotExt2) {
		return fmt.Errorf("unigo: %s: %s is %v: make one with mke2fs -t ext2 %s, or give a new file name to have unigo create it", flag, v.file, err, v.file)
	}
	if err != nil {
		return fmt.Errorf("unigo: %s: %s cannot be mounted: %v", flag, v.file, err)
	}
	if !info.Clean && !v.readOnly {
		fmt.Fprintf(stderr, "unigo: %s: %s was not cleanly unmounted (or has errors): consider e2fsck -f %s\n", flag, v.file, v.file)
	}
	return nil
}
