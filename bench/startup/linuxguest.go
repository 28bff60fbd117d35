package startup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"unigo.dev/unigo/internal/vmm/qemu"
)

// Linux guest kernel entry points the plugin watches for, to split the
// count into firmware and kernel: the 32-bit entry of a bzImage loaded at
// 1 MiB (startup_32) and its 64-bit entry (startup_64, +0x200).
const (
	linuxEntry32 = 0x100000
	linuxEntry64 = 0x100200
)

// linuxGuestArgs is the baseline guest's QEMU command line. The machine
// options match unigo's (internal/vmm/qemu) so that both guests boot with the
// same firmware and devices; BENCH_EXIT_PORT=0xf4 on the kernel command line
// reaches /init as an environment variable (see bench/programs/hello-exit).
func linuxGuestArgs(kernel, initrd string, mem int) ([]string, error) {
	args, err := qemu.Config{
		Machine: "microvm", Accel: "tcg", MemoryMiB: mem, SMP: 1,
		Kernel: kernel, Append: "console=ttyS0 quiet panic=-1 BENCH_EXIT_PORT=0xf4", ICount: true,
	}.Args()
	if err != nil {
		return nil, err
	}
	return append(args, "-initrd", initrd), nil
}

// linuxGuest counts the instructions of hello-exit as /init of a Linux guest.
func (r *runner) linuxGuest(ctx context.Context, kernelPath, bin string, mem int, timeout time.Duration, rep *report) (*boot, error) {
	k := linuxKernel{Path: kernelPath, Package: "given with -linux-kernel"}
	if kernelPath == "" {
		var err error
		if k, err = r.debianKernel(ctx, filepath.Join(r.cache, "kernel")); err != nil {
			return nil, err
		}
	}
	rep.LinuxKernel = k
	initrd := filepath.Join(r.cache, "initrd-hello-exit.cpio")
	if err := writeInitrd(initrd, bin); err != nil {
		return nil, err
	}
	mainAddr, err := symbolAddr(bin, "main.main")
	if err != nil {
		return nil, err
	}
	rep.LinuxMain = mainAddr
	args, err := linuxGuestArgs(k.Path, initrd, mem)
	if err != nil {
		return nil, err
	}
	b := r.countMedian(ctx, "Linux guest hello-exit", args, []uint64{linuxEntry32, linuxEntry64, mainAddr}, mainAddr, guestRuns, timeout)
	return b, nil
}

// writeInitrd writes an initramfs holding bin as /init and /dev/console.
func writeInitrd(path, bin string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = writeCPIO(&buf, []cpioEntry{
		{Name: "dev", Mode: modeDir | 0o755},
		{Name: "dev/console", Mode: modeChar | 0o600, Major: 5, Minor: 1},
		{Name: "init", Mode: modeReg | 0o755, Data: data},
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the initramfs: %v", err)
	}
	return nil
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }
