// Package core is the unigo kernel: imported (for its side effects) by every
// unikernel image, it boots the machine and emulates Linux system calls
// underneath the unmodified Go runtime.
//
// # Boot
//
// The architecture entry (package arch/amd64) calls kernelMain on the boot
// stack, before the Go runtime exists. kernelMain brings up the console, the
// CPU tables, memory (page tables with W^X, the buddy allocator, the VMA
// tree), time, randomness, the file system, the demand-zero part of the
// program's BSS (mem.go) and the thread table, adds a default GOMEMLIMIT
// (memlimit.go), builds a Linux initial stack
// (argc, argv, envp, auxv) for the program's main thread and switches to it at
// the runtime's own entry point, _rt0_amd64_linux. From then on the kernel
// runs only in traps: system calls, interrupts and exceptions (see trap.go and
// docs/adr/0001-execution-model.md).
//
// # Concurrency
//
// One CPU. Kernel code runs with interrupts disabled, so kernel state needs no
// locks; a thread that must wait switches away explicitly (sched.go).
package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/bootinfo"
	"unigo.dev/unigo/kernel/drivers/uart"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/vma"
	"unigo.dev/unigo/kernel/random"
)

const (
	ramKind  = bootinfo.RAM
	acpiKind = bootinfo.ACPI
	nvsKind  = bootinfo.NVS
)

var (
	console uart.Port
	boot    bootinfo.Info
	bootCtx amd64.KContext // the boot stack, abandoned at the first switch

	rawCmdline [16 << 10]byte
	cmdlineLen int
)

func consoleSink(b []byte) { console.Write(b) }

// kernelMain is the machine-independent kernel entry, called (as
// unigo_kernel_main, see entry_amd64.s) by the architecture's boot code on
// the boot stack, before the Go runtime runs. It never returns.
func kernelMain(proto, info uintptr) {
	console.Init(uart.COM1)
	klog.Sink = consoleSink
	amd64.TrapHandler = handleTrap
	amd64.SyscallHandler = handleSyscall
	amd64.SetBootKernelStack()
	amd64.InitCPU()

	// Early boot reaches physical memory through the entry's identity map
	// of the low 4 GiB (PVH) or the VMM's (Linux boot: at least 1 GiB).
	phys := bootinfo.Phys{Off: 0, Lo: 0, Hi: 1 << 30}
	var err error
	switch proto {
	case amd64.BootPVH:
		phys.Hi = 4 << 30
		err = bootinfo.ParsePVH(phys, info, &boot)
	case amd64.BootLinux64:
		err = bootinfo.ParseLinuxBoot(phys, info, &boot)
	default:
		fatal("boot: unknown boot protocol")
	}
	if err != nil {
		klog.Error("boot").S("bad boot information: ").S(err.Error()).End()
		shutdown(exitKernelPanic)
	}
	if boot.Cmdline != 0 {
		n := boot.CmdlineLen
		if n > uintptr(len(rawCmdline)) {
			n = uintptr(len(rawCmdline))
		}
		for i := uintptr(0); i < n; i++ {
			rawCmdline[i] = *(*byte)(kptr(boot.Cmdline + i))
		}
		cmdlineLen = int(n)
	}
	parseCmdline()
	klog.Threshold = kopts.logLevel
	if kopts.selftestLinuxBoot && proto == amd64.BootPVH {
		reenterLinuxBoot()
	}
	klog.Info("boot").S("unigo kernel (").S(protoName(proto)).S("), ").
		U(uint64(boot.RAMBytes() >> 20)).S(" MiB RAM, xsave ").U(uint64(amd64.Features.XSaveSize)).End()

	initMemory()
	if kopts.crash {
		crashOnPurpose()
	}
	if !random.Init() {
		klog.Warn("random").S("no RDRAND/RDSEED: seeding from TSC jitter, which is weak").End()
	}
	initTime()
	initPower()
	klog.Stamp = func() uint64 { return uint64(nanotime()) }
	futexInit()
	initFS()
	mapDemandZeroBSS()
	initFiles()
	initThreads()
	defaultMemoryLimit()
	startProgram()
}

func protoName(p uintptr) string {
	if p == amd64.BootPVH {
		return "pvh"
	}
	return "linux64"
}

// startProgram builds the main thread's Linux initial stack and switches to
// it at the Go runtime's entry point.
func startProgram() {
	// The stack: 8 MiB reserved, the top 64 KiB committed now.
	base := uintptr(stackTop - stackSize)
	if err := vmas.Insert(vma.Area{Start: base, End: stackTop, Prot: vma.ProtRead | vma.ProtWrite,
		Flags: vma.Anonymous | vma.Private | vma.Stack}); err != vma.OK {
		fatal("boot: cannot map the main stack")
	}
	for p := uintptr(stackTop - stackCommit); p < stackTop; p += mm.PageSize {
		if _, ok := resolveFault(p, pfWrite); !ok {
			fatal("boot: out of memory for the main stack")
		}
	}
	sp := buildInitialStack(stackTop)

	t, ok := newThread()
	if !ok {
		fatal("boot: cannot create the main thread")
	}
	copy(t.name[:], kopts.argv0())
	tmpl := scratchVectorState()
	tf := amd64.InitThread(&t.ctx, directMapBase+t.kstack, t.top, tmpl)
	tf.RIP = amd64.RT0()
	tf.RSP = sp
	tf.RFLAGS = 0x202 // IF
	tf.CS = amd64.KernelCS
	tf.SS = amd64.KernelDS
	tf.FS = 0
	t.state = stateRunning
	t.sliceEnd = nanotime() + timeSlice
	current = t.index()
	schedRunning = true
	klog.Info("boot").S("starting ").S(kopts.argv0()).S(" (").U(uint64(frames.FreePages() * 4)).S(" KiB free)").End()
	amd64.Switch(&bootCtx, &t.ctx)
	fatal("boot: the boot context was resumed")
}

var vectorTemplate [4096]byte

// scratchVectorState returns a 64-byte aligned clean vector state.
func scratchVectorState() uintptr {
	p := (uintptr(unsafe.Pointer(&vectorTemplate[0])) + 63) &^ 63
	amd64.InitialVectorState(p)
	return p
}

// Exit statuses the kernel itself uses.
const exitKernelPanic = 112

// Teardown hooks run at a clean shutdown (exit_group, a fatal signal, the
// power button), in the reverse of the order they were registered at boot:
// file systems before the devices under them.
var (
	teardown  [8]func()
	nteardown int
	exiting   bool
)

// onShutdown registers a teardown hook. Boot only.
func onShutdown(fn func()) {
	if nteardown == len(teardown) {
		fatal("boot: too many teardown hooks")
	}
	teardown[nteardown] = fn
	nteardown++
}

// exitProgram ends the program with status: the other threads stop, the
// teardown hooks run, and the VM powers off.
func exitProgram(status int) {
	klog.Debug("exit").S("program exited with status ").I(int64(status)).End()
	if !exiting && !cur().kernel {
		// (From the idle loop, a second power-button press, the hooks
		// could not wait for a device: power off at once.)
		exiting = true
		// Nothing but this thread (and the idle loop, while a hook waits
		// for a device) runs from here on.
		self := current
		for i := 1; i < maxThreads; i++ {
			if int32(i) != self && threads[i].state != stateFree {
				threads[i].state = stateDead
			}
		}
		runqHead, runqTail, timerHead = -1, -1, -1
		for i := nteardown - 1; i >= 0; i-- {
			teardown[i]()
		}
	}
	shutdown(status)
}

// shutdown powers the machine off, reporting status to the VMM: QEMU's
// isa-debug-exit device (status<<1|1 becomes QEMU's exit code), then an
// i8042 reset, which Firecracker and cloud-hypervisor treat as "stop".
func shutdown(status int) {
	if status > 127 {
		// isa-debug-exit carries 7 bits: say the full status on the
		// console, where the host tool looks for it.
		klog.Error("exit").S("status ").I(int64(status)).End()
	}
	amd64.Outl(0xf4, uint32(status&0x7F))
	amd64.Outb(0x64, 0xFE)
	amd64.Halt()
}

// fatal reports an unrecoverable kernel error and stops.
func fatal(msg string) {
	klog.Error("panic").S(msg).End()
	shutdown(exitKernelPanic)
}

// linuxBootParams is a struct boot_params ("zero page") built from the PVH
// boot information for the Linux-boot-protocol self-test.
var linuxBootParams [4096]byte

// reenterLinuxBoot restarts the boot through the 64-bit Linux boot protocol
// entry with a boot_params describing the same machine, so that path (used
// by VMMs without PVH, such as older Firecracker) runs in the tests here.
func reenterLinuxBoot() {
	bp := linuxBootParams[:]
	put := func(off int, v uint64, n int) {
		for k := 0; k < n; k++ {
			bp[off+k] = byte(v >> (8 * k))
		}
	}
	put(0x202, 0x53726448, 4) // hdr.header "HdrS"
	put(0x206, 0x020f, 2)     // hdr.version 2.15
	put(0x228, uint64(boot.Cmdline), 4)
	put(0x238, uint64(boot.CmdlineLen), 4) // cmdline_size
	n := 0
	for i := 0; i < boot.NMem && n < 128; i++ {
		r := &boot.Mem[i]
		e := 0x2d0 + 20*n
		put(e, uint64(r.Start), 8)
		put(e+8, uint64(r.End-r.Start), 8)
		put(e+16, uint64(r.Kind), 4)
		n++
	}
	bp[0x1e8] = byte(n)
	klog.Info("boot").S("self-test: re-entering through the 64-bit Linux boot protocol").End()
	amd64.ReenterLinux64(uintptr(unsafe.Pointer(&linuxBootParams[0])))
}

// crashOnPurpose writes through a nil pointer from kernel code.
//
//go:noinline
func crashOnPurpose() {
	klog.Warn("boot").S("crashing on purpose (unigo.crash=boot)").End()
	var p *uint64
	*p = 1
}

// oom ends the program when memory runs out, as Linux's OOM killer would
// (status 137, SIGKILL).
func oom(what string, addr uintptr) {
	klog.Error("mm").S("out of memory (").U(uint64(frames.TotalPages() * 4)).S(" KiB RAM): ").S(what).
		S(" at ").X(uint64(addr)).S(": killing the program; give the guest more memory (-m)").End()
	u := memUsage()
	u.log(klog.Error("mm").S("memory use: ")).End()
	exitProgram(128 + sigKILL)
}
