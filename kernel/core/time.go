package core

import (
	"math/bits"
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/klog"
)

// Time: a TSC whose frequency comes from kvmclock (on KVM), CPUID leaves
// 0x15/0x16 when they are filled in, or else a short window of the PIT; the
// local APIC timer in TSC-deadline mode (one-shot mode, calibrated against
// the PIT, where TSC-deadline is missing) for wakeups and preemption; and the
// CMOS RTC for the wall clock.

var (
	tscBase        uint64 // TSC at boot
	tscMult        uint64 // ns = ticks * tscMult >> 32
	tscPerNs       uint64 // ticks = ns * tscPerNs >> 32
	tscMinTicks    uint64 // the shortest timer the kernel arms: 10 µs
	tscHz          uint64
	lapicHz        uint64 // local APIC timer ticks per second (divide by 1)
	bootEpoch      int64  // wall-clock ns at tscBase
	lapicBase      uintptr
	timerReady     bool
	timerArmedAt   int64 // the deadline timerArm last set, 0 when off
	useTSCDeadline bool  // LAPIC timer in TSC-deadline mode

	// kvmclock's per-vCPU time information (Documentation/virt/kvm/x86/
	// msr.rst, struct pvclock_vcpu_time_info), written by the hypervisor.
	// It lives in the image, whose physical and virtual addresses agree.
	pvclock [32]byte
)

// KVM paravirtual interfaces (Documentation/virt/kvm/x86/cpuid.rst).
const (
	kvmCPUIDSignature      = 0x40000000
	kvmCPUIDFeatures       = 0x40000001
	kvmFeatureClocksource2 = 1 << 3
	msrKVMSystemTimeNew    = 0x4b564d01
)

// kvmclockHz enables kvmclock when the hypervisor is KVM and offers it, and
// returns the TSC frequency it implies (0 without kvmclock).
func kvmclockHz() uint64 {
	if !amd64.Features.Hypervisor {
		return 0
	}
	max, b, c, d := amd64.Cpuid(kvmCPUIDSignature, 0)
	if max < kvmCPUIDFeatures || b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d {
		return 0 // not "KVMKVMKVM\0\0\0"
	}
	feat, _, _, _ := amd64.Cpuid(kvmCPUIDFeatures, 0)
	if feat&kvmFeatureClocksource2 == 0 {
		return 0
	}
	pa := uintptr(unsafe.Pointer(&pvclock))
	amd64.Wrmsr(msrKVMSystemTimeNew, uint64(pa)|1)
	mul := uint64(*(*uint32)(unsafe.Pointer(&pvclock[24])))
	shift := int8(pvclock[28])
	if mul == 0 {
		return 0
	}
	// ns = (tsc << shift) * mul >> 32, so Hz = 1e9 << 32 / mul >> shift.
	hz := (uint64(1_000_000_000) << 32) / mul
	if shift > 0 {
		hz >>= uint(shift)
	} else {
		hz <<= uint(-shift)
	}
	return hz
}

// nanotime returns monotonic nanoseconds since boot: the TSC ticks since
// boot times tscMult, a 32.32 fixed-point ns-per-tick, as one 128-bit
// product (the vDSO computes the same, vdso_amd64.s).
func nanotime() int64 {
	hi, lo := bits.Mul64(amd64.Rdtsc()-tscBase, tscMult)
	return int64(hi<<32 | lo>>32)
}

// nsToTSC returns the TSC value at monotonic time ns (nanotime's inverse,
// through tscPerNs, a 32.32 fixed-point ticks-per-ns).
func nsToTSC(ns int64) uint64 {
	hi, lo := bits.Mul64(uint64(ns), tscPerNs)
	return tscBase + (hi<<32 | lo>>32)
}

func walltime() int64 { return bootEpoch + nanotime() }

// The PIT's channel 0 as a reference clock. Channel 2 would need the gate
// in port 0x61, which belongs to the PC speaker device that QEMU's microvm
// does not have; channel 0's gate is always on. Its interrupt is masked at
// the PIC and the I/O APIC is not programmed, so it raises nothing.
const pitHz = 1193182

// pitCount latches and reads channel 0's counter.
func pitCount() uint16 {
	amd64.Outb(0x43, 0x00) // latch channel 0
	lo := amd64.Inb(0x40)
	hi := amd64.Inb(0x40)
	return uint16(hi)<<8 | uint16(lo)
}

// pitWindow measures TSC and APIC timer ticks over n PIT ticks.
func pitWindow(n uint32) (tsc uint64, apic uint64, ok bool) {
	amd64.Outb(0x43, 0x34) // channel 0, lobyte/hibyte, mode 2 (rate generator)
	amd64.Outb(0x40, 0)
	amd64.Outb(0x40, 0) // reload 65536
	prev := pitCount()
	// Wait for the first decrement so the window starts on a tick edge.
	for i := 0; pitCount() == prev; i++ {
		if i > 1_000_000 {
			return 0, 0, false // no PIT
		}
	}
	prev = pitCount()
	lapicWrite(lapicTimerInit, 0xFFFFFFFF)
	t0 := amd64.Rdtsc()
	var elapsed uint32
	for i := 0; elapsed < n; i++ {
		c := pitCount()
		elapsed += uint32(prev - c) // counts down; wraps through 65536
		prev = c
		if i > 50_000_000 {
			return 0, 0, false
		}
	}
	t1 := amd64.Rdtsc()
	cur := lapicRead(lapicTimerCurrent)
	lapicWrite(lapicTimerInit, 0)
	amd64.Outb(0x43, 0x30) // channel 0 back to mode 0, stopped until written
	// Scale to exactly n ticks: the loop may overshoot by a few.
	return (t1 - t0) * uint64(n) / uint64(elapsed), uint64(0xFFFFFFFF-cur) * uint64(n) / uint64(elapsed), true
}

// Local APIC registers (Intel SDM vol. 3 §11.4.1).
const (
	lapicID           = 0x020
	lapicEOI          = 0x0B0
	lapicSpurious     = 0x0F0
	lapicLVTTimer     = 0x320
	lapicTimerInit    = 0x380
	lapicTimerCurrent = 0x390
	lapicTimerDivide  = 0x3E0

	vectorTimer    = 32
	vectorSpurious = 255
)

func lapicRead(reg uintptr) uint32 { return *(*uint32)(kptr(lapicBase + reg)) }
func lapicWrite(reg uintptr, v uint32) {
	*(*uint32)(kptr(lapicBase + reg)) = v
}

func initTime() {
	lapicBase = directMapBase + lapicPhys
	// Enable the APIC (software enable, spurious vector), mask the legacy PIC.
	amd64.Outb(0x21, 0xFF)
	amd64.Outb(0xA1, 0xFF)
	amd64.Wrmsr(amd64.MSRAPICBase, amd64.Rdmsr(amd64.MSRAPICBase)|1<<11)
	lapicWrite(lapicSpurious, 0x100|vectorSpurious)
	lapicWrite(lapicTimerDivide, 0xB) // divide by 1
	lapicWrite(lapicLVTTimer, 1<<16)  // masked while calibrating

	tscBase = amd64.Rdtsc()
	source := "kvmclock"
	tscHz = kvmclockHz()
	if maxLeaf, _, _, _ := amd64.Cpuid(0, 0); tscHz == 0 && maxLeaf >= 0x15 {
		source = "cpuid"
		den, num, crystal, _ := amd64.Cpuid(0x15, 0)
		if den != 0 && num != 0 && crystal != 0 {
			tscHz = uint64(crystal) * uint64(num) / uint64(den)
		}
		if tscHz == 0 && maxLeaf >= 0x16 {
			if mhz, _, _, _ := amd64.Cpuid(0x16, 0); mhz != 0 {
				tscHz = uint64(mhz&0xFFFF) * 1_000_000
			}
		}
	}
	useTSCDeadline = amd64.Features.TSCDeadln
	if tscHz == 0 || !useTSCDeadline {
		// Five 250 µs PIT windows, and the median of each estimate: short,
		// because under -icount every spin costs guest instructions, and
		// several, because a host that deschedules the vCPU during one
		// window skews that window only. They also calibrate the APIC
		// timer.
		const window = pitHz / 4000
		var tscs, apics [5]uint64
		n := 0
		for i := 0; i < len(tscs); i++ {
			tsc, apic, ok := pitWindow(window)
			if !ok || tsc == 0 {
				break
			}
			tscs[n], apics[n] = tsc*pitHz/window, apic*pitHz/window
			n++
		}
		if tscHz == 0 {
			source = "pit"
			if n == 0 {
				klog.Warn("time").S("no PIT: assuming a 1 GHz TSC").End()
				tscHz = 1_000_000_000
			} else {
				tscHz = median(tscs[:n])
			}
		}
		lapicHz = 1_000_000_000
		if n > 0 {
			if m := median(apics[:n]); m != 0 {
				lapicHz = m
			}
		}
	}
	tscMult = (1_000_000_000 << 32) / tscHz
	tscPerNs, _ = bits.Div64(tscHz>>32, tscHz<<32, 1_000_000_000)
	tscMinTicks = tscHz / 100_000 // 10 µs
	bootEpoch = readRTC() * 1_000_000_000
	mode := "one-shot"
	if useTSCDeadline {
		mode = "tsc-deadline"
		lapicWrite(lapicLVTTimer, 2<<17|vectorTimer)
	} else {
		lapicWrite(lapicLVTTimer, vectorTimer) // one-shot, unmasked
	}
	timerReady = true
	klog.Info("time").S("tsc ").U(tscHz / 1000).S(" kHz (").S(source).S("), apic timer ").S(mode).End()
}

// timerArm programs the APIC timer to fire at the monotonic deadline (0 =
// no event). Arming the deadline already armed does nothing (the timer
// interrupt forgets the armed deadline: a fired timer is off).
func timerArm(deadline int64) {
	if !timerReady || deadline == timerArmedAt {
		return
	}
	timerArmedAt = deadline
	if deadline == 0 {
		if useTSCDeadline {
			amd64.Wrmsr(amd64.MSRTSCDeadline, 0)
		} else {
			lapicWrite(lapicTimerInit, 0)
		}
		return
	}
	if useTSCDeadline {
		// At least 10 µs ahead, as below.
		at, min := nsToTSC(deadline), amd64.Rdtsc()+tscMinTicks
		if int64(at-min) < 0 {
			at = min
		}
		amd64.Wrmsr(amd64.MSRTSCDeadline, at)
		return
	}
	d := deadline - nanotime()
	if d < 10_000 {
		d = 10_000
	}
	ticks := uint64(d) * (lapicHz / 1000) / 1_000_000
	if ticks > 0xFFFFFFFF {
		ticks = 0xFFFFFFFF
	}
	if ticks == 0 {
		ticks = 1
	}
	lapicWrite(lapicTimerInit, uint32(ticks))
}

func lapicEOIWrite() { lapicWrite(lapicEOI, 0) }

// readRTC returns the CMOS real-time clock as Unix seconds (0 if absent).
func readRTC() int64 {
	rd := func(reg uint8) uint8 {
		amd64.Outb(0x70, reg)
		return amd64.Inb(0x71)
	}
	for i := 0; i < 10000 && rd(0x0A)&0x80 != 0; i++ {
	}
	sec, min, hour := rd(0x00), rd(0x02), rd(0x04)
	day, mon, year := rd(0x07), rd(0x08), rd(0x09)
	if sec == 0xFF && mon == 0xFF {
		return 0
	}
	if rd(0x0B)&0x04 == 0 { // BCD
		bcd := func(v uint8) uint8 { return v&0x0F + v>>4*10 }
		sec, min, hour = bcd(sec), bcd(min), bcd(hour&0x7F)|hour&0x80
		day, mon, year = bcd(day), bcd(mon), bcd(year)
	}
	y := int64(year) + 2000
	// Days from civil (Howard Hinnant's algorithm).
	m := int64(mon)
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	return days*86400 + int64(hour&0x7F)*3600 + int64(min)*60 + int64(sec)
}

// median returns the median of v (sorting it in place).
func median(v []uint64) uint64 {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
	return v[len(v)/2]
}
