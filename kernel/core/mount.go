//go:build !unigo_nofs

package core

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/vfs"
)

// Mounted file systems: the drivers listed in components.go, mounts from
// the kernel command line at boot (unigo.mount=SRC:PATH:FSTYPE[:ro]),
// mount(2) and umount2(2), and the unmount-all teardown hook.

const (
	// exitBootConfig is the exit status of a boot stopped by bad
	// configuration (a volume that does not mount).
	exitBootConfig = 111
)

// initMounts registers the drivers and mounts what the command line asks
// for. Boot only: it runs after the root tree is built, before the program.
func initMounts() {
	// The mount lock waits for the holder whatever signals arrive (a
	// signal-interruptible wait would spin: waitOn returns at once while a
	// signal is pending, and kernel code runs with interrupts off).
	vfs.WaitOn = waitIO
	vfs.WakeAll = wakeAll
	for _, fs := range fileSystems {
		vfs.Register(fs)
	}
	for k := 0; k < kopts.nmounts; k++ {
		spec := bytesOf(cstr(kopts.mounts[k]))
		src, path, typ, ro, ok := splitMountSpec(spec)
		if !ok {
			bootFailure("fs: bad unigo.mount= value (want SRC:PATH:FSTYPE[:ro]): ", spec, 0)
		}
		dir, e := mkdirAll(path)
		if e == 0 {
			e = vfs.Mount(src, dir, typ, ro)
			vfs.Unref(dir)
		}
		if e == linux.ENODEV {
			bootFailure("fs: this image has no driver for the file system of ", spec,
				0) // (the program opens no files, or the type is unknown)
		}
		if e != 0 {
			bootFailure("fs: cannot mount ", spec, e)
		}
		klog.Info("fs").S("mounted ").S(string(src)).S(" on ").S(string(path)).S(" (").S(string(typ)).S(")").End()
	}
	if len(fileSystems) > 0 {
		// Also for file systems the program mounts itself (mount(2)).
		onShutdown(unmountAll)
	}
}

// splitMountSpec splits SRC:PATH:FSTYPE[:ro].
func splitMountSpec(s []byte) (src, path, typ []byte, ro, ok bool) {
	var f [4][]byte
	n := 0
	start := 0
	for k := 0; k <= len(s); k++ {
		if k == len(s) || s[k] == ':' {
			if n == len(f) {
				return nil, nil, nil, false, false
			}
			f[n] = s[start:k]
			n++
			start = k + 1
		}
	}
	if n < 3 || len(f[0]) == 0 || len(f[1]) == 0 || f[1][0] != '/' || len(f[2]) == 0 {
		return nil, nil, nil, false, false
	}
	if n == 4 {
		if string(f[3]) != "ro" && string(f[3]) != "rw" {
			return nil, nil, nil, false, false
		}
		ro = string(f[3]) == "ro"
	}
	return f[0], f[1], f[2], ro, true
}

// mkdirAll creates the ramfs directories of an absolute path and returns
// a reference to the last.
func mkdirAll(path []byte) (vfs.Ino, linux.Errno) {
	d := vfs.Root()
	vfs.Ref(d)
	for len(path) > 0 {
		for len(path) > 0 && path[0] == '/' {
			path = path[1:]
		}
		end := 0
		for end < len(path) && path[end] != '/' {
			end++
		}
		if end == 0 {
			break
		}
		name := path[:end]
		path = path[end:]
		next, e := vfs.Lookup(d, name)
		if e == linux.ENOENT {
			next, e = vfs.Create(d, name, linux.S_IFDIR|0o755, 0, 0, 0)
		}
		vfs.Unref(d)
		if e != 0 {
			return 0, e
		}
		if !vfs.IsDir(next) {
			vfs.Unref(next)
			return 0, linux.ENOTDIR
		}
		d = next
	}
	return d, 0
}

// bootFailure reports a configuration error that stops the boot.
func bootFailure(what string, spec []byte, e linux.Errno) {
	m := klog.Error("boot").S(what).S(string(spec))
	if e != 0 {
		m.S(": ").S(e.Error())
	}
	m.End()
	shutdown(exitBootConfig)
}

// unmountAll is the teardown hook: every mounted file system is synced and
// unmounted, last first, before the devices under them are flushed.
func unmountAll() {
	vfs.UnmountAll(func(m *vfs.MountPoint, e linux.Errno) {
		klog.Warn("fs").S("unmounting ").B(m.Src()).S(": ").S(e.Error()).End()
	})
}

// sysMount implements Linux syscall mount(2) for the file systems the image
// has drivers for; flags other than MS_RDONLY are accepted and ignored.
func sysMount(a sysArgs) uintptr {
	const msRdonly, msRemount, msBind = 1, 32, 4096
	if a[3]&(msRemount|msBind) != 0 {
		return errno(linux.EINVAL)
	}
	var srcBuf, typBuf [64]byte
	n, ok := userString(a[0], srcBuf[:])
	if !ok {
		return errno(linux.EFAULT)
	}
	src := srcBuf[:n]
	if hasPrefix(src, "/dev/") {
		src = src[5:]
	}
	n, ok = userString(a[2], typBuf[:])
	if !ok {
		return errno(linux.EFAULT)
	}
	dir, e := lookupAt(atFDCWD, a[1], 0)
	if e != 0 {
		return errno(e)
	}
	return errno(vfs.Mount(src, dir, typBuf[:n], a[3]&msRdonly != 0))
}

// mountinfo writes /proc/self/mountinfo lines for the mounted file systems.
func mountinfo(t *text, long bool) {
	vfs.Mounts(func(m *vfs.MountPoint, point vfs.Ino) {
		var buf [256]byte
		p, ok := vfs.PathOf(point, buf[:])
		if !ok {
			return
		}
		opt := "rw"
		if m.ReadOnly {
			opt = "ro"
		}
		if long {
			t.U(uint64(m.Dev)+1, 0).S(" 1 0:").U(uint64(m.Dev), 0).S(" / ").B(p).C(' ').S(opt).S(",relatime - ").S(m.FS().Name).C(' ').B(m.Src()).C(' ').S(opt).C('\n')
		} else {
			t.B(m.Src()).C(' ').B(p).C(' ').S(m.FS().Name).C(' ').S(opt).S(" 0 0\n")
		}
	})
}
