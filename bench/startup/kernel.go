package startup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// kernelMeta is the Debian metapackage that names the current cloud kernel.
const kernelMeta = "linux-image-cloud-amd64"

// linuxKernel is the baseline guest kernel.
type linuxKernel struct {
	Path    string // vmlinuz
	Package string // e.g. "linux-image-6.1.0-56-cloud-amd64 6.1.192-2"
}

// debianKernel returns Debian's cloud kernel from the cache under dir,
// downloading it with apt-get (never installing it) when the cache is
// empty. The cache holds only boot/vmlinuz-* and a file naming the package.
func (r *runner) debianKernel(ctx context.Context, dir string) (linuxKernel, error) {
	if k, ok := cachedKernel(dir); ok {
		return k, nil
	}
	for _, tool := range []string{"apt-cache", "apt-get", "dpkg-deb"} {
		if err := needTool(tool, "to download the baseline Linux kernel (or pass -linux-kernel)"); err != nil {
			return linuxKernel{}, err
		}
	}
	// The metapackage depends on the versioned image package.
	out, err := r.output(ctx, "", "apt-cache", "depends", kernelMeta)
	if err != nil {
		return linuxKernel{}, fmt.Errorf("apt-cache depends %s: %v (run apt-get update?)", kernelMeta, err)
	}
	pkg := ""
	for line := range strings.SplitSeq(out, "\n") {
		if dep, ok := strings.CutPrefix(strings.TrimSpace(line), "Depends: "); ok && strings.HasPrefix(dep, "linux-image-") {
			pkg = dep
			break
		}
	}
	if pkg == "" {
		return linuxKernel{}, fmt.Errorf("apt-cache depends %s names no linux-image package:\n%s", kernelMeta, out)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return linuxKernel{}, err
	}
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return linuxKernel{}, err
	}
	defer os.RemoveAll(tmp)
	if _, err := r.output(ctx, tmp, "apt-get", "download", pkg); err != nil {
		return linuxKernel{}, fmt.Errorf("apt-get download %s: %v", pkg, err)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return linuxKernel{}, fmt.Errorf("apt-get download %s left %d .deb files in %s", pkg, len(debs), tmp)
	}
	version, err := r.output(ctx, "", "dpkg-deb", "-f", debs[0], "Version")
	if err != nil {
		return linuxKernel{}, fmt.Errorf("dpkg-deb -f %s: %v", debs[0], err)
	}
	x := filepath.Join(tmp, "x")
	if _, err := r.output(ctx, "", "dpkg-deb", "-x", debs[0], x); err != nil {
		return linuxKernel{}, fmt.Errorf("dpkg-deb -x %s: %v", debs[0], err)
	}
	vms, _ := filepath.Glob(filepath.Join(x, "boot", "vmlinuz-*"))
	if len(vms) != 1 {
		return linuxKernel{}, fmt.Errorf("%s holds %d boot/vmlinuz-* files; want 1", debs[0], len(vms))
	}
	data, err := os.ReadFile(vms[0])
	if err != nil {
		return linuxKernel{}, err
	}
	k := linuxKernel{Path: filepath.Join(dir, filepath.Base(vms[0])), Package: pkg + " " + strings.TrimSpace(version)}
	if err := os.WriteFile(k.Path, data, 0o644); err != nil {
		return linuxKernel{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "package"), []byte(k.Package+"\n"), 0o644); err != nil {
		return linuxKernel{}, err
	}
	return k, nil
}

// cachedKernel finds a kernel stored by an earlier debianKernel call.
func cachedKernel(dir string) (linuxKernel, bool) {
	pkg, err := os.ReadFile(filepath.Join(dir, "package"))
	if err != nil {
		return linuxKernel{}, false
	}
	vms, _ := filepath.Glob(filepath.Join(dir, "vmlinuz-*"))
	if len(vms) != 1 {
		return linuxKernel{}, false
	}
	return linuxKernel{Path: vms[0], Package: strings.TrimSpace(string(pkg))}, true
}
