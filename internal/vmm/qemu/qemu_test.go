package qemu

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestArgs(t *testing.T) {
	base := []string{"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"}
	tail := func(img, app string) []string {
		return []string{"-kernel", img, "-append", app,
			"-chardev", "stdio,id=con0,signal=off", "-serial", "chardev:con0",
			"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}
	}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	tests := []struct {
		name string
		c    Config
		want []string
	}{
		{"defaults", Config{Accel: "tcg", Kernel: "h.img", Append: "argv0=h --"},
			cat(base, []string{"-M", "microvm,x-option-roms=off,pit=on,pic=on,rtc=on,isa-serial=on,auto-kernel-cmdline=off,ioapic2=off", "-accel", "tcg", "-cpu", "max", "-m", "128M", "-smp", "1"}, tail("h.img", "argv0=h --"))},
		{"q35 kvm", Config{Machine: "q35", Accel: "kvm", MemoryMiB: 1024, SMP: 4, Kernel: "k", Append: "a"},
			cat(base, []string{"-M", "q35", "-accel", "kvm", "-cpu", "host", "-m", "1024M", "-smp", "4"}, tail("k", "a"))},
		{"pc debug", Config{Machine: "pc", Accel: "tcg", Kernel: "k", Append: "a", GDB: true, TraceFile: "t.log", ICount: true},
			cat(base, []string{"-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", "128M", "-smp", "1"}, tail("k", "a"),
				[]string{"-icount", "shift=0,sleep=off", "-d", "int,cpu_reset", "-D", "t.log", "-s", "-S"})},
		{"microvm disk and shares", Config{Accel: "tcg", Kernel: "k", Append: "a", Disk: "d,1.img",
			Shares: []Share{{Path: "/srv/data", Tag: "share0"}, {Path: "/a,b", Tag: "share1", ReadOnly: true}}},
			cat(base, []string{"-M", "microvm,x-option-roms=off,pit=on,pic=on,rtc=on,isa-serial=on,auto-kernel-cmdline=off,ioapic2=off", "-accel", "tcg", "-cpu", "max", "-m", "128M", "-smp", "1"}, tail("k", "a"),
				[]string{"-global", "virtio-mmio.force-legacy=false",
					"-drive", "file=d,,1.img,if=none,id=disk0,format=raw,cache=writeback,aio=threads", "-device", "virtio-blk-device,drive=disk0,serial=vda",
					"-fsdev", "local,id=share0,path=/srv/data,security_model=none,multidevs=remap", "-device", "virtio-9p-device,fsdev=share0,mount_tag=share0",
					"-fsdev", "local,id=share1,path=/a,,b,security_model=none,multidevs=remap,readonly=on", "-device", "virtio-9p-device,fsdev=share1,mount_tag=share1"})},
		{"q35 volumes", Config{Machine: "q35", Accel: "tcg", Kernel: "k", Append: "a",
			Volumes: []Drive{{Path: "/v/a.img", Serial: "vda"}, {Path: "/v/b,c.img", Serial: "vdb", ReadOnly: true}}},
			cat(base, []string{"-M", "q35", "-accel", "tcg", "-cpu", "max", "-m", "128M", "-smp", "1"}, tail("k", "a"),
				[]string{"-drive", "file=/v/a.img,if=none,id=vol0,format=raw,cache=writeback,aio=threads",
					"-device", "virtio-blk-pci,drive=vol0,disable-legacy=on,serial=vda",
					"-drive", "file=/v/b,,c.img,if=none,id=vol1,format=raw,cache=writeback,aio=threads,readonly=on",
					"-device", "virtio-blk-pci,drive=vol1,disable-legacy=on,serial=vdb"})},
		{"q35 share", Config{Machine: "q35", Accel: "tcg", Kernel: "k", Append: "a", Shares: []Share{{Path: "/srv", Tag: "share0"}}},
			cat(base, []string{"-M", "q35", "-accel", "tcg", "-cpu", "max", "-m", "128M", "-smp", "1"}, tail("k", "a"),
				[]string{"-fsdev", "local,id=share0,path=/srv,security_model=none,multidevs=remap",
					"-device", "virtio-9p-pci,fsdev=share0,mount_tag=share0,disable-legacy=on"})},
	}
	for _, tt := range tests {
		got, err := tt.c.Args()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: Args() = %q, %v;\nwant %q", tt.name, got, err, tt.want)
		}
	}
	// A QMP socket path with ',' and '=' (t.TempDir() names have '=')
	// reaches QEMU intact.
	qmp := Config{Accel: "tcg", Kernel: "k", QMP: "/tmp/a=b,c/qmp.sock"}
	if got, _ := qmp.Args(); !slices.Contains(got, "socket,id=qmp0,path=/tmp/a=b,,c/qmp.sock,server=on,wait=off") {
		t.Errorf("Args(QMP %q) = %q; want a -chardev socket with the path, commas doubled", qmp.QMP, got)
	}
	for _, c := range []Config{{Machine: "virt", Accel: "tcg"}, {Accel: "hvf"}, {Accel: "auto"}} {
		if got, err := c.Args(); err == nil {
			t.Errorf("Args(%+v) = %q; want error", c, got)
		}
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"128", 128}, {"64M", 64}, {"64m", 64}, {"1G", 1024}, {"2GiB", 2048}, {"512MB", 512}, {"65536K", 64}, {" 256 ", 256},
	}
	for _, tt := range tests {
		if got, err := ParseMemory(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "M", "abc", "-1G", "1.5G", "2M", "1000K", "99999999G", "1X"} {
		if got, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) = %d; want error", in, got)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		code   int
		stderr string
		want   Outcome
	}{
		{1, "", Outcome{Kind: GuestExited, Code: 1, Status: 0}},
		{15, "", Outcome{Kind: GuestExited, Code: 15, Status: 7}},
		{255, "", Outcome{Kind: GuestExited, Code: 255, Status: 127}},
		{1, "qemu-system-x86_64: warning: host doesn't support requested feature\n", Outcome{Kind: GuestExited, Code: 1}},
		{1, "qemu-system-x86_64: -kernel x: could not open\n", Outcome{Kind: QEMUFailed, Code: 1, Message: "qemu-system-x86_64: -kernel x: could not open"}},
		{0, "", Outcome{Kind: NoStatus}},
		{2, "", Outcome{Kind: QEMUFailed, Code: 2, Message: "exit status 2"}},
		{-1, "", Outcome{Kind: Killed, Code: -1}},
	}
	for _, tt := range tests {
		if got := Decode(tt.code, tt.stderr); got != tt.want {
			t.Errorf("Decode(%d, %q) = %+v; want %+v", tt.code, tt.stderr, got, tt.want)
		}
	}
}

func TestResolveAccel(t *testing.T) {
	for _, a := range []string{"kvm", "tcg"} {
		if got, _, err := ResolveAccel(a); err != nil || got != a {
			t.Errorf("ResolveAccel(%q) = %q, %v", a, got, err)
		}
	}
	got, reason, err := ResolveAccel("auto")
	if err != nil || (got != "kvm" && got != "tcg") || reason == "" {
		t.Errorf("ResolveAccel(auto) = %q, %q, %v", got, reason, err)
	}
	if _, err := os.Stat("/dev/kvm"); err != nil && got != "tcg" {
		t.Errorf("ResolveAccel(auto) without /dev/kvm = %q; want tcg", got)
	}
	if _, _, err := ResolveAccel("xen"); err == nil {
		t.Error("ResolveAccel(xen) succeeded")
	}
}

func TestCommandLine(t *testing.T) {
	p := Process{Path: "/usr/bin/qemu", Args: []string{"-append", "argv0=x -- a:b", "-m", "128M", "it's"}}
	want := `/usr/bin/qemu -append 'argv0=x -- a:b' -m 128M 'it'\''s'`
	if got := p.CommandLine(); got != want {
		t.Errorf("CommandLine() = %s; want %s", got, want)
	}
}

// TestRunFakeQEMU drives Run with a shell script standing in for QEMU.
func TestRunFakeQEMU(t *testing.T) {
	dir := t.TempDir()
	script := func(body string) string {
		p := filepath.Join(dir, "qemu"+string(rune('a'+len(body)%26)))
		os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755)
		return p
	}
	var out strings.Builder
	p := &Process{Path: script(`echo "console line"; exit 15`), Console: &out}
	got, err := p.Run(context.Background())
	if err != nil || got.Kind != GuestExited || got.Status != 7 || out.String() != "console line\n" {
		t.Errorf("Run = %+v, %v, console %q; want status 7", got, err, out.String())
	}
	p = &Process{Path: script(`echo "qemu-system-x86_64: bad option" >&2; exit 1`), Console: &out}
	if got, err := p.Run(context.Background()); err != nil || got.Kind != QEMUFailed || !strings.Contains(got.Message, "bad option") {
		t.Errorf("Run(qemu error) = %+v, %v", got, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	p = &Process{Path: script(`trap "" TERM; sleep 30`), Console: &out, StopGrace: 100 * time.Millisecond}
	start := time.Now()
	if got, err := p.Run(ctx); err != nil || got.Kind != Killed {
		t.Errorf("Run(cancelled) = %+v, %v; want Killed", got, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run(cancelled) took %v", d)
	}
}

func TestNetArgs(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []string
	}{
		{"user microvm", Config{Net: &Net{Mode: "user", MAC: "52:54:00:00:00:01", Forwards: []Forward{{"tcp", "", 8080, 80}, {"udp", "127.0.0.1", 5353, 53}}}},
			[]string{"-global", "virtio-mmio.force-legacy=false", "-netdev", "user,id=net0,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-:53",
				"-device", "virtio-net-device,netdev=net0,mac=52:54:00:00:00:01"}},
		{"user microvm with disk", Config{Disk: "d.img", Net: &Net{Mode: "user"}},
			[]string{"-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"}},
		{"tap q35", Config{Machine: "q35", Net: &Net{Mode: "tap", Tap: "tap0"}},
			[]string{"-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no", "-device", "virtio-net-pci,netdev=net0,disable-legacy=on,romfile="}},
	}
	for _, tt := range tests {
		got, err := tt.c.netArgs()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: netArgs() = %q, %v;\nwant %q", tt.name, got, err, tt.want)
		}
	}
	for _, n := range []Net{{Mode: "bridge"}, {Mode: "tap"}, {Mode: "tap", Tap: "a,b"}, {Mode: "tap", Tap: "t", Forwards: []Forward{{"tcp", "", 1, 1}}}} {
		if got, err := (Config{Net: &n}).netArgs(); err == nil {
			t.Errorf("netArgs(%+v) = %q; want an error", n, got)
		}
	}
}

func TestParseForward(t *testing.T) {
	tests := []struct {
		in   string
		want Forward
	}{
		{"8080:80", Forward{"tcp", "", 8080, 80}},
		{"8080", Forward{"tcp", "", 8080, 8080}},
		{"5353:53/udp", Forward{"udp", "", 5353, 53}},
		{"127.0.0.1:8080:80/TCP", Forward{"tcp", "127.0.0.1", 8080, 80}},
		{"[::1]:8080:80", Forward{"tcp", "::1", 8080, 80}},
	}
	for _, tt := range tests {
		got, err := ParseForward(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseForward(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if back, err := ParseForward(got.String()); err != nil || back != got {
			t.Errorf("ParseForward(%q.String() = %q) = %+v, %v", tt.in, got.String(), back, err)
		}
	}
	for _, in := range []string{"", "x", "0:80", "8080:70000", "8080:80/sctp", "host:8080:80", "1:2:3:4", "8080:80/"} {
		if got, err := ParseForward(in); err == nil {
			t.Errorf("ParseForward(%q) = %+v; want an error", in, got)
		} else if !strings.Contains(err.Error(), "-p "+in) {
			t.Errorf("ParseForward(%q) error %q does not name the input", in, err)
		}
	}
}

func TestMAC(t *testing.T) {
	for i := 0; i < 10; i++ {
		if m := RandomMAC(); CheckMAC(m) != nil || !strings.HasPrefix(m, "52:54:00:") {
			t.Errorf("RandomMAC() = %q", m)
		}
	}
	for _, bad := range []string{"", "52:54:00", "01:00:5e:00:00:01", "zz:54:00:00:00:01"} {
		if CheckMAC(bad) == nil {
			t.Errorf("CheckMAC(%q) = nil; want an error", bad)
		}
	}
}

func TestFullStatus(t *testing.T) {
	tests := []struct {
		status int
		lines  []string
		want   int
	}{
		{7, []string{"hello"}, 7},
		{11, []string{"[    1.0] E exit: status 139"}, 139},
		{11, []string{"[    1.0] E exit: status 139", "later output"}, 139},
		{12, []string{"[    1.0] E exit: status 139"}, 12}, // does not match the low bits
		{11, []string{"exit: status 11"}, 11},              // only statuses above 127 are recovered
	}
	for _, tt := range tests {
		if got := FullStatus(tt.status, tt.lines); got != tt.want {
			t.Errorf("FullStatus(%d, %q) = %d; want %d", tt.status, tt.lines, got, tt.want)
		}
	}
}
