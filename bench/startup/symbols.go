package startup

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Symbolising the two guests of the HTTP benchmark so that their profiles
// compare like with like: each address gets a function, a group and a
// side. The program side is the Go code a Linux process also runs (the
// server, the standard library, the runtime); the kernel side is
// everything else: in unigo the kernel's packages (unigo.dev/unigo/kernel,
// gVisor, and any package or assembly symbol that the Linux build of the
// same program does not link, i.e. that is there for the kernel), in the
// Linux guest the kernel, its modules and the vDSO.

// goResolver symbolises a Go ELF image. With prog set (the static Linux
// build of the same program), the code the program itself does not link
// is on the kernel side.
type goResolver struct {
	syms *symtab
	prog *progSymbols
}

// progSymbols are the packages and assembly symbols of the program's own
// (Linux) build.
type progSymbols struct {
	pkgs map[string]bool
	asm  map[string]bool
}

func newProgSymbols(t *symtab) *progSymbols {
	p := &progSymbols{pkgs: map[string]bool{}, asm: map[string]bool{}}
	for _, n := range t.names {
		if pkg := packageOf(n); pkg == "(asm)" {
			p.asm[n] = true
		} else {
			p.pkgs[pkg] = true
		}
	}
	return p
}

// unigoKernelPrefixes are the kernel's own module paths.
var unigoKernelPrefixes = []string{"unigo.dev/unigo/kernel", "gvisor.dev/gvisor/"}

func (r goResolver) resolve(addr uint64) location {
	name, entry := r.syms.lookup(addr)
	l := location{Name: name, Group: packageOf(name), Entry: entry}
	if name == "?" {
		l.Group = "?"
		return l
	}
	for _, p := range unigoKernelPrefixes {
		if strings.HasPrefix(l.Group, p) {
			l.Kernel = true
		}
	}
	if r.prog != nil {
		switch {
		case l.Group == "(asm)" && !r.prog.asm[name]:
			l.Group, l.Kernel = "(asm, kernel)", true
		case l.Group != "(asm)" && !r.prog.pkgs[l.Group]:
			l.Kernel = true
		}
	}
	return l
}

// Linux x86-64 address space: user space below userTop, the kernel image
// (randomised by KASLR within 1 GiB) from kernelImage, modules from
// moduleArea.
const (
	userTop     = 1 << 47
	kernelImage = 0xffffffff80000000
	moduleArea  = 0xffffffffc0000000
)

// linuxResolver symbolises the Linux guest: user space with the static
// server binary's symbols, the kernel image with its kallsyms relative to
// _text (from one boot: see linuxKallsyms) placed at this boot's _text
// (KASLR), modules with this boot's /proc/kallsyms; netinit prints both
// (bench/programs/netinit).
type linuxResolver struct {
	user    *symtab
	kernel  *symtab // offsets from _text; nil when there is none
	text    uint64  // this boot's _text
	modules *symtab // module text symbols, named "fn [module]"; may be nil
}

func (r *linuxResolver) resolve(addr uint64) location {
	switch {
	case addr < userTop:
		name, entry := r.user.lookup(addr)
		if name == "?" {
			// A static binary maps no other code: the vDSO, the kernel's.
			return location{Name: "[vdso]", Group: "linux:vdso", Kernel: true}
		}
		return location{Name: name, Group: packageOf(name), Entry: entry}
	case addr >= moduleArea && r.modules != nil:
		name, entry := r.modules.lookup(addr)
		if name == "?" {
			return location{Name: "[module, unknown]", Group: "linux:other", Kernel: true}
		}
		return location{Name: name, Group: moduleGroup(name), Kernel: true, Entry: entry}
	case addr >= r.text && addr < moduleArea && r.kernel != nil:
		name, entry := r.kernel.lookup(addr - r.text)
		if name == "?" {
			return location{Name: "[kernel, unknown]", Group: "linux:other", Kernel: true}
		}
		return location{Name: name, Group: linuxGroup(name), Kernel: true, Entry: entry}
	}
	return location{Name: "[kernel, unsymbolised]", Group: "linux:other", Kernel: true}
}

// newLinuxResolver builds the resolver of one Linux guest boot from the
// server binary's symbols, the kernel's symbols relative to _text (nil:
// kernel code unsymbolised) and the kallsyms lines on the boot's console.
func newLinuxResolver(user, kernel *symtab, console string) (*linuxResolver, error) {
	r := &linuxResolver{user: user}
	if kernel == nil {
		return r, nil
	}
	ks, err := parseKallsyms(console)
	if err != nil {
		return nil, err
	}
	r.kernel, r.text, r.modules = kernel, ks.text, ks.modules
	return r, nil
}

// kallsymsPrefix starts the lines of /proc/kallsyms that netinit prints.
const kallsymsPrefix = "netinit: kallsyms "

// kallsyms is what netinit printed of one boot's /proc/kallsyms.
type kallsyms struct {
	text    uint64  // the kernel's _text
	kernel  *symtab // text symbols of the kernel image, as offsets from _text
	modules *symtab // text symbols of modules, named "fn [module]"
	// complete: the "end" line was seen.
	complete bool
}

// parseKallsyms reads, from a Linux guest's console, the kallsyms lines
// netinit printed ("ADDR TYPE NAME" or "ADDR TYPE NAME\t[MODULE]"). Lines
// a kernel message broke are skipped.
func parseKallsyms(console string) (*kallsyms, error) {
	type sym struct {
		addr uint64
		name string
	}
	var core, mods []sym
	ks := &kallsyms{}
	for line := range strings.SplitSeq(console, "\n") {
		_, rest, ok := strings.Cut(line, kallsymsPrefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 1 && f[0] == "end" {
			ks.complete = true
			continue
		}
		if len(f) < 3 || len(f) > 4 || len(f[1]) != 1 {
			continue
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			continue
		}
		switch {
		case len(f) == 3 && f[2] == "_text":
			ks.text = addr
		case len(f) == 3:
			core = append(core, sym{addr, f[2]})
		case len(f) == 4 && strings.HasPrefix(f[3], "["):
			mods = append(mods, sym{addr, f[2] + " " + f[3]})
		}
	}
	if ks.text == 0 {
		return nil, fmt.Errorf("the guest's console has no %q_text line with an address (bench/programs/netinit prints it from /proc/kallsyms)", kallsymsPrefix)
	}
	table := func(syms []sym, base uint64) *symtab {
		slices.SortStableFunc(syms, func(a, b sym) int { return cmp.Compare(a.addr, b.addr) })
		t := &symtab{}
		for _, s := range syms {
			if s.addr >= base {
				t.addrs = append(t.addrs, s.addr-base)
				t.names = append(t.names, s.name)
			}
		}
		return t
	}
	ks.kernel = table(core, ks.text)
	ks.modules = table(mods, 0)
	return ks, nil
}

// moduleGroup groups a module symbol "fn [module]" by its module: the
// benchmark loads only virtio and the failover modules under virtio-net.
func moduleGroup(name string) string {
	i := strings.LastIndexByte(name, '[')
	if i < 0 {
		return linuxGroup(name)
	}
	mod := strings.TrimSuffix(name[i+1:], "]")
	switch {
	case strings.HasPrefix(mod, "virtio"):
		return "linux:virtio"
	case strings.HasSuffix(mod, "failover"):
		return "linux:net"
	}
	return "linux:other"
}

// linuxGroups groups kernel functions into subsystems by name prefix; the
// first rule that matches wins, so the specific rules come first. It is a
// heuristic for comparing like with like, not a map of the kernel: the
// per-function table is exact.
var linuxGroups = []struct {
	group    string
	prefixes []string
	contains []string
}{
	{"idle", []string{"default_idle", "cpuidle", "do_idle", "arch_cpu_idle", "cpu_idle", "cpu_startup_entry",
		"native_safe_halt", "arch_safe_halt", "safe_halt", "mwait_idle", "poll_idle", "acpi_idle", "amd_e400", "play_idle"}, nil},
	{"mitigations", []string{"__x86_indirect", "__x86_return", "srso_", "zen_untrain", "entry_untrain", "retbleed",
		"entry_ibpb", "clear_bhb", "__clear_bhb", "mds_", "x86_return_thunk"}, nil},
	{"syscall entry", []string{"do_syscall", "entry_SYSCALL", "syscall_", "exit_to_user_mode", "x64_sys_call",
		"swapgs_", "fpregs_", "switch_fpu",
		"restore_fpregs", "arch_exit_to_user_mode", "prepare_exit_to_user"}, nil},
	{"epoll", []string{"ep_", "do_epoll", "__ep_", "epoll", "__x64_sys_epoll"}, nil},
	{"futex", []string{"futex", "__futex", "do_futex", "get_futex", "__x64_sys_futex"}, nil},
	{"softirq", []string{"__do_softirq", "do_softirq", "raise_softirq", "__raise_softirq", "__local_bh", "local_bh",
		"run_ksoftirqd", "ksoftirqd", "tasklet", "irq_exit", "__irq_exit", "invoke_softirq"}, nil},
	{"rcu", []string{"rcu_", "__rcu", "call_rcu", "synchronize_rcu", "note_gp", "kfree_rcu", "rcu"}, nil},
	{"time", []string{"hrtimer", "__hrtimer", "tick_", "timekeeping", "ktime_", "clockevents", "lapic_next", "__run_timers",
		"run_timer", "timer_", "__mod_timer", "mod_timer", "add_timer", "del_timer", "__remove_hrtimer", "enqueue_hrtimer",
		"get_nohz", "calc_wheel", "update_wall_time", "update_process_times", "read_tsc", "native_sched_clock",
		"sched_clock", "local_clock", "jiffies", "clocksource", "run_local_timers", "__next_timer", "get_next_timer",
		"can_stop_idle_tick", "forward_timer", "collect_expired", "expire_timers", "call_timer_fn", "timerqueue",
		"__x64_sys_clock", "posix_", "do_nanosleep", "hrtick", "__sysvec_apic_timer", "sysvec_apic_timer",
		"asm_sysvec_apic_timer", "local_apic_timer", "timens_", "getnstimeofday", "do_clock", "ns_to_timespec", "__x64_sys_nanosleep"}, nil},
	{"sched", []string{"schedule", "__schedule", "pick_next", "__pick_next", "pick_", "enqueue_", "dequeue_", "update_curr",
		"update_load", "update_cfs", "__update_load", "try_to_wake_up", "ttwu", "wake_up", "__wake_up", "set_next_entity",
		"put_prev", "check_preempt", "resched", "finish_task_switch", "__switch_to", "switch_mm", "context_switch",
		"sched_", "psi_", "cpuacct", "update_rq", "place_entity", "reweight", "account_", "select_task_rq",
		"select_idle", "activate_task", "deactivate_task", "yield", "prepare_task_switch", "update_min_vruntime",
		"nohz_", "newidle", "load_balance", "rebalance", "idle_cpu", "available_idle_cpu", "wakeup_preempt",
		"__enqueue", "__dequeue", "task_tick", "cgroup_rstat", "__calc_delta", "clear_buddies", "attach_entity",
		"detach_entity", "entity_", "preempt_", "__cond_resched", "_cond_resched", "do_task_dead", "wq_worker",
		"vtime_", "irqtime_", "cpufreq_", "update_blocked", "__update_blocked", "__accumulate", "accumulate_",
		"update_irq_load", "kthread", "worker_thread", "process_one_work", "__queue_work", "queue_work",
		"queue_delayed_work", "__queue_delayed_work", "delayed_work_timer_fn", "insert_work", "wake_q",
		"set_next_task", "balance_", "finish_wait", "prepare_to_wait", "autoremove_wake", "default_wake_function",
		"check_spread", "__cgroup_account", "cgroup_account", "update_stats", "__update_stats"}, nil},
	{"copy", []string{"copy_user", "_copy_", "__copy_", "copy_from", "copy_to", "rep_movs", "memcpy", "__memcpy",
		"memmove", "__memmove", "memset", "__memset", "clear_user", "__clear_user", "copyout", "copyin", "iov_iter",
		"import_single_range", "import_iovec", "__import_iovec", "strncpy_from_user", "__get_user", "__put_user",
		"simple_copy_to_iter", "__check_object_size", "check_object_size", "check_heap_object", "__virt_addr_valid",
		"copy_page", "memcmp", "__memcmp"}, nil},
	{"locking", []string{"_raw_spin", "__raw_spin", "raw_spin", "spin_", "mutex_", "__mutex", "down_", "up_",
		"_raw_read", "_raw_write", "queued_spin", "native_queued", "__pv_queued", "rwsem", "__rwsem", "__up_",
		"__down_", "osq_", "_atomic_dec_and_lock", "rt_mutex"}, nil},
	{"security", []string{"security_", "apparmor", "aa_", "selinux", "bpf_lsm", "cap_", "__cgroup_bpf",
		"cgroup_bpf", "__bpf_prog", "bpf_prog"}, nil},
	{"net", []string{"tcp", "__tcp", "inet", "__inet", "ip_", "__ip_", "ipv4", "ipv6", "ip6", "udp", "__udp", "sock_",
		"__sock", "sk_", "__sk_", "skb_", "__skb", "kfree_skb", "consume_skb", "alloc_skb", "__alloc_skb", "build_skb",
		"__build_skb", "napi_", "__napi", "netif_", "__netif", "dev_", "__dev_", "net_", "__net", "neigh", "__neigh",
		"eth_", "arp_", "raw_", "fib_", "__fib", "dst_", "__dst", "sch_", "__qdisc", "qdisc", "pfifo",
		"validate_xmit", "csum", "__sys_", "sockfd", "release_sock", "lock_sock", "__release_sock", "move_addr",
		"gro_", "dev_gro", "__dev_gro", "inet6", "bpf_", "nf_", "netdev", "__netdev", "rps_", "packet_",
		"secure_tcp", "siphash", "sock", "tcp4", "__inet_lookup", "flow_", "rt_", "ip4_", "__zerocopy",
		"page_pool", "__page_pool", "netpoll", "pskb", "__pskb", "tso_", "eth", "xdp", "ipt_", "icmp", "__icmp",
		"minmax_running", "tcp_", "bictcp", "cubictcp", "__cubictcp", "hystart", "__sys_sendto",
		"__sys_recvfrom", "__x64_sys_sendto", "__x64_sys_recvfrom", "__x64_sys_accept", "__x64_sys_setsockopt",
		"__x64_sys_getsockopt", "__kfree_skb", "skb", "net"}, nil},
	{"memory", []string{"kmem_cache", "__kmem_cache", "kmalloc", "__kmalloc", "kfree", "__kfree", "slab", "__slab",
		"___slab", "page_", "__page", "alloc_pages", "__alloc_pages", "get_page_from_freelist", "free_unref",
		"__free_pages", "free_pages", "rmqueue", "__rmqueue", "memcg", "__memcg", "mem_cgroup", "__mem_cgroup",
		"obj_cgroup", "refill_obj", "mod_memcg", "folio", "__folio", "handle_mm_fault", "__handle_mm_fault",
		"do_anonymous_page", "exc_page_fault", "asm_exc_page_fault", "do_user_addr_fault", "vma_", "lock_vma",
		"mmap", "do_mmap", "vm_", "__vm_", "pte_", "pmd_", "clear_page", "zap_", "unmap_", "lru_", "__lru",
		"mod_node_page_state", "__mod_node", "__mod_lruvec", "mod_lruvec", "__mod_memcg", "kvfree", "kvmalloc",
		"vmalloc", "__vmalloc", "madvise", "do_madvise", "tlb_", "flush_tlb", "native_flush_tlb", "mmput",
		"__get_free_pages", "get_obj_cgroup", "drain_obj", "consume_obj", "__put_page", "put_page",
		"free_compound", "__free_one_page", "free_one_page", "__do_kmalloc", "__ksize", "ksize", "kmalloc_",
		"__kmalloc_", "kmem_", "alloc_", "get_partial", "__put_partials", "deactivate_slab", "allocate_slab",
		"new_slab", "discard_slab", "setup_object", "shuffle_freelist", "__mod_zone", "mod_zone", "zone_",
		"__zone", "should_fail", "fs_reclaim", "__count_memcg", "count_memcg", "memory_", "percpu_counter"}, nil},
	{"vfs", []string{"vfs_", "__vfs", "ksys_", "fput", "__fput", "fget", "__fget", "fdget", "__fdget", "fd_install",
		"__fd_install", "rw_verify_area", "fsnotify", "__fsnotify", "file_", "do_readv",
		"do_writev", "new_sync", "do_iter", "touch_atime", "inode_", "dput", "path_", "__f_unlock_pos",
		"__fdget_pos", "f_unlock", "anon_inode", "eventfd", "pipe_", "__x64_sys_read", "__x64_sys_write"}, nil},
	{"irq", []string{"common_interrupt", "asm_common_interrupt", "handle_", "__handle", "__sysvec", "sysvec_",
		"asm_sysvec", "msi_", "ack_", "x2apic", "native_apic", "apic_", "generic_handle", "note_interrupt",
		"add_interrupt_randomness", "irqentry_", "__irqentry", "native_irq", "error_entry", "error_return",
		"restore_regs_and_return", "paranoid_", "__common_interrupt", "vp_interrupt", "vp_vring"},
		[]string{"irq", "apic", "interrupt"}},
	{"random", []string{"get_random", "_get_random", "crng", "__get_random", "chacha", "add_device_randomness",
		"mix_pool", "_mix_pool", "blake2s", "__blake2s", "fast_mix", "credit_init"}, nil},
	{"syscall entry", []string{"__x64_sys_", "__ia32_sys_", "__do_sys_", "__se_sys_"}, nil},
}

// linuxGroup returns the subsystem group of a kernel function, such as
// "linux:net", by the rules of linuxGroups; "linux:other" when none
// matches.
func linuxGroup(name string) string {
	// Compiler clones keep their base name: tcp_ack.isra.0, foo.cold.
	base, _, _ := strings.Cut(name, ".")
	for _, g := range linuxGroups {
		for _, p := range g.prefixes {
			if strings.HasPrefix(base, p) {
				return "linux:" + g.group
			}
		}
		for _, c := range g.contains {
			if strings.Contains(base, c) {
				return "linux:" + g.group
			}
		}
	}
	return "linux:other"
}
