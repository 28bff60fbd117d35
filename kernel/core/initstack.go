package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
	"unigo.dev/unigo/kernel/random"
)

// The kernel command line carries the program's name, environment and
// arguments (format: internal/cmdline in the host tool):
//
//	argv0=hello env=HOME=/root -- a:alice a:bob%20smith
//
// Values are percent-encoded; "a:" alone is the empty argument. Unknown
// parameters are ignored, except the kernel's own:
//
//	unigo.log=LEVEL   kernel log level on the console: error, warn (the
//	                  default), info or debug; the ring keeps everything
//	cwd=PATH          the program's initial working directory (default /)
//	unigo.mount=SRC:PATH:FSTYPE[:ro]
//	                  mount a file system at boot (repeatable): a 9P share
//	                  by its tag, an ext2 volume by its disk (vdb), ...
//	unigo.selftest=linuxboot
//	                  restart a PVH boot through the 64-bit Linux boot entry
//	unigo.crash=boot  fault on purpose in the kernel after memory setup, to
//	                  check the crash report (like Linux's sysrq-trigger c)

const (
	maxArgs   = 256
	maxEnv    = 256
	maxMounts = 8
)

// kernelOptions is the decoded command line.
type kernelOptions struct {
	strs     [16 << 10]byte // decoded strings, each NUL-terminated
	nstr     int
	name     int // offset of argv0, -1 if absent
	args     [maxArgs]int
	nargs    int
	env      [maxEnv]int
	nenv     int
	logLevel klog.Level
	crash    bool
	cwd      int
	mounts   [maxMounts]int // offsets of unigo.mount= values
	nmounts  int
	// selftestLinuxBoot restarts a PVH boot through the Linux boot entry.
	selftestLinuxBoot bool // offset of the initial working directory, -1 if absent
}

var kopts kernelOptions

// argv0 returns the program name.
func (k *kernelOptions) argv0() string { return cstr(k.name) }

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// addString decodes a percent-encoded value into kopts.strs and returns its
// offset, or -1 when it does not fit or is malformed.
func addString(enc []byte) int {
	start := kopts.nstr
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c == '%' {
			if i+2 >= len(enc) {
				return -1
			}
			h, ok1 := unhex(enc[i+1])
			l, ok2 := unhex(enc[i+2])
			if !ok1 || !ok2 {
				return -1
			}
			c = h<<4 | l
			i += 2
		}
		if kopts.nstr >= len(kopts.strs)-1 {
			return -1
		}
		kopts.strs[kopts.nstr] = c
		kopts.nstr++
	}
	kopts.strs[kopts.nstr] = 0
	kopts.nstr++
	return start
}

func cstr(off int) string {
	n := 0
	for kopts.strs[off+n] != 0 {
		n++
	}
	return unsafe.String(&kopts.strs[off], n)
}

func parseCmdline() {
	kopts = kernelOptions{}
	kopts.name = -1
	kopts.cwd = -1
	kopts.logLevel = klog.LevelWarn
	line := rawCmdline[:cmdlineLen]
	afterSep := false
	for len(line) > 0 {
		for len(line) > 0 && (line[0] == ' ' || line[0] == '\t' || line[0] == '\n' || line[0] == 0) {
			line = line[1:]
		}
		end := 0
		for end < len(line) && line[end] != ' ' && line[end] != '\t' && line[end] != '\n' && line[end] != 0 {
			end++
		}
		tok := line[:end]
		line = line[end:]
		if len(tok) == 0 {
			continue
		}
		if !afterSep {
			switch {
			case string(tok) == "--":
				afterSep = true
			case hasPrefix(tok, "argv0="):
				kopts.name = addString(tok[6:])
			case hasPrefix(tok, "env="):
				if kopts.nenv < maxEnv {
					v := tok[4:]
					eq := indexByte(v, '=')
					if eq <= 0 {
						continue
					}
					// NAME=VALUE: decode both halves into one string.
					off := addString(v[:eq])
					if off < 0 {
						continue
					}
					kopts.nstr-- // drop the NUL, join with '='
					kopts.strs[kopts.nstr] = '='
					kopts.nstr++
					if addString(v[eq+1:]) < 0 {
						continue
					}
					kopts.env[kopts.nenv] = off
					kopts.nenv++
				}
			case hasPrefix(tok, "unigo.mount="):
				if kopts.nmounts < maxMounts {
					kopts.mounts[kopts.nmounts] = addString(tok[12:])
					kopts.nmounts++
				}
			case hasPrefix(tok, "cwd="):
				kopts.cwd = addString(tok[4:])
			case string(tok) == "unigo.selftest=linuxboot":
				kopts.selftestLinuxBoot = true
			case string(tok) == "unigo.crash=boot":
				kopts.crash = true
			case hasPrefix(tok, "unigo.net."):
				netParam(tok)
			case hasPrefix(tok, "unigo.log="):
				switch string(tok[len("unigo.log="):]) {
				case "error":
					kopts.logLevel = klog.LevelError
				case "warn":
					kopts.logLevel = klog.LevelWarn
				case "info":
					kopts.logLevel = klog.LevelInfo
				case "debug":
					kopts.logLevel = klog.LevelDebug
				}
			}
			continue
		}
		if hasPrefix(tok, "a:") && kopts.nargs < maxArgs {
			if off := addString(tok[2:]); off >= 0 {
				kopts.args[kopts.nargs] = off
				kopts.nargs++
			}
		}
	}
	if kopts.name < 0 {
		kopts.name = addString([]byte("init"))
	}
	exePath = cstr(kopts.name)
	if len(exePath) == 0 || exePath[0] != '/' {
		exePath = "/init"
	}
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// Auxiliary vector tags (include/uapi/linux/auxvec.h).
const (
	atNull        = 0
	atPhdr        = 3
	atPhent       = 4
	atPhnum       = 5
	atPagesz      = 6
	atEntry       = 9
	atUID         = 11
	atEUID        = 12
	atGID         = 13
	atEGID        = 14
	atPlatform    = 15
	atHwcap       = 16
	atClktck      = 17
	atSecure      = 23
	atRandom      = 25
	atExecfn      = 31
	atSysinfoEhdr = 33
)

// buildInitialStack writes argc, argv, envp and auxv below top, as the Linux
// ELF loader does, and returns the stack pointer (pointing at argc).
func buildInitialStack(top uintptr) uintptr {
	p := top
	push := func(s string) uintptr {
		p -= uintptr(len(s) + 1)
		for i := 0; i < len(s); i++ {
			*(*byte)(kptr(p + uintptr(i))) = s[i]
		}
		*(*byte)(kptr(p + uintptr(len(s)))) = 0
		return p
	}
	var argv [maxArgs + 1]uintptr
	var envp [maxEnv]uintptr
	argv[0] = push(cstr(kopts.name))
	for i := 0; i < kopts.nargs; i++ {
		argv[i+1] = push(cstr(kopts.args[i]))
	}
	for i := 0; i < kopts.nenv; i++ {
		envp[i] = push(cstr(kopts.env[i]))
	}
	platform := push("x86_64")
	p &^= 15
	p -= 16
	rnd := p
	random.Read(unsafe.Slice((*byte)(kptr(rnd)), 16))

	_, _, _, hwcap := amd64.Cpuid(1, 0)
	phoff := *(*uint64)(kptr(imageBase + 0x20))
	phnum := *(*uint16)(kptr(imageBase + 0x38))
	auxv := [...]uintptr{
		atPhdr, imageBase + uintptr(phoff),
		atPhent, 56,
		atPhnum, uintptr(phnum),
		atPagesz, 4096,
		atEntry, amd64.RT0(),
		atUID, 0, atEUID, 0, atGID, 0, atEGID, 0,
		atPlatform, platform,
		atHwcap, uintptr(hwcap),
		atClktck, 100,
		atSecure, 0,
		atRandom, rnd,
		atExecfn, argv[0],
		atSysinfoEhdr, initVDSO(),
		atNull, 0,
	}
	argc := kopts.nargs + 1
	words := 1 + argc + 1 + kopts.nenv + 1 + len(auxv)
	p -= uintptr(words) * 8
	p &^= 15
	w := p
	put := func(v uintptr) { *(*uintptr)(kptr(w)) = v; w += 8 }
	put(uintptr(argc))
	for i := 0; i < argc; i++ {
		put(argv[i])
	}
	put(0)
	for i := 0; i < kopts.nenv; i++ {
		put(envp[i])
	}
	put(0)
	for _, v := range auxv {
		put(v)
	}
	klog.Debug("boot").S("initial stack at ").X(uint64(p)).S(", argc ").U(uint64(argc)).S(", envc ").U(uint64(kopts.nenv)).End()
	return p
}
