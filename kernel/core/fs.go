//go:build !unigo_nofs

package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/mm/vma"
	"unigo.dev/unigo/kernel/random"
	"unigo.dev/unigo/kernel/vfs"
)

// The file-system tree at boot: ramfs as the root, filled from the image's
// rootfs archive (a cpio "newc" PT_LOAD segment flagged pfRootfs), then
// /dev (device nodes), /proc (generated files), /tmp and the /etc files a
// Go program expects, where the archive did not provide them.

// Character devices (major, minor) as Linux numbers them.
const (
	devNull    = 1<<8 | 3
	devZero    = 1<<8 | 5
	devFull    = 1<<8 | 7
	devRandom  = 1<<8 | 8
	devUrandom = 1<<8 | 9
	devTTY     = 5<<8 | 0
	devConsole = 5<<8 | 1
	devTTYS0   = 4<<8 | 64
)

// Generated files (procfs) and dynamic directories.
const (
	genCmdline = iota + 1
	genEnviron
	genStatus
	genStat
	genMaps
	genMountinfo
	genMounts
	genLimits
	genMeminfo
	genCpuinfo
	genUptime
	genVersion
	genLoadavg
	genHostname
	genOsrelease
	genOstype
	genBootID
	genUUID
	genFilesystems

	dynFD = 1
)

// haveFS says that this kernel has the file system; nofs.go is the one
// without (the unigo_nofs build tag).
const haveFS = true

var (
	cwd        vfs.Ino
	consoleIno vfs.Ino
	bootID     [16]byte
	fsReady    bool
)

// initFS builds the tree. It runs at boot, after memory and time.
func initFS() {
	kmem.Init(&frames)
	vfs.DataPageLimit = frames.TotalPages() / 2 // as tmpfs: half of RAM
	vfs.Now = walltime
	vfs.DynLookup = dynLookup
	vfs.DynEntry = dynEntry
	if e := vfs.Init(); e != 0 {
		fatal("fs: cannot create the root directory")
	}
	root := vfs.Root()

	// The rootfs archive from the image.
	var segs [8]elfSegment
	nseg := imageSegments(&segs)
	for i := 0; i < nseg; i++ {
		s := segs[i]
		if s.flags&pfRootfs == 0 {
			continue
		}
		a := unsafe.Slice((*byte)(kptr(s.vaddr)), s.memsz)
		n, err := vfs.UnpackCpio(root, a)
		if err.Errno != 0 {
			klog.Error("fs").S("rootfs archive damaged at byte ").U(uint64(err.Offset)).S(": ").S(err.Errno.Error()).
				S(" (").U(uint64(n)).S(" entries unpacked)").End()
		} else {
			klog.Info("fs").S("rootfs: ").U(uint64(n)).S(" entries, ").U(uint64(s.memsz)).S(" bytes").End()
		}
		// The archive is now in ramfs: give its pages back, the last one
		// whole (the image builder starts the archive on a page and puts
		// nothing after it; its virtual range may be the program's
		// demand-zero BSS, mapped after this, see mapDemandZeroBSS).
		start, end := mm.PageUp(s.vaddr), mm.PageUp(s.vaddr+s.memsz)
		if start < end {
			vmas.Remove(start, end)
			kpt.UnmapRange(start, end, nil)
			amd64.WriteCR3(amd64.ReadCR3())
			frames.AddRange(start, end)
		}
	}

	dev := mkdirIfMissing(root, "dev", 0o755)
	for _, d := range [...]struct {
		name string
		rdev uint32
		perm uint32
	}{
		{"null", devNull, 0o666}, {"zero", devZero, 0o666}, {"full", devFull, 0o666},
		{"random", devRandom, 0o666}, {"urandom", devUrandom, 0o666},
		{"tty", devTTY, 0o666}, {"console", devConsole, 0o600}, {"ttyS0", devTTYS0, 0o660},
	} {
		if i, e := vfs.Create(dev, bytesOf(d.name), linux.S_IFCHR|d.perm, d.rdev, 0, 0); e == 0 && d.rdev == devConsole {
			consoleIno = i
		}
	}
	if consoleIno == 0 {
		consoleIno, _ = vfs.Lookup(dev, bytesOf("console"))
	}
	blkNodes(dev)
	symlinkIfMissing(dev, "stdin", "/proc/self/fd/0")
	symlinkIfMissing(dev, "stdout", "/proc/self/fd/1")
	symlinkIfMissing(dev, "stderr", "/proc/self/fd/2")
	symlinkIfMissing(dev, "fd", "/proc/self/fd")
	mkdirIfMissing(dev, "shm", 0o1777)

	initProc(root)
	mkdirIfMissing(root, "tmp", 0o1777)
	etc := mkdirIfMissing(root, "etc", 0o755)
	fileIfMissing(etc, "hostname", "unigo\n")
	fileIfMissing(etc, "hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	fileIfMissing(etc, "resolv.conf", "# no network configured\n")
	fileIfMissing(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
	fileIfMissing(etc, "group", "root:x:0:\nnogroup:x:65534:\n")
	mkdirIfMissing(root, "root", 0o700)

	initMounts()
	random.Read(bootID[:])
	cwd = root
	if kopts.cwd >= 0 {
		p := cstr(kopts.cwd)
		if d, e := vfs.Resolve(root, bytesOf(p), vfs.Follow|vfs.Directory); e == 0 {
			cwd = d
		} else {
			klog.Warn("fs").S("initial directory ").S(p).S(": ").S(e.Error()).S("; using /").End()
		}
	}
	vfs.Ref(cwd)
	fsReady = true
}

func mkdirIfMissing(dir vfs.Ino, name string, perm uint32) vfs.Ino {
	if i, e := vfs.Lookup(dir, bytesOf(name)); e == 0 {
		return i
	}
	i, e := vfs.Create(dir, bytesOf(name), linux.S_IFDIR|perm, 0, 0, 0)
	if e != 0 {
		fatal("fs: cannot create a boot directory")
	}
	return i
}

func symlinkIfMissing(dir vfs.Ino, name, target string) {
	if _, e := vfs.Lookup(dir, bytesOf(name)); e == 0 {
		return
	}
	vfs.Symlink(dir, bytesOf(name), bytesOf(target), 0, 0)
}

func fileIfMissing(dir vfs.Ino, name, content string) {
	if _, e := vfs.Lookup(dir, bytesOf(name)); e == 0 {
		return
	}
	if i, e := vfs.Create(dir, bytesOf(name), linux.S_IFREG|0o644, 0, 0, 0); e == 0 {
		vfs.Write(i, 0, bytesOf(content))
	}
}

// procfs: a fixed tree of generated files, built at boot.

var procFDDir vfs.Ino

func procFile(dir vfs.Ino, name string, id uint32) {
	i, e := vfs.NewSynthetic(linux.S_IFREG|0o444, id, false)
	if e == 0 {
		vfs.LinkSynthetic(dir, bytesOf(name), i)
	}
}

func initProc(root vfs.Ino) {
	proc := mkdirIfMissing(root, "proc", 0o555)
	vfs.Symlink(proc, bytesOf("self"), bytesOf("1"), 0, 0)
	vfs.Symlink(proc, bytesOf("thread-self"), bytesOf("1"), 0, 0)
	vfs.Symlink(proc, bytesOf("mounts"), bytesOf("self/mounts"), 0, 0)
	p1 := mkdirIfMissing(proc, "1", 0o555)
	vfs.Symlink(p1, bytesOf("exe"), bytesOf(exePath), 0, 0)
	procFile(p1, "cmdline", genCmdline)
	procFile(p1, "environ", genEnviron)
	procFile(p1, "status", genStatus)
	procFile(p1, "stat", genStat)
	procFile(p1, "maps", genMaps)
	procFile(p1, "mountinfo", genMountinfo)
	procFile(p1, "mounts", genMounts)
	procFile(p1, "limits", genLimits)
	fd, e := vfs.NewSynthetic(linux.S_IFDIR|0o500, dynFD, true)
	if e == 0 {
		vfs.LinkSynthetic(p1, bytesOf("fd"), fd)
		procFDDir = fd
	}
	procFile(proc, "meminfo", genMeminfo)
	procFile(proc, "cpuinfo", genCpuinfo)
	procFile(proc, "uptime", genUptime)
	procFile(proc, "version", genVersion)
	procFile(proc, "loadavg", genLoadavg)
	procFile(proc, "filesystems", genFilesystems)
	sys := mkdirIfMissing(proc, "sys", 0o555)
	kern := mkdirIfMissing(sys, "kernel", 0o555)
	procFile(kern, "hostname", genHostname)
	procFile(kern, "osrelease", genOsrelease)
	procFile(kern, "ostype", genOstype)
	rnd := mkdirIfMissing(kern, "random", 0o555)
	procFile(rnd, "boot_id", genBootID)
	procFile(rnd, "uuid", genUUID)
}

// dynLookup serves /proc/self/fd/N: the open file's own inode (Linux's
// "magic links" reopen the same file).
func dynLookup(id uint32, name []byte) (vfs.Ino, linux.Errno) {
	n := 0
	for _, c := range name {
		if c < '0' || c > '9' || n > maxFDs {
			return 0, linux.ENOENT
		}
		n = n*10 + int(c-'0')
	}
	f, _, ok := fileOf(uintptr(n))
	if !ok || f.ino == 0 {
		return 0, linux.ENOENT
	}
	return f.ino, 0
}

var fdNames [maxFDs][5]byte

func dynEntry(id uint32, pos int) ([]byte, vfs.Ino, bool) {
	for fd := 0; fd < maxFDs; fd++ {
		f, _, ok := fileOf(uintptr(fd))
		if !ok || f.ino == 0 {
			continue
		}
		if pos > 0 {
			pos--
			continue
		}
		t := text{b: fdNames[fd][:]}
		t.U(uint64(fd), 0)
		return t.bytes(), f.ino, true
	}
	return nil, 0, false
}

var genScratch [64 << 10]byte

// generate renders a procfs file into a kmem buffer.
func generate(id uint32) (uintptr, uintptr, linux.Errno) {
	t := text{b: genScratch[:]}
	switch id {
	case genCmdline:
		t.S(cstr(kopts.name)).C(0)
		for i := 0; i < kopts.nargs; i++ {
			t.S(cstr(kopts.args[i])).C(0)
		}
	case genEnviron:
		for i := 0; i < kopts.nenv; i++ {
			t.S(cstr(kopts.env[i])).C(0)
		}
	case genStatus:
		t.S("Name:\t").S(threadName(&threads[current])).S("\nUmask:\t0").X(uint64(umask), 3)
		t.S("\nState:\tR (running)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\nTracerPid:\t0\n")
		t.S("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t").U(maxFDs, 0)
		t.S("\nVmRSS:\t").U(uint64((frames.TotalPages()-frames.FreePages())*4), 8).S(" kB\nThreads:\t").I(int64(nthreads))
		t.S("\nSigQ:\t0/0\nCpus_allowed:\t1\nCpus_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
	case genStat:
		t.S("1 (").S(threadName(&threads[current])).S(") R 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 ").I(int64(nthreads))
		t.S(" 0 0 0 0 18446744073709551615 4194304 ").U(uint64(imageEnd), 0)
		t.S(" 140737488346112 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
	case genMaps:
		for a, ok := vmas.Next(0); ok; a, ok = vmas.Next(a.End) {
			t.X(uint64(a.Start), 8).C('-').X(uint64(a.End), 8).C(' ')
			t.C(permChar(a.Prot&vma.ProtRead != 0, 'r')).C(permChar(a.Prot&vma.ProtWrite != 0, 'w'))
			t.C(permChar(a.Prot&vma.ProtExec != 0, 'x')).C(permChar(a.Flags&vma.Shared != 0, 's'))
			t.S(" 00000000 00:00 0")
			switch {
			case a.Flags&imageFlags == imageFlags:
				t.S("                          ").S(exePath)
			case a.End == stackTop:
				t.S("                          [stack]")
			}
			t.C('\n')
		}
	case genMountinfo:
		t.S("1 0 0:1 / / rw,relatime - ramfs rootfs rw\n2 1 0:2 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n")
		mountinfo(&t, true)
	case genMounts:
		t.S("rootfs / ramfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec 0 0\n")
		mountinfo(&t, false)
	case genLimits:
		t.S("Limit                     Soft Limit           Hard Limit           Units     \n")
		t.S("Max stack size            ").U(stackSize, 0).S("              unlimited            bytes     \n")
		t.S("Max open files            ").U(maxFDs, 0).S("                 ").U(maxFDs, 0).S("                 files     \n")
	case genMeminfo:
		total, free := uint64(frames.TotalPages()*4), uint64(frames.FreePages()*4)
		t.S("MemTotal:       ").U(total, 8).S(" kB\nMemFree:        ").U(free, 8).S(" kB\nMemAvailable:   ").U(free, 8)
		t.S(" kB\nBuffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n")
		u := memUsage() // Linux's names for the same things (proc(5))
		t.S("AnonPages:      ").U(u.program, 8).S(" kB\nSlab:           ").U(u.kernelObjects, 8)
		t.S(" kB\nKernelStack:    ").U(u.threads, 8).S(" kB\nSocketRings:    ").U(u.sockets, 8)
		t.S(" kB\nKernelOther:    ").U(u.other, 8).S(" kB\n")
	case genCpuinfo:
		var vendor [12]byte
		_, b, c, d := amd64.Cpuid(0, 0)
		put32b(vendor[0:], b)
		put32b(vendor[4:], d)
		put32b(vendor[8:], c)
		var model [48]byte
		for k := uint32(0); k < 3; k++ {
			a, b, c, d := amd64.Cpuid(0x80000002+k, 0)
			put32b(model[16*k:], a)
			put32b(model[16*k+4:], b)
			put32b(model[16*k+8:], c)
			put32b(model[16*k+12:], d)
		}
		m := model[:]
		for len(m) > 0 && (m[len(m)-1] == 0 || m[len(m)-1] == ' ') {
			m = m[:len(m)-1]
		}
		for k := 0; k < ncpu; k++ {
			t.S("processor\t: ").U(uint64(k), 0).S("\nvendor_id\t: ").B(vendor[:]).S("\nmodel name\t: ").B(m)
			t.S("\ncpu MHz\t\t: ").U(tscHz/1e6, 0).S(".000\ncpu cores\t: ").U(uint64(ncpu), 0).S("\n\n")
		}
	case genUptime:
		ns := nanotime()
		t.U(uint64(ns/1e9), 0).C('.').U(uint64(ns/1e7%100/10), 0).U(uint64(ns/1e7%10), 0).S(" 0.00\n")
	case genVersion:
		t.S("Linux version ").S(unameRelease).S(" (unigo) ").S(unameVersion).C('\n')
	case genLoadavg:
		t.S("0.00 0.00 0.00 1/").I(int64(nthreads)).S(" 1\n")
	case genFilesystems:
		t.S("nodev\tramfs\nnodev\tproc\n")
	case genHostname:
		n := 0
		for n < len(hostname) && hostname[n] != 0 {
			n++
		}
		t.B(hostname[:n]).C('\n')
	case genOsrelease:
		t.S(unameRelease).C('\n')
	case genOstype:
		t.S("Linux\n")
	case genBootID, genUUID:
		u := bootID
		if id == genUUID {
			random.Read(u[:])
		}
		u[6] = u[6]&0x0F | 0x40
		u[8] = u[8]&0x3F | 0x80
		for k, c := range u {
			if k == 4 || k == 6 || k == 8 || k == 10 {
				t.C('-')
			}
			t.X(uint64(c), 2)
		}
		t.C('\n')
	default:
		return 0, 0, linux.ENOENT
	}
	n := uintptr(t.n)
	if n == 0 {
		return 0, 0, 0
	}
	va, ok := kmem.Alloc(n)
	if !ok {
		return 0, 0, linux.ENOMEM
	}
	copy(unsafe.Slice((*byte)(kptr(va)), n), genScratch[:n])
	return va, n, 0
}

func permChar(on bool, c byte) byte {
	if on {
		return c
	}
	if c == 's' {
		return 'p'
	}
	return '-'
}

func put32b(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func threadName(t *Thread) string {
	n := 0
	for n < len(t.name) && t.name[n] != 0 {
		n++
	}
	return unsafe.String(&t.name[0], n)
}

// bytesOf views a string's bytes without copying (the callee must not
// write to them): string-to-[]byte conversions allocate.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
