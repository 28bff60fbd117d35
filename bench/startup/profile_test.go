package startup

import (
	"debug/elf"
	"math"
	"strings"
	"testing"
)

func TestParseProfile(t *testing.T) {
	tests := []struct {
		in      string
		want    tbProfile
		wantErr string
	}{
		{"tb 0x1000 3 10 30\ntb 0x1010 2 5 10\n", tbProfile{0x1000: {10, 30}, 0x1010: {5, 10}}, ""},
		{"", tbProfile{}, ""},
		{"insns 5\n", nil, "not a profile line"},
		{"tb 0xZZ 3 10 30\n", nil, "bad number"},
	}
	for _, tc := range tests {
		got, err := parseProfile(strings.NewReader(tc.in), "p")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseProfile(%q) error = %v; want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseProfile(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for a, c := range tc.want {
			if got[a] != c {
				t.Errorf("parseProfile(%q)[%#x] = %v; want %v", tc.in, a, got[a], c)
			}
		}
	}
}

func TestDiffProfiles(t *testing.T) {
	fn := byte(elf.STT_FUNC)
	syms := newSymtab([]elf.Symbol{
		{Name: "runtime.memmove", Value: 0x1000, Info: fn},
		{Name: "gvisor.dev/gvisor/pkg/buffer.(*Buffer).PullUp", Value: 0x2000, Info: fn},
		{Name: "trapcommon", Value: 0x3000, Info: fn},
		{Name: "data", Value: 0x2800, Info: byte(elf.STT_OBJECT)},
	})
	a := tbProfile{0x1000: {10, 100}, 0x2000: {1, 10}}
	b := tbProfile{0x1000: {30, 300}, 0x1008: {5, 50}, 0x2000: {11, 110}, 0x2900: {1, 40}, 0x3000: {2, 100}}
	got := diffProfiles(a, b, syms, 10)
	want := map[string][2]float64{ // instructions, calls per unit
		"runtime.memmove": {25, 2},
		"gvisor.dev/gvisor/pkg/buffer.(*Buffer).PullUp": {14, 1}, // 0x2900 is still PullUp: objects do not split functions
		"trapcommon": {10, 0.2},
	}
	if len(got) != len(want) {
		t.Fatalf("diffProfiles = %v; want %d functions", got, len(want))
	}
	if got[0].Name != "runtime.memmove" || got[2].Name != "trapcommon" {
		t.Errorf("order = %s, %s, %s; want by instructions", got[0].Name, got[1].Name, got[2].Name)
	}
	for _, c := range got {
		w := want[c.Name]
		if math.Abs(c.Insns-w[0]) > 1e-9 || math.Abs(c.Calls-w[1]) > 1e-9 {
			t.Errorf("%s: insns %v calls %v; want %v %v", c.Name, c.Insns, c.Calls, w[0], w[1])
		}
	}
	if last := got[len(got)-1].Cumul; math.Abs(last-1) > 1e-9 {
		t.Errorf("cumulative share ends at %v; want 1", last)
	}
	pk := byPackage(got)
	if pk[0].Name != "runtime" || math.Abs(pk[0].Insns-25) > 1e-9 {
		t.Errorf("byPackage[0] = %+v; want runtime 25", pk[0])
	}
}

func TestPackageOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"runtime.memmove", "runtime"},
		{"gvisor.dev/gvisor/pkg/buffer.(*Buffer).PullUp", "gvisor.dev/gvisor/pkg/buffer"},
		{"unigo.dev/unigo/kernel/core.vdsoClockGettime.abi0", "unigo.dev/unigo/kernel/core"},
		{"trapcommon", "(asm)"},
		{"slices.pdqsortCmpFunc[go.shape.struct { net/http.key string }]", "slices"},
		{"gvisor.dev/gvisor/pkg/sync.(*Mutex[go.shape.int]).Lock", "gvisor.dev/gvisor/pkg/sync"},
		{"type:.eq.[2]interface {}", "type:"},
	}
	for _, tc := range tests {
		if got := packageOf(tc.in); got != tc.want {
			t.Errorf("packageOf(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestCommas(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"230", "230"}, {"-230", "-230"}, {"1092", "1,092"}, {"-1092", "-1,092"}, {"1234567.5", "1,234,567.5"},
	}
	for _, tc := range tests {
		if got := commas(tc.in); got != tc.want {
			t.Errorf("commas(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
