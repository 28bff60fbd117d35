package shim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"unigo.dev/unigo/internal/cmdline"
	"unigo.dev/unigo/internal/oci"
	"unigo.dev/unigo/internal/pvh"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// KernelEntry is the process a unigo image's config names: containerd and
// the CRI plugin copy the image's Entrypoint into the bundle's
// process.args, which is how the shim tells a unigo image before its root
// file system is even mounted.
const KernelEntry = "/" + oci.KernelPath

// Annotations a pod or container may set to tune the guest.
const (
	// AnnotationMemory overrides the guest memory (QEMU -m syntax, e.g. "256M").
	AnnotationMemory = "dev.unigo.memory"
	// AnnotationMachine selects the QEMU machine (microvm, q35, pc).
	AnnotationMachine = "dev.unigo.machine"
	// AnnotationPorts lists the TCP and UDP ports the container serves
	// ("8080, 53/udp"), in addition to its image's ExposedPorts: in a pod
	// with several unikernels, the pod's traffic to these ports goes to
	// this container's guest. As a pod annotation (Kubernetes sets no
	// container annotations) it is AnnotationPorts + "." + the
	// container's name.
	AnnotationPorts = "dev.unigo.ports"
)

// CRI annotations the shim reads (containerd's pkg/cri/annotations).
const (
	annotationContainerName = "io.kubernetes.cri.container-name"
	annotationContainerType = "io.kubernetes.cri.container-type"
)

// readSpec reads the OCI runtime spec of the bundle at dir.
func readSpec(dir string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, "config.json"), err)
	}
	return &s, nil
}

// IsUnigo reports whether spec runs a unigo image: its process is the
// kernel image at [KernelEntry]. Sandbox (pause) containers and every other
// image are not.
func IsUnigo(s *specs.Spec) bool {
	if s == nil || s.Process == nil || len(s.Process.Args) == 0 {
		return false
	}
	if s.Annotations[annotationContainerType] == "sandbox" {
		return false
	}
	return path.Clean(s.Process.Args[0]) == KernelEntry
}

// netNSPath returns the path of the network namespace the spec joins: ""
// with hasNS when a new, empty one is wanted (ctr run without --net-host),
// and !hasNS for the host's network.
func netNSPath(s *specs.Spec) (p string, hasNS bool) {
	if s.Linux == nil {
		return "", false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			return ns.Path, true
		}
	}
	return "", false
}

// guest is what the shim boots for a container.
type guest struct {
	argv0   string
	args    []string
	env     []string
	cwd     string
	memMiB  int
	machine string
	dns     []netip.Addr
	ports   []port // the ports it serves
}

// guestOf reads the guest's program, environment and size from spec.
func guestOf(s *specs.Spec, id string) (*guest, error) {
	g := &guest{args: s.Process.Args[1:], env: s.Process.Env, cwd: s.Process.Cwd, memMiB: qemu.DefaultMemoryMiB, machine: "microvm"}
	if g.cwd == "/" {
		g.cwd = ""
	}
	g.argv0 = s.Annotations[annotationContainerName]
	if g.argv0 == "" {
		g.argv0 = id
	}
	if s.Linux != nil && s.Linux.Resources != nil && s.Linux.Resources.Memory != nil &&
		s.Linux.Resources.Memory.Limit != nil && *s.Linux.Resources.Memory.Limit > 0 {
		// The container's memory limit is the guest's memory (QEMU's
		// own overhead is not counted).
		g.memMiB = int(*s.Linux.Resources.Memory.Limit >> 20)
	}
	if v := s.Annotations[AnnotationMemory]; v != "" {
		mib, err := qemu.ParseMemory(v)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %v", AnnotationMemory, err)
		}
		g.memMiB = mib
	}
	for _, a := range []string{AnnotationPorts, AnnotationPorts + "." + s.Annotations[annotationContainerName]} {
		if v := s.Annotations[a]; v != "" {
			ps, err := parsePorts(v)
			if err != nil {
				return nil, fmt.Errorf("annotation %s: %v", a, err)
			}
			g.ports = append(g.ports, ps...)
		}
	}
	if v := s.Annotations[AnnotationMachine]; v != "" {
		g.machine = v
	}
	// The resolv.conf a CRI runtime bind-mounts gives the guest's servers.
	for _, m := range s.Mounts {
		if m.Destination == "/etc/resolv.conf" && m.Source != "" {
			g.dns = nameservers(m.Source)
		}
	}
	return g, nil
}

// nameservers returns the IP addresses of the nameserver lines of a
// resolv.conf file.
func nameservers(file string) []netip.Addr {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil {
				out = append(out, a)
			}
		}
	}
	return out
}

// prepareImage makes the bootable image for the unpacked unigo image at
// rootfs: rootfs/unigo/kernel.img copied to dst, with everything else under
// rootfs packed into it as the guest's root file system (as unigo run REF
// does with the image's layers). tmp is a scratch directory.
func prepareImage(rootfs, dst, tmp string) error {
	src := filepath.Join(rootfs, oci.KernelPath)
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("the container's root file system has no unigo kernel: %v", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying the kernel: %v", err)
	}
	if _, err := pvh.Check(dst); err != nil {
		return fmt.Errorf("%s is not a bootable unigo image: %v", KernelEntry, err)
	}
	others, err := hasOtherFiles(rootfs)
	if err != nil || !others {
		return err
	}
	return oci.PackRootfs(dst, rootfs, tmp, "the container's root file system", filepath.Join(rootfs, "unigo"))
}

// hasOtherFiles reports whether rootfs holds anything besides /unigo.
func hasOtherFiles(rootfs string) (bool, error) {
	ents, err := os.ReadDir(rootfs)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		if e.Name() != "unigo" {
			return true, nil
		}
	}
	return false, nil
}

// kernelLine encodes the guest's kernel command line: its program,
// environment and the network parameters.
func (g *guest) kernelLine(netArgs []string) (string, error) {
	kargs := append([]string{"unigo.log=warn"}, netArgs...)
	return cmdline.Encode(cmdline.Line{Argv0: g.argv0, Cwd: g.cwd, Kernel: kargs, Env: g.env, Args: g.args})
}
