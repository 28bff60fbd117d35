package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// podNet is a pod network namespace's interface handed to a guest: the
// guest's virtio-net sits on a tap in the namespace, and tc mirred
// redirects move every frame between the tap and the interface (eth0,
// the CNI plugin's veth), so the guest owns the pod's address and the
// interface's MAC, as kata-containers and urunc do (docs/adr/0009).
type podNet struct {
	NS   string       // the namespace's path, e.g. /var/run/netns/cni-…
	Dev  string       // the interface with the default route (eth0)
	Tap  string       // the guest's tap
	Addr netip.Prefix // the pod's address
	GW   netip.Addr   // the default gateway
	MAC  string       // the interface's MAC, which the guest takes
	MTU  int
}

// errPodNetTaken says another unikernel already owns the pod's interface.
var errPodNetTaken = errors.New("another unikernel container of this pod already has the pod's network interface")

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

// setupPodNet creates the tap of container id in namespace ns and
// redirects the namespace's default-route interface to it.
func setupPodNet(ns, id string) (*podNet, error) {
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
	p := &podNet{NS: ns, Dev: routes[0].Dev, Tap: tapName(id)}
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
	// The ingress qdisc is the lock: the first unikernel of the pod gets
	// it, a second one finds it taken.
	if _, err := nsRun(ns, "tc", "qdisc", "add", "dev", p.Dev, "ingress"); err != nil {
		return nil, errPodNetTaken
	}
	steps := [][]string{
		{"ip", "tuntap", "add", "dev", p.Tap, "mode", "tap"},
		{"ip", "link", "set", "dev", p.Tap, "mtu", fmt.Sprint(p.MTU), "up"},
		{"tc", "qdisc", "add", "dev", p.Tap, "ingress"},
		{"tc", "filter", "add", "dev", p.Dev, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
			"action", "mirred", "egress", "redirect", "dev", p.Tap},
		{"tc", "filter", "add", "dev", p.Tap, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
			"action", "mirred", "egress", "redirect", "dev", p.Dev},
	}
	for _, s := range steps {
		if _, err := nsRun(ns, s...); err != nil {
			p.teardown()
			return nil, fmt.Errorf("network namespace %s: %v", ns, err)
		}
	}
	return p, nil
}

// teardown removes the tap and the redirect; errors are ignored (the
// namespace may be gone with its pod).
func (p *podNet) teardown() {
	nsRun(p.NS, "ip", "link", "del", "dev", p.Tap)
	nsRun(p.NS, "tc", "qdisc", "del", "dev", p.Dev, "ingress")
}

// kernelArgs are the guest's network parameters.
func (p *podNet) kernelArgs(dns []netip.Addr) []string {
	a := []string{"unigo.net.ip=" + p.Addr.String(), "unigo.net.gw=" + p.GW.String()}
	for _, d := range dns {
		a = append(a, "unigo.net.dns="+d.String())
	}
	return a
}
