package cli

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"unigo.dev/unigo/internal/image"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// netFlags are the network flags of run and test.
type netFlags struct {
	publish multiFlag
	mode    string
	ip      string
	gw      string
	dns     multiFlag
	mac     string
}

func (n *netFlags) register(fs *flag.FlagSet) {
	fs.Var(&n.publish, "p", "publish a guest port on the host: `[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]` (repeatable; user networking)")
	fs.Var(&n.publish, "publish", "same as -p")
	fs.StringVar(&n.mode, "net", "", "network: `user` (QEMU user networking, NAT; the default for programs that use package net), tap:NAME (a host tap device) or none")
	fs.StringVar(&n.ip, "ip", "", "the guest's address: `ADDR/PREFIX` (e.g. 10.0.0.2/24, --net tap) or dhcp (the default with --net tap)")
	fs.StringVar(&n.gw, "gw", "", "the guest's default gateway with --net tap (`ADDR`)")
	fs.Var(&n.dns, "dns", "a name server `ADDR` for the guest's /etc/resolv.conf (repeatable)")
	fs.StringVar(&n.mac, "mac", "", "the guest's Ethernet `address` (default: random 52:54:00:xx:xx:xx)")
}

// resolve turns the flags into the QEMU network device (nil for none)
// and the kernel parameters that configure the guest's stack.
func (n *netFlags) resolve(img string) (*qemu.Net, []string, error) {
	mode := n.mode
	if mode == "" {
		switch has, err := image.HasNetStack(img); {
		case err != nil:
			return nil, nil, fmt.Errorf("unigo: %s: %v", filepath.Base(img), err)
		case has || len(n.publish) > 0:
			mode = "user"
		default:
			mode = "none"
		}
	}
	var fwd []qemu.Forward
	for _, p := range n.publish {
		f, err := qemu.ParseForward(p)
		if err != nil {
			return nil, nil, fmt.Errorf("unigo: %v", err)
		}
		fwd = append(fwd, f)
	}
	var dns []netip.Addr
	for _, d := range n.dns {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, nil, fmt.Errorf("unigo: --dns %s: not an IP address", d)
		}
		dns = append(dns, a)
	}
	if mode == "none" {
		if len(fwd) > 0 || n.ip != "" || n.gw != "" || len(dns) > 0 || n.mac != "" {
			return nil, nil, fmt.Errorf("unigo: --net none: -p, --ip, --gw, --dns and --mac need a network (drop --net none)")
		}
		return nil, nil, nil
	}
	mac := n.mac
	if mac == "" {
		mac = qemu.RandomMAC()
	} else if err := qemu.CheckMAC(mac); err != nil {
		return nil, nil, fmt.Errorf("unigo: %v", err)
	}
	var kargs []string
	var nd *qemu.Net
	switch {
	case mode == "user":
		if (n.ip != "" && n.ip != "dhcp") || n.gw != "" {
			return nil, nil, fmt.Errorf("unigo: --ip ADDR and --gw apply to --net tap:NAME; user networking gives the guest %s via %s (or --ip dhcp)", qemu.UserGuestIP, qemu.UserGateway)
		}
		nd = &qemu.Net{Mode: "user", MAC: mac, Forwards: fwd}
		if n.ip == "dhcp" {
			kargs = []string{"unigo.net.dhcp=1"}
			break
		}
		kargs = []string{"unigo.net.ip=" + qemu.UserGuestIP, "unigo.net.gw=" + qemu.UserGateway}
		if len(dns) == 0 {
			dns = []netip.Addr{netip.MustParseAddr(qemu.UserDNS)}
		}
	case strings.HasPrefix(mode, "tap:"):
		tap := strings.TrimPrefix(mode, "tap:")
		if tap == "" || strings.ContainsAny(tap, ",=/ ") || len(tap) > 15 {
			return nil, nil, fmt.Errorf("unigo: --net %s: want tap:NAME with a network interface name", mode)
		}
		if _, err := os.Stat(filepath.Join("/sys/class/net", tap)); err != nil {
			return nil, nil, fmt.Errorf("unigo: --net %s: no network interface %s on this host: create it with 'ip tuntap add %s mode tap' (and attach it to a bridge)", mode, tap, tap)
		}
		if len(fwd) > 0 {
			return nil, nil, fmt.Errorf("unigo: -p works with user networking only: with --net %s the guest is reachable at its --ip", mode)
		}
		nd = &qemu.Net{Mode: "tap", Tap: tap, MAC: mac}
		if n.ip == "" || n.ip == "dhcp" {
			if n.gw != "" {
				return nil, nil, fmt.Errorf("unigo: --gw %s needs --ip ADDR/PREFIX: with DHCP the server names the gateway", n.gw)
			}
			kargs = []string{"unigo.net.dhcp=1"}
			break
		}
		p, err := checkIP(n.ip)
		if err != nil {
			return nil, nil, err
		}
		kargs = []string{"unigo.net.ip=" + p.String()}
		if n.gw != "" {
			gw, err := netip.ParseAddr(n.gw)
			switch {
			case err != nil:
				return nil, nil, fmt.Errorf("unigo: --gw %s: not an IP address", n.gw)
			case gw.Is4() != p.Addr().Is4():
				return nil, nil, fmt.Errorf("unigo: --gw %s and --ip %s: different address families", n.gw, n.ip)
			case !p.Contains(gw) || gw == p.Addr():
				return nil, nil, fmt.Errorf("unigo: --gw %s is not another address in --ip %s's network %s", n.gw, n.ip, p.Masked())
			}
			kargs = append(kargs, "unigo.net.gw="+gw.String())
		}
	default:
		return nil, nil, fmt.Errorf("unigo: --net %s: want user, tap:NAME or none", mode)
	}
	for _, d := range dns {
		kargs = append(kargs, "unigo.net.dns="+d.String())
	}
	return nd, kargs, nil
}

// checkIP validates --ip: a unicast host address with a prefix length.
func checkIP(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if _, aerr := netip.ParseAddr(s); aerr == nil {
			return p, fmt.Errorf("unigo: --ip %s: add the prefix length, e.g. --ip %s/24", s, s)
		}
		return p, fmt.Errorf("unigo: --ip %s: want ADDR/PREFIX, e.g. 10.0.0.2/24", s)
	}
	a := p.Addr()
	switch {
	case a.Zone() != "":
		return p, fmt.Errorf("unigo: --ip %s: no zone allowed", s)
	case a.IsUnspecified(), a.IsLoopback(), a.IsMulticast(), a.IsLinkLocalUnicast() && a.Is4():
		return p, fmt.Errorf("unigo: --ip %s: not a usable host address", s)
	case p.Bits() == 0:
		return p, fmt.Errorf("unigo: --ip %s: a /0 prefix leaves no network", s)
	}
	if a.Is4() && p.Bits() <= 30 {
		m := p.Masked().Addr()
		last := broadcast(p)
		if a == m || a == last {
			return p, fmt.Errorf("unigo: --ip %s: that is the network's own or broadcast address; pick a host address in %s", s, p.Masked())
		}
	}
	return p, nil
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(b)
}
