package cli

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/vmm/qemu"
)

// Host shares: -v HOST:GUEST[:ro] exports the host directory HOST to the
// guest over virtio-9p (QEMU's local fsdev) and mounts it at GUEST
// (docs/shares.md). Each share is one virtio-9p device whose mount tag
// ("share0", "share1", ...) the kernel finds it by; the kernel command line
// carries unigo.mount=TAG:GUEST:9p[:ro].

const volumeUsage = "share the host directory `HOST:GUEST[:ro]` with the guest at GUEST (virtio-9p; repeatable; :ro for read-only)"

// maxShares is the most shares one guest takes: the kernel drives at most
// eight optional virtio devices, and microvm has eight virtio-mmio slots
// (one goes to --disk).
const maxShares = 8

// volume is one parsed -v flag.
type volume struct {
	flag     string // as given, for messages
	host     string // absolute host directory
	guest    string // clean absolute guest path
	readOnly bool
}

// parseVolume parses and checks one -v value.
func parseVolume(s string) (volume, error) {
	v := volume{flag: s}
	if !strings.Contains(s, ":") {
		return v, fmt.Errorf("unigo: -v %s: want HOST:GUEST[:ro], a host directory to share (verbose test output is unigo test PKG -- -test.v)", s)
	}
	parts := strings.Split(s, ":")
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			v.readOnly = true
		case "rw":
		default:
			return v, fmt.Errorf("unigo: -v %s: unknown option %q: want ro or rw (HOST:GUEST[:ro])", s, parts[2])
		}
		parts = parts[:2]
	}
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return v, fmt.Errorf("unigo: -v %s: want HOST:GUEST or HOST:GUEST:ro (host paths with ':' cannot be shared)", s)
	}
	host, guest := parts[0], parts[1]
	st, err := os.Stat(host)
	switch {
	case os.IsNotExist(err):
		return v, fmt.Errorf("unigo: -v %s: host directory %s does not exist: create it or fix the path", s, host)
	case err != nil:
		return v, fmt.Errorf("unigo: -v %s: %v", s, err)
	case !st.IsDir():
		return v, fmt.Errorf("unigo: -v %s: %s is not a directory: share the directory that holds it", s, host)
	}
	if v.host, err = filepath.Abs(host); err != nil {
		return v, fmt.Errorf("unigo: -v %s: %v", s, err)
	}
	if v.guest, err = guestPath("-v "+s, "a share", guest); err != nil {
		return v, err
	}
	return v, nil
}

// guestPath checks and cleans the guest path of a mount given by flag
// (what, e.g. "a share", names it in messages).
func guestPath(flag, what, guest string) (string, error) {
	if !strings.HasPrefix(guest, "/") {
		return "", fmt.Errorf("unigo: %s: guest path %q is not absolute: write it from the guest's root, e.g. /data", flag, guest)
	}
	g := path.Clean(guest)
	if g == "/" {
		return "", fmt.Errorf("unigo: %s: %s at / would hide the guest's root file system: mount it at a directory such as /data", flag, what)
	}
	for i := 0; i < len(g); i++ {
		if c := g[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/._-+@~,", c) >= 0) {
			return "", fmt.Errorf("unigo: %s: guest path %q has %q: use letters, digits and . _ - + @ ~ , only", flag, g, c)
		}
	}
	return g, nil
}

// shares checks the -v flags together and returns QEMU's shares and the
// kernel parameters that mount them.
func (f *vmFlags) shares() ([]qemu.Share, []string, error) {
	var vols []volume
	for _, s := range f.volumes {
		v, err := parseVolume(s)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range vols {
			switch {
			case o.guest == v.guest:
				return nil, nil, fmt.Errorf("unigo: -v %s: guest path %s is already shared by -v %s: use one share per guest path", s, v.guest, o.flag)
			case strings.HasPrefix(v.guest, o.guest+"/"), strings.HasPrefix(o.guest, v.guest+"/"):
				return nil, nil, fmt.Errorf("unigo: -v %s: guest path %s and -v %s nest: shares cannot be mounted inside shares; use sibling paths", s, v.guest, o.flag)
			}
		}
		vols = append(vols, v)
	}
	limit := maxShares
	if f.disk != "" && (f.machine == "" || f.machine == "microvm") {
		limit--
	}
	if len(vols) > limit {
		return nil, nil, fmt.Errorf("unigo: %d shares (-v): at most %d fit on this machine; share a common parent directory instead", len(vols), limit)
	}
	var shares []qemu.Share
	var kargs []string
	for i, v := range vols {
		tag := fmt.Sprintf("share%d", i)
		shares = append(shares, qemu.Share{Path: v.host, Tag: tag, ReadOnly: v.readOnly})
		arg := "unigo.mount=" + tag + ":" + v.guest + ":9p"
		if v.readOnly {
			arg += ":ro"
		}
		kargs = append(kargs, arg)
	}
	return shares, kargs, nil
}
