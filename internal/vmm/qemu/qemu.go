// Package qemu boots unigo images under qemu-system-x86_64.
//
// [Config.Args] builds the command line; [Run] starts QEMU with the guest
// console (COM1) on a writer, waits, and decodes the guest's exit status.
//
// Exit protocol: the guest writes its exit status s to the isa-debug-exit
// device at port 0xf4 and QEMU exits with (s<<1)|1. QEMU's own failures exit
// 1 with a message on its stderr; exit 0 means the guest stopped without
// reporting (reset, triple fault: -no-reboot turns a reset into an exit).
package qemu

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Machines lists the supported machine types.
var Machines = []string{"microvm", "q35", "pc"}

// DefaultMemoryMiB is the default guest memory size.
const DefaultMemoryMiB = 128

// DebugExitPort is the isa-debug-exit I/O port the kernel writes its status to.
const DebugExitPort = 0xf4

// Config describes one guest boot.
type Config struct {
	QEMU      string  // qemu-system-x86_64 binary
	Machine   string  // microvm (default), q35 or pc
	Accel     string  // kvm or tcg (resolve "auto" with [ResolveAccel] first)
	MemoryMiB int     // guest memory; 0 means DefaultMemoryMiB
	SMP       int     // vCPUs; 0 means 1
	Kernel    string  // the image
	Append    string  // kernel command line (package cmdline)
	GDB       bool    // wait for a debugger on tcp::1234 (-s -S)
	TraceFile string  // if set, log interrupts and CPU resets there (-d int,cpu_reset)
	ICount    bool    // deterministic instruction counting (-icount shift=0,sleep=off)
	CPU       string  // CPU model; "" means host (KVM) or max (TCG)
	QMP       string  // if set, a QMP server socket at this path (for Powerdown)
	Disk      string  // if set, a raw disk image attached as virtio-blk (the guest's /dev/vda)
	Volumes   []Drive // more virtio-blk disks (ext2 volumes), after Disk
	Shares    []Share
	Net       *Net // if set, a virtio-net device
}

// Drive is a disk image attached as virtio-blk. The guest kernel names the
// disk after its serial number (vda, vdb, ...). Writes are cached by the
// host (cache=writeback) and the guest's FLUSH requests become fdatasync
// of the image, so what the guest syncs is on the host's disk.
type Drive struct {
	Path     string
	Serial   string // the guest's device name, e.g. "vdb"
	ReadOnly bool
}

// driveArgs returns the -drive and -device arguments of drive id.
func driveArgs(d Drive, id string, mmio bool) []string {
	drv := "file=" + escapeOpt(d.Path) + ",if=none,id=" + id + ",format=raw,cache=writeback,aio=threads"
	if d.ReadOnly {
		drv += ",readonly=on"
	}
	dev := "virtio-blk-device,drive=" + id
	if !mmio {
		dev = "virtio-blk-pci,drive=" + id + ",disable-legacy=on"
	}
	if d.Serial != "" {
		dev += ",serial=" + escapeOpt(d.Serial)
	}
	return []string{"-drive", drv, "-device", dev}
}

// Share is a host directory exported to the guest over virtio-9p.
type Share struct {
	Path     string // the host directory (absolute)
	Tag      string // the 9P mount tag the guest mounts it by
	ReadOnly bool
}

// ShareSecurityModel is the -fsdev security model for shares: QEMU accesses
// the host files with its own credentials and reports host owners and
// modes as they are; guest chown/chmod/mknod become host calls, a failed
// chown of a new file is ignored (docs/shares.md).
const ShareSecurityModel = "none"

// machineArg returns the -M value for a machine name.
func machineArg(m string) (string, error) {
	switch m {
	case "", "microvm":
		// qboot (microvm's firmware) boots PVH kernels. Legacy devices stay
		// on: the kernel uses the 16550 at 0x3f8, the PIT and the RTC; no
		// option ROMs are needed without PCI devices.
		// One I/O APIC: virtio-mmio transport n then interrupts on GSI 16+n.
		return "microvm,x-option-roms=off,pit=on,pic=on,rtc=on,isa-serial=on,auto-kernel-cmdline=off,ioapic2=off", nil
	case "q35", "pc":
		return m, nil
	}
	return "", fmt.Errorf("unknown machine %q (want %s)", m, strings.Join(Machines, ", "))
}

// Args returns QEMU's arguments (without the program name).
func (c Config) Args() ([]string, error) {
	m, err := machineArg(c.Machine)
	if err != nil {
		return nil, err
	}
	cpu := "max"
	switch c.Accel {
	case "kvm":
		cpu = "host"
	case "tcg":
	default:
		return nil, fmt.Errorf("unknown accelerator %q (want kvm or tcg)", c.Accel)
	}
	if c.CPU != "" {
		cpu = c.CPU
	}
	mem := c.MemoryMiB
	if mem == 0 {
		mem = DefaultMemoryMiB
	}
	smp := c.SMP
	if smp == 0 {
		smp = 1
	}
	args := []string{
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-M", m, "-accel", c.Accel, "-cpu", cpu,
		"-m", strconv.Itoa(mem) + "M", "-smp", strconv.Itoa(smp),
		"-kernel", c.Kernel, "-append", c.Append,
		"-chardev", "stdio,id=con0,signal=off", "-serial", "chardev:con0",
		"-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", DebugExitPort),
	}
	if c.ICount {
		args = append(args, "-icount", "shift=0,sleep=off")
	}
	if c.TraceFile != "" {
		args = append(args, "-d", "int,cpu_reset", "-D", c.TraceFile)
	}
	if c.GDB {
		args = append(args, "-s", "-S")
	}
	if c.QMP != "" {
		// -chardev's path= takes any path (commas doubled); the -qmp
		// shorthand "unix:PATH,..." breaks on '=' in PATH.
		args = append(args, "-chardev", "socket,id=qmp0,path="+strings.ReplaceAll(c.QMP, ",", ",,")+",server=on,wait=off",
			"-mon", "chardev=qmp0,mode=control")
	}
	mmio := c.Machine == "" || c.Machine == "microvm"
	if mmio && (c.Disk != "" || len(c.Volumes) > 0 || len(c.Shares) > 0) {
		args = append(args, "-global", "virtio-mmio.force-legacy=false")
	}
	if c.Disk != "" {
		args = append(args, driveArgs(Drive{Path: c.Disk, Serial: "vda"}, "disk0", mmio)...)
	}
	for i, v := range c.Volumes {
		args = append(args, driveArgs(v, fmt.Sprintf("vol%d", i), mmio)...)
	}
	for i, sh := range c.Shares {
		id := fmt.Sprintf("share%d", i)
		fsdev := "local,id=" + id + ",path=" + escapeOpt(sh.Path) + ",security_model=" + ShareSecurityModel + ",multidevs=remap"
		if sh.ReadOnly {
			fsdev += ",readonly=on"
		}
		dev := "virtio-9p-device,fsdev=" + id + ",mount_tag=" + escapeOpt(sh.Tag)
		if !mmio {
			dev = "virtio-9p-pci,fsdev=" + id + ",mount_tag=" + escapeOpt(sh.Tag) + ",disable-legacy=on"
		}
		args = append(args, "-fsdev", fsdev, "-device", dev)
	}
	if c.Net != nil {
		na, err := c.netArgs()
		if err != nil {
			return nil, err
		}
		args = append(args, na...)
	}
	return args, nil
}

// escapeOpt escapes a value inside a QEMU option list (a comma is doubled).
func escapeOpt(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// ResolveAccel turns "auto" into kvm when /dev/kvm can be opened read-write
// and tcg otherwise; the reason is for a message to the user.
func ResolveAccel(accel string) (resolved, reason string, err error) {
	switch accel {
	case "kvm", "tcg":
		return accel, "requested", nil
	case "", "auto":
		if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
			f.Close()
			return "kvm", "/dev/kvm usable", nil
		}
		return "tcg", "no usable /dev/kvm", nil
	}
	return "", "", fmt.Errorf("unknown accelerator %q (want auto, kvm or tcg)", accel)
}

// ParseMemory parses a memory size: plain MiB ("256"), or a number with a
// suffix K, M, G (binary units, optional trailing "B" or "iB"). The result
// is in MiB and must be at least 16.
func ParseMemory(s string) (int, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mul := 1.0
	switch {
	case strings.HasSuffix(t, "K"):
		mul, t = 1.0/1024, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		t = t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mul, t = 1024, t[:len(t)-1]
	case strings.HasSuffix(t, "T"):
		mul, t = 1024*1024, t[:len(t)-1]
	}
	n, err := strconv.ParseUint(t, 10, 32)
	if err != nil || t == "" {
		return 0, fmt.Errorf("bad memory size %q (want e.g. 128M, 1G or a number of MiB)", s)
	}
	mib := float64(n) * mul
	if mib != float64(int(mib)) {
		return 0, fmt.Errorf("memory size %q is not a whole number of MiB", s)
	}
	if mib < 4 {
		return 0, fmt.Errorf("memory size %q is below the 4 MiB minimum", s)
	}
	if mib > 1<<22 {
		return 0, fmt.Errorf("memory size %q is too large", s)
	}
	return int(mib), nil
}
