package shim

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestIsUnigo(t *testing.T) {
	tests := []struct {
		name string
		spec *specs.Spec
		want bool
	}{
		{"unigo image", &specs.Spec{Process: &specs.Process{Args: []string{"/unigo/kernel.img", "-addr", ":80"}}}, true},
		{"unclean path", &specs.Spec{Process: &specs.Process{Args: []string{"//unigo/./kernel.img"}}}, true},
		{"plain image", &specs.Spec{Process: &specs.Process{Args: []string{"/bin/sh"}}}, false},
		{"no process", &specs.Spec{}, false},
		{"no args", &specs.Spec{Process: &specs.Process{}}, false},
		{"sandbox", &specs.Spec{Process: &specs.Process{Args: []string{"/unigo/kernel.img"}},
			Annotations: map[string]string{annotationContainerType: "sandbox"}}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := IsUnigo(tt.spec); got != tt.want {
			t.Errorf("IsUnigo(%s) = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestGuestOf(t *testing.T) {
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("search x\nnameserver 10.0.0.10\nnameserver bogus\nnameserver 1.1.1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	limit := int64(256 << 20)
	s := &specs.Spec{
		Process:     &specs.Process{Args: []string{"/unigo/kernel.img", "a", "b"}, Env: []string{"A=1"}, Cwd: "/"},
		Annotations: map[string]string{annotationContainerName: "web"},
		Linux:       &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}},
		Mounts:      []specs.Mount{{Destination: "/etc/resolv.conf", Source: resolv}},
	}
	g, err := guestOf(s, "id1")
	if err != nil {
		t.Fatal(err)
	}
	if g.argv0 != "web" || !slices.Equal(g.args, []string{"a", "b"}) || g.cwd != "" || g.memMiB != 256 || g.machine != "microvm" {
		t.Errorf("guestOf = %+v; want argv0 web, args [a b], cwd \"\", 256 MiB, microvm", g)
	}
	if want := []netip.Addr{netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("1.1.1.1")}; !slices.Equal(g.dns, want) {
		t.Errorf("dns = %v; want %v", g.dns, want)
	}
	s.Annotations[AnnotationMemory] = "64M"
	if g, err := guestOf(s, "id1"); err != nil || g.memMiB != 64 {
		t.Errorf("with %s=64M: %+v, %v; want 64 MiB", AnnotationMemory, g, err)
	}
	s.Annotations[AnnotationMemory] = "lots"
	if _, err := guestOf(s, "id1"); err == nil {
		t.Errorf("with %s=lots: no error", AnnotationMemory)
	}
}

func TestTapName(t *testing.T) {
	for _, id := range []string{"a", "0123456789abcdef0123456789abcdef"} {
		if n := tapName(id); len(n) > 15 || n[:3] != "tap" {
			t.Errorf("tapName(%q) = %q; want tap… within 15 bytes", id, n)
		}
	}
}
