package startup

import (
	"debug/elf"
	"math"
	"testing"
)

const testConsole = "[    0.000000] Linux version 6.1.0\r\n" +
	"netinit: kallsyms ffffffff98600000 T _text\r\n" +
	"netinit: kallsyms ffffffff98600000 T startup_64\r\n" +
	"netinit: kallsyms ffffffff98e5ba30 T tcp_sendmsg\r\n" +
	"netinit: kallsyms ffffffff98e5bb00 t tcp_push.isra.0\r\n" +
	"netinit: kallsyms ffffffff98700000 T default_idle\r\n" +
	"netinit: kallsyms ffffffffc0250000 t virtnet_poll\t[virtio_net]\r\n" +
	"netinit: kallsyms ffffffffc0260040 t __virtqueue_break\t[virtio_ring]\r\n" +
	"netinit: kallsyms ffffffffc0270000 t failover_slave\t[net_failover]\r\n" +
	"netinit: kallsyms ffffffff98e5 broken by a kernel mess[  1.0] age\r\n" +
	"netinit: kallsyms end\r\n"

func TestParseKallsyms(t *testing.T) {
	ks, err := parseKallsyms(testConsole)
	if err != nil {
		t.Fatal(err)
	}
	if ks.text != 0xffffffff98600000 || !ks.complete {
		t.Errorf("text %#x complete %v; want 0xffffffff98600000 true", ks.text, ks.complete)
	}
	if got, _ := ks.kernel.lookup(0x85ba30 + 5); got != "tcp_sendmsg" {
		t.Errorf("kernel offset 0x85ba35 = %q; want tcp_sendmsg", got)
	}
	if got, entry := ks.modules.lookup(0xffffffffc0250000); got != "virtnet_poll [virtio_net]" || !entry {
		t.Errorf("module lookup = %q %v; want virtnet_poll [virtio_net] entry", got, entry)
	}
	if len(ks.kernel.addrs) != 4 || len(ks.modules.addrs) != 3 {
		t.Errorf("%d kernel and %d module symbols; want 4 and 3 (the broken line skipped)", len(ks.kernel.addrs), len(ks.modules.addrs))
	}
	for _, bad := range []string{"", "netinit: kallsyms 0000000000000000 T _text\n", "netinit: kallsyms ffffffffc0250000 t virtnet_poll\t[virtio_net]\n"} {
		if _, err := parseKallsyms(bad); err == nil {
			t.Errorf("parseKallsyms(%q) = nil error; want one about _text", bad)
		}
	}
}

func TestLinuxResolver(t *testing.T) {
	fn := byte(elf.STT_FUNC)
	user := newSymtab([]elf.Symbol{
		{Name: "runtime.memmove", Value: 0x401000, Size: 0x100, Info: fn},
		{Name: "net/http.(*conn).serve", Value: 0x500000, Size: 0x200, Info: fn},
	})
	dump, err := parseKallsyms(testConsole)
	if err != nil {
		t.Fatal(err)
	}
	// Another boot: KASLR put _text elsewhere, the modules too.
	boot := "netinit: kallsyms ffffffff9a000000 T _text\n" +
		"netinit: kallsyms ffffffffc0350000 t virtnet_poll\t[virtio_net]\n" +
		"netinit: kallsyms ffffffffc0370000 t failover_slave\t[net_failover]\n"
	r, err := newLinuxResolver(user, dump.kernel, boot)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr uint64
		want location
	}{
		{0x401000, location{Name: "runtime.memmove", Group: "runtime", Entry: true}},
		{0x500010, location{Name: "net/http.(*conn).serve", Group: "net/http"}},
		{0x7ffd1234, location{Name: "[vdso]", Group: "linux:vdso", Kernel: true}},
		{0xffffffff9a85ba30, location{Name: "tcp_sendmsg", Group: "linux:net", Kernel: true, Entry: true}},
		{0xffffffff9a85bb10, location{Name: "tcp_push.isra.0", Group: "linux:net", Kernel: true}},
		{0xffffffff9a100004, location{Name: "default_idle", Group: "linux:idle", Kernel: true}},
		{0xffffffffc0350004, location{Name: "virtnet_poll [virtio_net]", Group: "linux:virtio", Kernel: true}},
		{0xffffffffc0370000, location{Name: "failover_slave [net_failover]", Group: "linux:net", Kernel: true, Entry: true}},
		{0xffff888000001000, location{Name: "[kernel, unsymbolised]", Group: "linux:other", Kernel: true}},
	}
	for _, tc := range tests {
		if got := r.resolve(tc.addr); got != tc.want {
			t.Errorf("resolve(%#x) = %+v; want %+v", tc.addr, got, tc.want)
		}
	}
	if _, err := newLinuxResolver(user, dump.kernel, "no kallsyms here"); err == nil {
		t.Error("a boot without kallsyms lines: no error")
	}
}

func TestLinuxGroup(t *testing.T) {
	tests := []struct{ in, want string }{
		{"default_idle", "linux:idle"},
		{"native_safe_halt", "linux:idle"},
		{"entry_SYSCALL_64", "linux:syscall entry"},
		{"do_syscall_64", "linux:syscall entry"},
		{"syscall_exit_to_user_mode", "linux:syscall entry"},
		{"__x64_sys_getpid", "linux:syscall entry"},
		{"__x64_sys_epoll_pwait", "linux:epoll"},
		{"ep_poll_callback", "linux:epoll"},
		{"do_epoll_wait", "linux:epoll"},
		{"__schedule", "linux:sched"},
		{"schedule", "linux:sched"},
		{"pick_next_task_fair", "linux:sched"},
		{"tcp_sendmsg", "linux:net"},
		{"tcp_ack.isra.0", "linux:net"},
		{"inet_recvmsg", "linux:net"},
		{"ip_finish_output2", "linux:net"},
		{"__napi_schedule_irqoff", "linux:net"},
		{"alloc_skb_with_frags", "linux:net"},
		{"_raw_spin_lock_irqsave", "linux:locking"},
		{"handle_edge_irq", "linux:irq"},
		{"x2apic_send_IPI", "linux:irq"},
		{"asm_common_interrupt", "linux:irq"},
		{"hrtimer_interrupt", "linux:time"},
		{"__sysvec_apic_timer_interrupt", "linux:time"},
		{"rcu_note_context_switch", "linux:rcu"},
		{"__do_softirq", "linux:softirq"},
		{"kmem_cache_alloc_node", "linux:memory"},
		{"clear_page_erms", "linux:memory"},
		{"memset_erms", "linux:copy"},
		{"_copy_to_user", "linux:copy"},
		{"futex_wake", "linux:futex"},
		{"__x86_return_thunk", "linux:mitigations"},
		{"security_socket_recvmsg", "linux:security"},
		{"vfs_read", "linux:vfs"},
		{"some_driver_fn", "linux:other"},
	}
	for _, tc := range tests {
		if got := linuxGroup(tc.in); got != tc.want {
			t.Errorf("linuxGroup(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestGoResolverSides(t *testing.T) {
	fn := byte(elf.STT_FUNC)
	img := newSymtab([]elf.Symbol{
		{Name: "runtime.memmove", Value: 0x1000, Info: fn},
		{Name: "aeshashbody", Value: 0x2000, Info: fn},
		{Name: "trapcommon", Value: 0x3000, Info: fn},
		{Name: "unigo.dev/unigo/kernel/core.syscallTrap", Value: 0x4000, Info: fn},
		{Name: "gvisor.dev/gvisor/pkg/buffer.(*Buffer).PullUp", Value: 0x5000, Info: fn},
		{Name: "container/list.(*List).Remove", Value: 0x6000, Info: fn},
		{Name: "net/http.(*conn).serve", Value: 0x7000, Info: fn},
	})
	prog := newSymtab([]elf.Symbol{
		{Name: "runtime.memmove", Value: 0x1000, Info: fn},
		{Name: "aeshashbody", Value: 0x2000, Info: fn},
		{Name: "net/http.(*conn).serve", Value: 0x7000, Info: fn},
	})
	r := goResolver{syms: img, prog: newProgSymbols(prog)}
	tests := []struct {
		addr   uint64
		group  string
		kernel bool
	}{
		{0x1000, "runtime", false},
		{0x2000, "(asm)", false},
		{0x3000, "(asm, kernel)", true},
		{0x4000, "unigo.dev/unigo/kernel/core", true},
		{0x5000, "gvisor.dev/gvisor/pkg/buffer", true},
		{0x6000, "container/list", true}, // linked only for the kernel
		{0x7000, "net/http", false},
	}
	for _, tc := range tests {
		l := r.resolve(tc.addr)
		if l.Group != tc.group || l.Kernel != tc.kernel {
			t.Errorf("resolve(%#x) = %+v; want group %q kernel %v", tc.addr, l, tc.group, tc.kernel)
		}
	}
}

func TestSidesAndSharedDiff(t *testing.T) {
	uni := []funcCost{
		{Name: "runtime.schedule", Group: "runtime", Insns: 300, Calls: 9},
		{Name: "net/http.(*conn).serve", Group: "net/http", Insns: 100, Calls: 1},
		{Name: "unigo.dev/unigo/kernel/core.syscallTrap", Group: "unigo.dev/unigo/kernel/core", Kernel: true, Insns: 500},
	}
	linux := []funcCost{
		{Name: "runtime.schedule", Group: "runtime", Insns: 100, Calls: 3},
		{Name: "net/http.(*conn).serve", Group: "net/http", Insns: 100, Calls: 1},
		{Name: "tcp_sendmsg", Group: "linux:net", Kernel: true, Insns: 250},
	}
	if p, k := sides(uni); p != 400 || k != 500 {
		t.Errorf("sides(uni) = %v, %v; want 400, 500", p, k)
	}
	d := costIndex(sharedDiff(uni, linux))
	if len(d) != 2 || d["runtime.schedule"].Insns != 200 || d["runtime.schedule"].Calls != 6 || d["net/http.(*conn).serve"].Insns != 0 {
		t.Errorf("sharedDiff = %+v; want runtime.schedule +200 (+6 calls), serve 0, no kernel functions", d)
	}
}

func TestMedianRun(t *testing.T) {
	tests := []struct {
		in         []float64
		median, at float64
	}{
		{[]float64{93476}, 93476, 93476},
		{[]float64{93476, 74980, 82357}, 82357, 82357},
		{[]float64{4, 1, 3, 2}, 2.5, 2},
	}
	for _, tc := range tests {
		var runs []icountRun
		for _, v := range tc.in {
			runs = append(runs, icountRun{PerReq: v})
		}
		m, r := medianRun(runs)
		if math.Abs(m-tc.median) > 1e-9 || r.PerReq != tc.at {
			t.Errorf("medianRun(%v) = %v, run %v; want %v, run %v", tc.in, m, r.PerReq, tc.median, tc.at)
		}
	}
}
