package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// podNet is a pod network namespace's interface shared by the pod's
// unikernels: each guest's virtio-net sits on its own tap in the
// namespace, every guest takes the pod's address and the interface's MAC
// (eth0, the CNI plugin's veth), and tc filters steer the frames (as
// kata-containers and urunc redirect them, but for several guests; see
// docs/adr/0009):
//
//   - each tap's ingress is redirected to eth0 (the guest's egress);
//   - on eth0's ingress, ARP is copied to every tap (each guest resolves
//     its gateway; they answer with the same MAC), TCP and UDP to a
//     guest's declared ports go to its tap, and so do those to its
//     ephemeral port range (unigo.net.ports, disjoint per guest: the
//     replies to its own connections); everything else goes to the
//     pod's first guest (the catch-all).
//
// Several shim processes share a pod: the pod's state (its guests, their
// slots and ports) is a file under [podStateDir] guarded by a lock file.
type podNet struct {
	NS    string       // the namespace's path, e.g. /var/run/netns/cni-…
	Key   string       // the namespace's identity: its state file's name
	Dev   string       // the interface with the default route (eth0)
	Tap   string       // the guest's tap
	Addr  netip.Prefix // the pod's address
	GW    netip.Addr   // the default gateway
	MAC   string       // the interface's MAC, which the guest takes
	MTU   int
	Slot  int    // the guest's index in the pod: its port range and tc priorities
	Range bool   // the guest's kernel takes unigo.net.ports
	Ports []port `json:"ports,omitempty"`
	First bool   `json:"-"` // the pod's catch-all when it joined
}

// port is a TCP or UDP port a guest serves.
type port struct {
	Num   uint16 `json:"num"`
	Proto string `json:"proto"` // tcp or udp
}

func (p port) String() string { return fmt.Sprintf("%d/%s", p.Num, p.Proto) }

// parsePorts parses a list of ports like "8080, 53/udp 9000/tcp" (comma
// or space separated, TCP unless /udp is given), as the OCI config's
// ExposedPorts and the dev.unigo.ports annotation write them.
func parsePorts(s string) ([]port, error) {
	var out []port
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		num, proto, _ := strings.Cut(f, "/")
		switch proto = strings.ToLower(proto); proto {
		case "":
			proto = "tcp"
		case "tcp", "udp":
		default:
			return nil, fmt.Errorf("port %q: only tcp and udp ports can be steered to a guest", f)
		}
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("port %q: want a number from 1 to 65535, optionally with /tcp or /udp", f)
		}
		p := port{uint16(n), proto}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// The ephemeral port ranges of a pod's guests: slot k gets
// [ephemeralBase + k*ephemeralSize, +ephemeralSize). Each range is
// aligned to its power-of-two size, so that one u32 match (value and
// mask) covers it.
const (
	ephemeralBase = 32768
	ephemeralSize = 2048
	maxPodGuests  = 16 // up to 65535
)

// portRange returns the ephemeral port range of slot.
func portRange(slot int) (lo, hi int) {
	lo = ephemeralBase + slot*ephemeralSize
	return lo, lo + ephemeralSize - 1
}

// tc priorities of the filters on eth0's ingress (lower runs first).
const (
	prioARP      = 1
	prioPorts    = 100 // + slot: a guest's declared ports
	prioRange    = 200 // + slot: a guest's ephemeral range
	prioCatchAll = 65000
)

// podState is a pod's record of its guests, in the order they joined:
// the first is the catch-all.
type podState struct {
	Dev     string   `json:"dev"`
	Members []member `json:"members"`
}

type member struct {
	ID    string `json:"id"`
	Tap   string `json:"tap"`
	Slot  int    `json:"slot"`
	Range bool   `json:"range"`
	Ports []port `json:"ports,omitempty"`
}

// podStateDir holds the pods' state and lock files.
var podStateDir = "/run/unigo-shim-pods"

// errPodNetTaken says the pod's interface is used in a way this shim does
// not manage (another tool, or an older shim, redirects it).
var errPodNetTaken = errors.New("the pod's network interface already has an ingress qdisc this shim did not make")

// nsRun runs a command in the network namespace ns (nsenter --net).
func nsRun(ns string, args ...string) ([]byte, error) {
	cmd := exec.Command("nsenter", append([]string{"--net=" + ns, "--"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// tapName returns the tap of container id: unique in its pod's namespace
// and within IFNAMSIZ.
func tapName(id string) string {
	if len(id) > 11 {
		id = id[:11]
	}
	return "tap" + id
}

// nsKey names the namespace at path by its device and inode, which stay
// the same whichever path the namespace is reached by.
func nsKey(path string) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("netns-%d-%d", st.Dev, st.Ino), nil
}

// lockPod takes the pod's lock; the returned function releases it. The
// last guest of a pod removes the lock file, so a lock taken on a file
// that has since been unlinked is retried on the new one.
func lockPod(key string) (func(), error) {
	if err := os.MkdirAll(podStateDir, 0o700); err != nil {
		return nil, err
	}
	name := filepath.Join(podStateDir, key+".lock")
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
		var held, now syscall.Stat_t
		if syscall.Fstat(int(f.Fd()), &held) == nil && syscall.Stat(name, &now) == nil && held.Ino == now.Ino {
			return func() { f.Close() }, nil
		}
		f.Close()
	}
}

func loadPodState(key string) (*podState, error) {
	b, err := os.ReadFile(filepath.Join(podStateDir, key+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st podState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(podStateDir, key+".json"), err)
	}
	return &st, nil
}

func (st *podState) save(key string) error {
	return writeJSON(filepath.Join(podStateDir, key+".json"), st)
}

func removePodState(key string) {
	os.Remove(filepath.Join(podStateDir, key+".json"))
	os.Remove(filepath.Join(podStateDir, key+".lock"))
}

// memberFilters returns the tc commands that steer m's traffic on dev's
// ingress to m's tap: its declared ports, then its ephemeral range. They
// are u32 filters (cls_flower is not in every kernel): a port is matched
// at the transport header behind a 20-byte IPv4 header, and a range is a
// value under a mask, which is why the ranges are aligned powers of two.
func memberFilters(dev string, m member) [][]string {
	var cmds [][]string
	add := func(prio int, proto string, value, mask int) {
		cmds = append(cmds, []string{"tc", "filter", "add", "dev", dev, "parent", "ffff:", "prio", strconv.Itoa(prio),
			"protocol", "ip", "u32", "match", "ip", "protocol", ipProto[proto], "0xff",
			"match", "ip", "dport", strconv.Itoa(value), fmt.Sprintf("%#x", mask),
			"action", "mirred", "egress", "redirect", "dev", m.Tap})
	}
	for _, p := range m.Ports {
		add(prioPorts+m.Slot, p.Proto, int(p.Num), 0xffff)
	}
	if m.Range {
		lo, _ := portRange(m.Slot)
		for _, proto := range []string{"tcp", "udp"} {
			add(prioRange+m.Slot, proto, lo, 0xffff&^(ephemeralSize-1))
		}
	}
	return cmds
}

// ipProto are the IP protocol numbers of the ports' protocols.
var ipProto = map[string]string{"tcp": "6", "udp": "17"}

// sharedFilters returns the tc commands that (re)make the filters shared
// by the pod's guests: ARP to every tap, the rest to the first guest.
func sharedFilters(dev string, ms []member) [][]string {
	del := func(prio int) []string {
		return []string{"-", "tc", "filter", "del", "dev", dev, "parent", "ffff:", "prio", strconv.Itoa(prio)}
	}
	cmds := [][]string{del(prioARP), del(prioCatchAll)}
	if len(ms) == 0 {
		return cmds
	}
	arp := []string{"tc", "filter", "add", "dev", dev, "parent", "ffff:", "prio", strconv.Itoa(prioARP), "protocol", "arp", "u32", "match", "u32", "0", "0"}
	for i, m := range ms {
		how := "mirror"
		if i == len(ms)-1 {
			how = "redirect"
		}
		arp = append(arp, "action", "mirred", "egress", how, "dev", m.Tap)
	}
	return append(cmds, arp,
		[]string{"tc", "filter", "add", "dev", dev, "parent", "ffff:", "prio", strconv.Itoa(prioCatchAll), "protocol", "all",
			"u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ms[0].Tap})
}

// runAll runs cmds in ns; a command starting with "-" may fail.
func runAll(ns string, cmds [][]string) error {
	for _, c := range cmds {
		if c[0] == "-" {
			nsRun(ns, c[1:]...)
			continue
		}
		if _, err := nsRun(ns, c...); err != nil {
			return err
		}
	}
	return nil
}

// setupPodNet creates the tap of container id in namespace ns and steers
// its share of the pod's traffic to it: ports are the ports it serves,
// withRange whether its kernel takes unigo.net.ports.
func setupPodNet(ns, id string, ports []port, withRange bool) (*podNet, error) {
	var routes []struct {
		Dst     string `json:"dst"`
		Gateway string `json:"gateway"`
		Dev     string `json:"dev"`
	}
	out, err := nsRun(ns, "ip", "-j", "-4", "route", "show", "default")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, &routes); err != nil || len(routes) == 0 || routes[0].Dev == "" {
		return nil, fmt.Errorf("network namespace %s has no IPv4 default route (is a CNI network configured?)", ns)
	}
	p := &podNet{NS: ns, Dev: routes[0].Dev, Tap: tapName(id), Ports: ports, Range: withRange}
	if p.GW, err = netip.ParseAddr(routes[0].Gateway); err != nil {
		return nil, fmt.Errorf("network namespace %s: default route via %q: %v", ns, routes[0].Gateway, err)
	}
	var links []struct {
		MTU      int    `json:"mtu"`
		Address  string `json:"address"`
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if out, err = nsRun(ns, "ip", "-j", "addr", "show", "dev", p.Dev); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return nil, fmt.Errorf("network namespace %s: reading %s: %v", ns, p.Dev, err)
	}
	p.MAC, p.MTU = links[0].Address, links[0].MTU
	for _, a := range links[0].AddrInfo {
		if a.Family != "inet" {
			continue
		}
		ip, err := netip.ParseAddr(a.Local)
		if err == nil {
			p.Addr = netip.PrefixFrom(ip, a.PrefixLen)
			break
		}
	}
	if !p.Addr.IsValid() {
		return nil, fmt.Errorf("network namespace %s: %s has no IPv4 address", ns, p.Dev)
	}
	if p.Key, err = nsKey(ns); err != nil {
		return nil, fmt.Errorf("network namespace %s: %v", ns, err)
	}
	unlock, err := lockPod(p.Key)
	if err != nil {
		return nil, fmt.Errorf("locking the pod's network state: %v", err)
	}
	defer unlock()
	st, err := loadPodState(p.Key)
	if err != nil {
		return nil, err
	}
	// A fresh ingress qdisc means no guest of this pod is on the
	// interface: whatever state was recorded is stale (a namespace
	// reusing a dead one's inode).
	fresh := false
	if _, err := nsRun(ns, "tc", "qdisc", "add", "dev", p.Dev, "ingress"); err == nil {
		fresh, st = true, &podState{Dev: p.Dev}
	} else if st == nil || st.Dev != p.Dev {
		return nil, errPodNetTaken
	}
	st.prune(ns)
	if err := st.admit(p); err != nil {
		if fresh {
			nsRun(ns, "tc", "qdisc", "del", "dev", p.Dev, "ingress")
		}
		return nil, err
	}
	m := member{ID: id, Tap: p.Tap, Slot: p.Slot, Range: p.Range, Ports: p.Ports}
	steps := [][]string{
		{"ip", "tuntap", "add", "dev", p.Tap, "mode", "tap"},
		{"ip", "link", "set", "dev", p.Tap, "mtu", fmt.Sprint(p.MTU), "up"},
		{"tc", "qdisc", "add", "dev", p.Tap, "ingress"},
		{"tc", "filter", "add", "dev", p.Tap, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
			"action", "mirred", "egress", "redirect", "dev", p.Dev},
	}
	steps = append(steps, memberFilters(p.Dev, m)...)
	steps = append(steps, sharedFilters(p.Dev, append(slices.Clone(st.Members), m))...)
	if err := runAll(ns, steps); err != nil {
		p.leave(st)
		return nil, fmt.Errorf("network namespace %s: %v", ns, err)
	}
	p.First = len(st.Members) == 0
	st.Members = append(st.Members, m)
	if err := st.save(p.Key); err != nil {
		p.leave(st)
		return nil, err
	}
	return p, nil
}

// prune forgets the guests whose tap is gone (their shim died without
// cleaning up, and the namespace's taps went with their QEMU... or were
// deleted by hand), removing their filters.
func (st *podState) prune(ns string) {
	kept := st.Members[:0]
	for _, m := range st.Members {
		if _, err := nsRun(ns, "ip", "link", "show", "dev", m.Tap); err == nil {
			kept = append(kept, m)
			continue
		}
		nsRun(ns, "tc", "filter", "del", "dev", st.Dev, "parent", "ffff:", "prio", strconv.Itoa(prioPorts+m.Slot))
		nsRun(ns, "tc", "filter", "del", "dev", st.Dev, "parent", "ffff:", "prio", strconv.Itoa(prioRange+m.Slot))
	}
	st.Members = kept
}

// admit gives p a free slot, after checking that no other guest of the
// pod serves one of its ports and that its kernel can share the pod.
func (st *podState) admit(p *podNet) error {
	for _, m := range st.Members {
		for _, q := range p.Ports {
			if slices.Contains(m.Ports, q) {
				return fmt.Errorf("port %s is already served by container %s of this pod: give each unikernel of a pod its own ports (image ExposedPorts or the annotation %s)", q, m.ID, AnnotationPorts)
			}
		}
	}
	if !p.Range && len(st.Members) > 0 {
		return fmt.Errorf("the image's kernel predates unigo.net.ports, which a second unikernel in a pod needs: rebuild the image with a current unigo")
	}
	for p.Slot = 0; p.Slot < maxPodGuests; p.Slot++ {
		if !slices.ContainsFunc(st.Members, func(m member) bool { return m.Slot == p.Slot }) {
			return nil
		}
	}
	return fmt.Errorf("the pod already has %d unikernel containers with a network, the most it can have", maxPodGuests)
}

// teardown removes the guest from its pod: its tap and filters; the next
// guest becomes the catch-all, and the last one removes the ingress
// qdisc. Errors are ignored (the namespace may be gone with its pod).
func (p *podNet) teardown() {
	if p.Key == "" { // recorded by a shim from before pods were shared
		nsRun(p.NS, "ip", "link", "del", "dev", p.Tap)
		nsRun(p.NS, "tc", "qdisc", "del", "dev", p.Dev, "ingress")
		return
	}
	unlock, err := lockPod(p.Key)
	if err != nil {
		return
	}
	defer unlock()
	st, _ := loadPodState(p.Key)
	if st == nil {
		st = &podState{Dev: p.Dev}
	}
	p.leave(st)
}

// leave removes p's tap and filters, and its entry in st; with the pod
// lock held.
func (p *podNet) leave(st *podState) {
	st.Members = slices.DeleteFunc(st.Members, func(m member) bool { return m.Tap == p.Tap })
	nsRun(p.NS, "ip", "link", "del", "dev", p.Tap)
	if _, err := os.Stat(p.NS); err != nil || len(st.Members) == 0 {
		nsRun(p.NS, "tc", "qdisc", "del", "dev", p.Dev, "ingress")
		removePodState(p.Key)
		return
	}
	nsRun(p.NS, "tc", "filter", "del", "dev", p.Dev, "parent", "ffff:", "prio", strconv.Itoa(prioPorts+p.Slot))
	nsRun(p.NS, "tc", "filter", "del", "dev", p.Dev, "parent", "ffff:", "prio", strconv.Itoa(prioRange+p.Slot))
	runAll(p.NS, sharedFilters(p.Dev, st.Members))
	st.save(p.Key)
}

// kernelArgs are the guest's network parameters.
func (p *podNet) kernelArgs(dns []netip.Addr) []string {
	a := []string{"unigo.net.ip=" + p.Addr.String(), "unigo.net.gw=" + p.GW.String()}
	for _, d := range dns {
		a = append(a, "unigo.net.dns="+d.String())
	}
	if p.Range {
		lo, hi := portRange(p.Slot)
		a = append(a, fmt.Sprintf("unigo.net.ports=%d-%d", lo, hi))
	}
	return a
}
