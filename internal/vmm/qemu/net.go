package qemu

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Net is the guest's network device (virtio-net) and its backend.
type Net struct {
	// Mode is "user" (QEMU's user-mode networking, slirp: the guest reaches
	// the host's networks through NAT and gets Forwards) or "tap" (a host
	// tap device named Tap, e.g. enslaved to a bridge).
	Mode     string
	Tap      string
	MAC      string // 52:54:00:xx:xx:xx; empty means QEMU's default
	Forwards []Forward
}

// Forward is a host port forwarded into the guest (user networking).
type Forward struct {
	Proto     string // "tcp" or "udp"
	HostAddr  string // "" for every host address
	HostPort  int
	GuestPort int
}

// User networking's fixed addresses (QEMU's slirp defaults).
const (
	UserGuestIP = "10.0.2.15/24"
	UserGateway = "10.0.2.2"
	UserDNS     = "10.0.2.3"
)

// ParseForward parses a port publication as docker writes it:
// [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp], or PORT for the same port on
// both sides.
func ParseForward(s string) (Forward, error) {
	f := Forward{Proto: "tcp"}
	spec := s
	if i := strings.LastIndex(spec, "/"); i >= 0 {
		f.Proto = strings.ToLower(spec[i+1:])
		spec = spec[:i]
		if f.Proto != "tcp" && f.Proto != "udp" {
			return f, fmt.Errorf("-p %s: protocol %q: want tcp or udp", s, f.Proto)
		}
	}
	var host, hostPort, guestPort string
	switch parts := strings.Split(spec, ":"); {
	case len(parts) == 1:
		hostPort, guestPort = parts[0], parts[0]
	case len(parts) == 2:
		hostPort, guestPort = parts[0], parts[1]
	case len(parts) == 3:
		host, hostPort, guestPort = parts[0], parts[1], parts[2]
	default:
		// [::1]:8080:80
		i := strings.LastIndex(spec, "]:")
		if !strings.HasPrefix(spec, "[") || i < 0 {
			return f, fmt.Errorf("-p %s: want [HOSTADDR:]HOSTPORT:GUESTPORT[/udp], e.g. -p 8080:80", s)
		}
		host = spec[1:i]
		rest := strings.Split(spec[i+2:], ":")
		if len(rest) != 2 {
			return f, fmt.Errorf("-p %s: want [HOSTADDR:]HOSTPORT:GUESTPORT[/udp], e.g. -p 8080:80", s)
		}
		hostPort, guestPort = rest[0], rest[1]
	}
	if host != "" {
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
			return f, fmt.Errorf("-p %s: host address %q is not an IP address", s, host)
		}
		f.HostAddr = strings.Trim(host, "[]")
	}
	var err error
	if f.HostPort, err = port(hostPort); err != nil {
		return f, fmt.Errorf("-p %s: host port: %v", s, err)
	}
	if f.GuestPort, err = port(guestPort); err != nil {
		return f, fmt.Errorf("-p %s: guest port: %v", s, err)
	}
	return f, nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}

// String writes the forward in ParseForward's syntax.
func (f Forward) String() string {
	s := strconv.Itoa(f.HostPort) + ":" + strconv.Itoa(f.GuestPort) + "/" + f.Proto
	if f.HostAddr != "" {
		h := f.HostAddr
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		s = h + ":" + s
	}
	return s
}

// RandomMAC returns a locally administered unicast address in QEMU's
// 52:54:00 range, so that several guests on one bridge differ.
func RandomMAC() string {
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2])
}

// CheckMAC validates a MAC address for the guest.
func CheckMAC(s string) error {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return fmt.Errorf("--mac %s: want six hex bytes like 52:54:00:12:34:56", s)
	}
	if hw[0]&1 != 0 {
		return fmt.Errorf("--mac %s: a multicast address cannot be a NIC's address; use e.g. 52:54:00:12:34:56", s)
	}
	return nil
}

// netArgs returns the QEMU arguments for the network device.
func (c Config) netArgs() ([]string, error) {
	n := c.Net
	var backend string
	switch n.Mode {
	case "user":
		backend = "user,id=net0"
		for _, f := range n.Forwards {
			backend += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", f.Proto, f.HostAddr, f.HostPort, f.GuestPort)
		}
	case "tap":
		if n.Tap == "" || strings.ContainsAny(n.Tap, ",= ") {
			return nil, fmt.Errorf("--net tap:%s: want a tap device name", n.Tap)
		}
		if len(n.Forwards) > 0 {
			return nil, fmt.Errorf("-p works with user networking only; with --net tap the guest has its own address on the tap's network")
		}
		backend = "tap,id=net0,ifname=" + n.Tap + ",script=no,downscript=no"
	default:
		return nil, fmt.Errorf("unknown network mode %q (want user or tap:NAME)", n.Mode)
	}
	dev := "virtio-net-pci,netdev=net0,disable-legacy=on,romfile="
	var args []string
	if c.Machine == "" || c.Machine == "microvm" {
		dev = "virtio-net-device,netdev=net0"
		if c.Disk == "" { // the disk already set it
			args = append(args, "-global", "virtio-mmio.force-legacy=false")
		}
	}
	if n.MAC != "" {
		dev += ",mac=" + n.MAC
	}
	return append(args, "-netdev", backend, "-device", dev), nil
}
