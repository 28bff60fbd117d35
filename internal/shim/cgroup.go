package shim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The guest's QEMU goes into the container's cgroup (the spec's
// cgroupsPath, e.g. /k8s.io/ID, with the cgroupfs driver), so the pod's CPU
// and pids limits and the kubelet's accounting (cAdvisor reads the
// cgroups) cover it as they cover a container's processes. The memory
// limit is not applied: it already sized the guest, and QEMU needs a
// little more than the guest's memory.

// cgroupRoot is where the cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupPath returns the spec's cgroup path if the shim can use it: an
// absolute cgroupfs path ("" for none). A systemd driver's
// "slice:prefix:name" is refused.
func cgroupPath(s *specs.Spec) (string, error) {
	if s.Linux == nil || s.Linux.CgroupsPath == "" {
		return "", nil
	}
	p := filepath.Clean(s.Linux.CgroupsPath)
	if strings.Contains(p, ":") || !strings.HasPrefix(p, "/") || p == "/" {
		return "", fmt.Errorf("cgroup %s: only cgroupfs paths are supported (containerd's SystemdCgroup = false)", s.Linux.CgroupsPath)
	}
	return p, nil
}

// cgroupFiles returns the control files to write for the resources r:
// cgroup v2 names when unified, v1 names (relative to the controller's
// hierarchy, "cpu/cpu.cfs_quota_us") otherwise.
func cgroupFiles(r *specs.LinuxResources, unified bool) map[string]string {
	f := map[string]string{}
	if r == nil {
		return f
	}
	if c := r.CPU; c != nil {
		if unified {
			if c.Quota != nil && *c.Quota > 0 {
				period := uint64(100000)
				if c.Period != nil && *c.Period > 0 {
					period = *c.Period
				}
				f["cpu.max"] = fmt.Sprintf("%d %d", *c.Quota, period)
			}
			if c.Shares != nil && *c.Shares > 0 {
				// The kernel's and runc's conversion of shares to weight.
				f["cpu.weight"] = strconv.FormatUint(1+((*c.Shares-2)*9999)/262142, 10)
			}
		} else {
			if c.Period != nil && *c.Period > 0 {
				f["cpu/cpu.cfs_period_us"] = strconv.FormatUint(*c.Period, 10)
			}
			if c.Quota != nil && *c.Quota != 0 {
				f["cpu/cpu.cfs_quota_us"] = strconv.FormatInt(*c.Quota, 10)
			}
			if c.Shares != nil && *c.Shares > 0 {
				f["cpu/cpu.shares"] = strconv.FormatUint(*c.Shares, 10)
			}
		}
	}
	if r.Pids != nil && r.Pids.Limit > 0 {
		if unified {
			f["pids.max"] = strconv.FormatInt(r.Pids.Limit, 10)
		} else {
			f["pids/pids.max"] = strconv.FormatInt(r.Pids.Limit, 10)
		}
	}
	return f
}

// cgroupDirs returns the directories of the cgroup at path: one on cgroup
// v2, one per v1 controller the shim uses.
func cgroupDirs(path string) (dirs []string, unified bool) {
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers")); err == nil {
		return []string{filepath.Join(cgroupRoot, path)}, true
	}
	for _, c := range []string{"cpu", "cpuacct", "pids", "memory", "blkio"} {
		if _, err := os.Stat(filepath.Join(cgroupRoot, c, "cgroup.procs")); err == nil {
			dirs = append(dirs, filepath.Join(cgroupRoot, c, path))
		}
	}
	return dirs, false
}

// joinCgroup creates the cgroup at path, applies the CPU and pids limits
// of r and moves pid into it.
func joinCgroup(path string, r *specs.LinuxResources, pid int) error {
	dirs, unified := cgroupDirs(path)
	if len(dirs) == 0 {
		return errors.New("no cgroup file system under " + cgroupRoot)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, v := range cgroupFiles(r, unified) {
		file := filepath.Join(dirs[0], name)
		if !unified {
			ctl, rest, _ := strings.Cut(name, "/")
			file = filepath.Join(cgroupRoot, ctl, path, rest)
		}
		if err := os.WriteFile(file, []byte(v), 0); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("moving QEMU into %s: %w", d, err)
		}
	}
	return nil
}

// removeCgroup removes the cgroup at path (its processes must be gone).
func removeCgroup(path string) {
	dirs, _ := cgroupDirs(path)
	for _, d := range dirs {
		os.Remove(d)
	}
}
