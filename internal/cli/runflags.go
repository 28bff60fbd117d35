package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"unigo.dev/unigo/internal/cmdline"
	"unigo.dev/unigo/internal/image"
	"unigo.dev/unigo/internal/pvh"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// memFlag parses memory sizes with [qemu.ParseMemory].
type memFlag int

func (m *memFlag) String() string { return fmt.Sprintf("%dM", int(*m)) }
func (m *memFlag) Set(s string) error {
	n, err := qemu.ParseMemory(s)
	*m = memFlag(n)
	return err
}

// vmFlags are the flags shared by run and test.
type vmFlags struct {
	mem     memFlag
	env     multiFlag
	smp     int
	machine string
	accel   string
	qemu    string
	timeout time.Duration
	gdb     bool
	trace   string
	icount  bool
	dryRun  bool
	tags    string
	klog    string
	kargs   multiFlag
	cpu     string
	rootfs  string
	stop    time.Duration
	kdwarf  bool
	disk    string
	detach  *detached // run -d: hand QEMU to a supervisor (detach.go)
	volumes multiFlag
	// volumeDisk holds the --volume-disk flags (volumedisks.go).
	volumeDisk multiFlag
	net        netFlags
}

const kernelDWARFUsage = "keep the kernel's DWARF debugging information (gdb); off by default to keep images small"

const rootfsUsage = "pack the files under `dir` into the image as the guest's root file system"

func (f *vmFlags) register(fs *flag.FlagSet) {
	if f.mem == 0 {
		f.mem = qemu.DefaultMemoryMiB
	}
	fs.Var(&f.mem, "m", "guest memory `size` (64M, 1G, or MiB)")
	fs.Var(&f.mem, "memory", "guest memory `size` (same as -m)")
	fs.Var(&f.env, "e", "set guest environment `KEY=VALUE` (repeatable; -e KEY copies it from unigo's environment)")
	fs.IntVar(&f.smp, "smp", 1, "number of virtual `cpus`")
	fs.StringVar(&f.machine, "machine", "microvm", "QEMU `machine`: "+strings.Join(qemu.Machines, ", "))
	fs.StringVar(&f.accel, "accel", "auto", "`accelerator`: auto (kvm if /dev/kvm is usable), kvm or tcg")
	fs.StringVar(&f.qemu, "qemu", "", "QEMU `binary` (default $UNIGO_QEMU or qemu-system-x86_64 on PATH)")
	fs.DurationVar(&f.timeout, "timeout", 0, "stop the guest after `duration` (0: no limit)")
	fs.BoolVar(&f.gdb, "gdb", false, "start paused, waiting for gdb on tcp::1234 (QEMU -s -S)")
	fs.StringVar(&f.trace, "trace", "", "log guest interrupts and CPU resets to `file` (QEMU -d int,cpu_reset)")
	fs.BoolVar(&f.icount, "icount", false, "deterministic instruction counting (QEMU -icount shift=0,sleep=off)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the QEMU command line instead of running it")
	fs.StringVar(&f.tags, "tags", "", "comma-separated build `tags` when building a package")
	fs.StringVar(&f.klog, "kernel-log", "warn", "kernel log `level` on the console: error, warn, info or debug")
	fs.BoolVar(&f.kdwarf, "kernel-dwarf", false, kernelDWARFUsage)
	fs.StringVar(&f.disk, "disk", "", "attach the raw disk image `file` as the guest's /dev/vda (virtio-blk; microvm)")
	fs.Var(&f.volumes, "v", volumeUsage)
	fs.Var(&f.volumes, "volume", volumeUsage+" (same as -v)")
	fs.Var(&f.volumeDisk, "volume-disk", volumeDiskUsage)
	fs.DurationVar(&f.stop, "stop-timeout", 10*time.Second, "on SIGTERM, how long the guest gets to shut down (power button → SIGTERM in the guest) before it is killed")
	fs.StringVar(&f.cpu, "cpu", "", "QEMU CPU `model` (default host with KVM, max with TCG), e.g. qemu64 or max,-rdrand")
	fs.StringVar(&f.rootfs, "rootfs", "", rootfsUsage+" (when building a package)")
	fs.Var(&f.kargs, "kernel-arg", "extra kernel `parameter` key=value (repeatable), e.g. unigo.crash=boot")
	f.net.register(fs)
}

// guestEnv resolves the -e flags.
func (f *vmFlags) guestEnv() ([]string, error) {
	var out []string
	for _, kv := range f.env {
		name, _, ok := strings.Cut(kv, "=")
		if name == "" {
			return nil, fmt.Errorf("unigo: -e %q: empty variable name: use -e KEY=VALUE or -e KEY", kv)
		}
		if !ok {
			v, set := os.LookupEnv(name)
			if !set {
				continue // as docker does: unset on the host, unset in the guest
			}
			kv = name + "=" + v
		}
		out = append(out, kv)
	}
	return out, nil
}

// boot runs image under QEMU with the given program arguments and returns
// unigo's exit status. argv0 is the guest's program name; cwd its working
// directory ("" for /).
func (e *env) boot(f *vmFlags, image, argv0, cwd string, progArgs []string) int {
	guestEnv, err := f.guestEnv()
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	switch f.klog {
	case "error", "warn", "info", "debug":
	default:
		return e.errorf(ExitUsage, "unigo: --kernel-log %q: want error, warn, info or debug", f.klog)
	}
	if need, err := pvh.MinMemoryMiB(image); err == nil && int(f.mem) < need {
		return e.errorf(ExitUsage, "unigo: -m %dM is too small for %s: the image needs at least %d MiB", int(f.mem), filepath.Base(image), need)
	}
	shares, mounts, err := f.shares()
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	if err := needDrivers(image, len(shares) > 0, len(f.volumeDisk) > 0); err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	drives, volMounts, err := f.volumeDisks(f.dryRun, e.stderr)
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	mounts = append(mounts, volMounts...)
	netdev, netArgs, err := f.net.resolve(image)
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	kernelArgs := append(append(append([]string{"unigo.log=" + f.klog}, mounts...), netArgs...), f.kargs...)
	line, err := cmdline.Encode(cmdline.Line{Argv0: argv0, Cwd: cwd, Kernel: kernelArgs, Env: guestEnv, Args: progArgs})
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	if f.smp < 1 {
		return e.errorf(ExitUsage, "--smp %d: need at least 1 cpu", f.smp)
	}
	accel, reason, err := qemu.ResolveAccel(f.accel)
	if err != nil {
		return e.errorf(ExitUsage, "--accel: %v", err)
	}
	// A QMP socket lets SIGTERM press the guest's power button.
	qmpDir, err := os.MkdirTemp("", "unigo-qmp-")
	if err != nil {
		return e.errorf(ExitError, "unigo: %v", err)
	}
	defer os.RemoveAll(qmpDir)
	qmpSock := filepath.Join(qmpDir, "qmp.sock")
	if f.detach != nil {
		qmpSock = f.detach.qmp
	}
	cfg := qemu.Config{
		Machine: f.machine, Accel: accel, MemoryMiB: int(f.mem), SMP: f.smp,
		Kernel: image, Append: line, GDB: f.gdb, TraceFile: f.trace, ICount: f.icount, CPU: f.cpu,
		Disk: f.disk, Volumes: drives, Shares: shares, Net: netdev,
	}
	if f.disk != "" {
		if st, err := os.Stat(f.disk); err != nil || !st.Mode().IsRegular() {
			return e.errorf(ExitUsage, "unigo: --disk %s: not a disk image file: create one with truncate -s 64M %s", f.disk, f.disk)
		}
	}
	if !f.dryRun {
		cfg.QMP = qmpSock
	}
	qargs, err := cfg.Args()
	if err != nil {
		return e.errorf(ExitUsage, "%v", err)
	}
	qpath, err := qemu.Lookup(f.qemu)
	if err != nil {
		if f.dryRun {
			qpath = "qemu-system-x86_64"
		} else {
			return e.errorf(ExitNoQEMU, "unigo: QEMU not found: %v: install it with 'apt-get install qemu-system-x86' or pass --qemu", err)
		}
	}
	powerdown := make(chan struct{})
	proc := &qemu.Process{Path: qpath, Args: qargs, Stdin: e.stdin,
		Powerdown: powerdown, QMP: qmpSock, PowerdownGrace: f.stop}
	if f.dryRun {
		fmt.Fprintln(e.stdout, proc.CommandLine())
		return 0
	}
	if f.detach != nil {
		return f.detach.start(e, f, proc, guestEnv, progArgs)
	}
	fmt.Fprintf(e.stderr, "unigo: accel %s (%s)\n", accel, reason)
	if f.gdb {
		fmt.Fprintln(e.stderr, "unigo: guest paused; attach with: gdb -ex 'target remote :1234' "+image)
	}

	tail := newTail(20)
	proc.Console = io.MultiWriter(e.stdout, tail)
	// Ctrl-C stops the guest at once; SIGTERM (as from `kill`, or a
	// service manager) shuts it down gracefully through the power button.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	defer signal.Stop(terms)
	var shutdownAsked atomic.Bool
	go func() {
		if _, ok := <-terms; ok {
			shutdownAsked.Store(true)
			fmt.Fprintf(e.stderr, "unigo: SIGTERM: asking guest %s to shut down (power button); killing it in %v\n", filepath.Base(image), f.stop)
			close(powerdown)
		}
	}()
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	out, err := proc.Run(ctx)
	if err != nil {
		return e.errorf(ExitQEMUFailed, "unigo: starting QEMU: %v: check --qemu / $UNIGO_QEMU", err)
	}
	switch out.Kind {
	case qemu.Killed:
		if shutdownAsked.Load() && ctx.Err() == nil {
			e.errorf(ExitKilled, "unigo: guest %s did not shut down within --stop-timeout %v: killed it", filepath.Base(image), f.stop)
			tail.dump(e.stderr)
			return ExitKilled
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.errorf(ExitTimeout, "unigo: guest %s still running after %v: stopped it; raise --timeout (0 means no limit)", filepath.Base(image), f.timeout)
			tail.dump(e.stderr)
			return ExitTimeout
		}
		return e.errorf(ExitInterrupted, "unigo: interrupted: stopped guest %s", filepath.Base(image))
	case qemu.QEMUFailed:
		return e.errorf(ExitQEMUFailed, "unigo: QEMU failed: %s\n  command: %s", out.Message, proc.CommandLine())
	case qemu.NoStatus:
		e.errorf(ExitError, "unigo: guest %s stopped without an exit status (reset or triple fault); last console lines:", filepath.Base(image))
		tail.dump(e.stderr)
		return ExitError
	}
	out.Status = qemu.FullStatus(out.Status, tail.Lines())
	if out.Status == exitBootConfig {
		e.errorf(out.Status, "unigo: guest %s did not start: the kernel refused its configuration (a volume or share that does not mount); kernel messages:", filepath.Base(image))
		tail.dump(e.stderr)
		return out.Status
	}
	if out.Status != 0 {
		if tail.contains("panic") || tail.contains("fatal") || out.Status >= 128 {
			e.errorf(out.Status, "unigo: guest %s exited with status %d; last console lines:", filepath.Base(image), out.Status)
			tail.dump(e.stderr)
		} else {
			e.errorf(out.Status, "unigo: guest %s exited with status %d", filepath.Base(image), out.Status)
		}
	}
	return out.Status
}

// exitBootConfig is the guest's exit status when the kernel stops the boot
// over bad configuration, such as a volume that does not mount.
const exitBootConfig = 111

// needDrivers refuses, before anything is created or booted, an image
// that lacks the file-system driver that -v (9P) or --volume-disk (ext2)
// needs: unigo build links the drivers only into programs that can name
// files. A stripped image cannot tell and boots (the kernel then reports
// the missing driver).
func needDrivers(img string, shares, volumes bool) error {
	for _, c := range []struct {
		want      bool
		pkg, flag string
	}{{shares, image.P9Package, "-v"}, {volumes, image.Ext2Package, "--volume-disk"}} {
		if !c.want {
			continue
		}
		has, known, err := image.HasPackage(img, c.pkg)
		if err != nil {
			return fmt.Errorf("unigo: %s: %v", filepath.Base(img), err)
		}
		if known && !has {
			return fmt.Errorf("unigo: %s: %s needs the file-system driver %s, which is not in this image: the program never opens files, so unigo build left the file system drivers out (open a file in the program, or drop %s)",
				filepath.Base(img), c.flag, path.Base(c.pkg), c.flag)
		}
	}
	return nil
}
