package core

import (
	"unigo.dev/unigo/kernel/klog"
)

// The Go runtime cannot see how much memory the guest has: there is no
// cgroup limit to read, and it never looks at /proc/meminfo. Left alone, it
// lets the heap grow to twice the live data (GOGC=100) whatever the RAM, and
// in a small guest the kernel has to kill the program (status 137) where a
// collection would have freed enough. So, unless the environment already
// has GOMEMLIMIT (any value, "off" included), the kernel gives the program
// GOMEMLIMIT = free RAM at start minus a reserve for the kernel's own growth
// under load (socket rings, kernel stacks, page tables): 1 MiB plus an
// eighth. It is a soft limit: the collector runs more often near it, never
// fails an allocation because of it. See docs/adr/0011-demand-zero-bss.md.
const (
	memLimitReserve = 1 << 20 // bytes, plus an eighth of free RAM
	memLimitEnv     = "GOMEMLIMIT="
)

// defaultMemoryLimit adds GOMEMLIMIT to the program's environment unless it
// is there already. It runs at boot, just before the program starts.
func defaultMemoryLimit() {
	for i := 0; i < kopts.nenv; i++ {
		if s := cstr(kopts.env[i]); len(s) >= len(memLimitEnv) && s[:len(memLimitEnv)] == memLimitEnv {
			klog.Info("boot").S("GOMEMLIMIT from the environment: ").S(s[len(memLimitEnv):]).End()
			return
		}
	}
	if kopts.nenv >= maxEnv {
		return
	}
	limit, ok := memoryLimitFor(uint64(frames.FreePages()) * 4096)
	if !ok {
		return
	}
	var b [40]byte
	n := copy(b[:], memLimitEnv)
	n += putDecimal(b[n:], limit>>10)
	n += copy(b[n:], "KiB")
	off := addString(b[:n])
	if off < 0 {
		return
	}
	kopts.env[kopts.nenv] = off
	kopts.nenv++
	klog.Info("boot").S(cstr(off)).S(" from free RAM (set GOMEMLIMIT to override it, GOMEMLIMIT=off for none)").End()
}

// memoryLimitFor returns the default GOMEMLIMIT for free bytes of RAM, and
// false when there is too little memory to leave a reserve.
func memoryLimitFor(free uint64) (uint64, bool) {
	reserve := memLimitReserve + free/8
	if free < 2*reserve {
		return 0, false
	}
	return (free - reserve) &^ (1<<10 - 1), true
}

// putDecimal writes v in decimal to b and returns the length.
func putDecimal(b []byte, v uint64) int {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return copy(b, tmp[i:])
}
