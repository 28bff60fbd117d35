package shim

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"unigo.dev/unigo/internal/image"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// maxShares is the most 9P shares a guest takes (the kernel drives eight
// optional virtio devices; microvm has eight virtio-mmio slots, and the
// network device takes one).
const maxShares = 7

// shares turns the spec's bind mounts of host directories (volumes,
// config maps, secrets, the service account token) into virtio-9p shares
// and the kernel parameters that mount them, as unigo run -v does
// (docs/shares.md). Mounts of single files (/etc/hosts, /etc/resolv.conf,
// /etc/hostname, the termination log) and of the kernel's own file systems
// are left out: the guest has its own; skipped lists them for the log.
// An image without the 9P driver (a program that never opens files) gets
// no shares at all.
func shares(s *specs.Spec, img string) (sh []qemu.Share, kargs, skipped []string, err error) {
	var want []specs.Mount
	for _, m := range s.Mounts {
		if !isBind(m) {
			continue
		}
		dst := path.Clean(m.Destination)
		if dst == "/" || under(dst, "/proc", "/sys", "/dev") {
			continue
		}
		if st, err := os.Stat(m.Source); err != nil || !st.IsDir() {
			if !slices.Contains([]string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}, dst) {
				skipped = append(skipped, dst+" (not a directory)")
			}
			continue
		}
		if bad := strings.IndexFunc(dst, func(c rune) bool { return !guestPathChar(c) }); bad >= 0 {
			skipped = append(skipped, fmt.Sprintf("%s (%q in the path)", dst, dst[bad]))
			continue
		}
		m.Destination = dst
		want = append(want, m)
	}
	if len(want) == 0 {
		return nil, nil, skipped, nil
	}
	if has, known, err := image.HasPackage(img, image.P9Package); err == nil && known && !has {
		for _, m := range want {
			skipped = append(skipped, m.Destination+" (the program never opens files, so its image has no file-system driver)")
		}
		return nil, nil, skipped, nil
	}
	if len(want) > maxShares {
		return nil, nil, nil, fmt.Errorf("%d directory mounts: at most %d fit in a guest", len(want), maxShares)
	}
	for i, m := range want {
		tag := fmt.Sprintf("share%d", i)
		ro := slices.Contains(m.Options, "ro")
		sh = append(sh, qemu.Share{Path: m.Source, Tag: tag, ReadOnly: ro})
		arg := "unigo.mount=" + tag + ":" + m.Destination + ":9p"
		if ro {
			arg += ":ro"
		}
		kargs = append(kargs, arg)
	}
	return sh, kargs, skipped, nil
}

func isBind(m specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}

// under reports whether p is one of dirs or inside one.
func under(p string, dirs ...string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// guestPathChar reports whether the kernel command line carries c in a
// mount path as it is (unigo run -v allows the same).
func guestPathChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+@~,", c)
}
