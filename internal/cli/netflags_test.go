package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestNetFlags(t *testing.T) {
	tests := []struct {
		name  string
		f     netFlags
		kargs []string
		mode  string // "" for no device
		err   string // substring of the error
	}{
		{name: "user", f: netFlags{mode: "user", publish: multiFlag{"8080:80"}},
			kargs: []string{"unigo.net.ip=10.0.2.15/24", "unigo.net.gw=10.0.2.2", "unigo.net.dns=10.0.2.3"}, mode: "user"},
		{name: "user dns", f: netFlags{mode: "user", dns: multiFlag{"1.1.1.1"}},
			kargs: []string{"unigo.net.ip=10.0.2.15/24", "unigo.net.gw=10.0.2.2", "unigo.net.dns=1.1.1.1"}, mode: "user"},
		{name: "user dhcp", f: netFlags{mode: "user", ip: "dhcp"}, kargs: []string{"unigo.net.dhcp=1"}, mode: "user"},
		{name: "tap static", f: netFlags{mode: "tap:lo", ip: "10.0.0.2/24", gw: "10.0.0.1"},
			kargs: []string{"unigo.net.ip=10.0.0.2/24", "unigo.net.gw=10.0.0.1"}, mode: "tap"},
		{name: "tap dhcp", f: netFlags{mode: "tap:lo"}, kargs: []string{"unigo.net.dhcp=1"}, mode: "tap"},
		{name: "none", f: netFlags{mode: "none"}},
		{name: "none with -p", f: netFlags{mode: "none", publish: multiFlag{"80"}}, err: "--net none"},
		{name: "user with --ip", f: netFlags{mode: "user", ip: "10.0.0.2/24"}, err: "apply to --net tap"},
		{name: "bad -p", f: netFlags{mode: "user", publish: multiFlag{"80:99999"}}, err: "-p 80:99999"},
		{name: "bad mode", f: netFlags{mode: "bridge"}, err: "want user, tap:NAME or none"},
		{name: "missing tap", f: netFlags{mode: "tap:unigo-nosuch0", ip: "10.0.0.2/24"}, err: "ip tuntap add unigo-nosuch0"},
		{name: "tap with -p", f: netFlags{mode: "tap:lo", ip: "10.0.0.2/24", publish: multiFlag{"80"}}, err: "-p works with user networking only"},
		{name: "ip without prefix", f: netFlags{mode: "tap:lo", ip: "10.0.0.2"}, err: "add the prefix length"},
		{name: "ip garbage", f: netFlags{mode: "tap:lo", ip: "ten.0.0.2/24"}, err: "want ADDR/PREFIX"},
		{name: "ip network address", f: netFlags{mode: "tap:lo", ip: "10.0.0.0/24"}, err: "network's own or broadcast"},
		{name: "ip broadcast", f: netFlags{mode: "tap:lo", ip: "10.0.0.255/24"}, err: "network's own or broadcast"},
		{name: "ip multicast", f: netFlags{mode: "tap:lo", ip: "224.0.0.1/4"}, err: "not a usable host address"},
		{name: "gw outside", f: netFlags{mode: "tap:lo", ip: "10.0.0.2/24", gw: "10.1.0.1"}, err: "not another address"},
		{name: "gw family", f: netFlags{mode: "tap:lo", ip: "10.0.0.2/24", gw: "fd00::1"}, err: "different address families"},
		{name: "gw with dhcp", f: netFlags{mode: "tap:lo", gw: "10.0.0.1"}, err: "needs --ip"},
		{name: "bad dns", f: netFlags{mode: "user", dns: multiFlag{"resolver"}}, err: "--dns resolver"},
		{name: "bad mac", f: netFlags{mode: "user", mac: "01:00:5e:00:00:01"}, err: "multicast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nd, kargs, err := tt.f.resolve("unused.img")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("resolve: err %v; want one containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is not one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if (nd == nil) != (tt.mode == "") || nd != nil && nd.Mode != tt.mode {
				t.Errorf("device %+v; want mode %q", nd, tt.mode)
			}
			if !slices.Equal(kargs, tt.kargs) {
				t.Errorf("kernel args %q; want %q", kargs, tt.kargs)
			}
			if nd != nil && !strings.HasPrefix(nd.MAC, "52:54:00:") {
				t.Errorf("MAC %q; want a 52:54:00 address", nd.MAC)
			}
		})
	}
}
