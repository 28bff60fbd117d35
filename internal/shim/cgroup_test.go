package shim

import (
	"maps"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCgroupPath(t *testing.T) {
	tests := []struct {
		path, want string
		err        bool
	}{
		{"", "", false},
		{"/k8s.io/abc", "/k8s.io/abc", false},
		{"/default//x/", "/default/x", false},
		{"kubepods.slice:cri-containerd:abc", "", true},
		{"relative/x", "", true},
		{"/", "", true},
	}
	for _, tt := range tests {
		got, err := cgroupPath(&specs.Spec{Linux: &specs.Linux{CgroupsPath: tt.path}})
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("cgroupPath(%q) = %q, %v; want %q, error %v", tt.path, got, err, tt.want, tt.err)
		}
	}
}

func TestCgroupFiles(t *testing.T) {
	quota, period, shares := int64(50000), uint64(100000), uint64(1024)
	r := &specs.LinuxResources{
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &shares},
		Pids:   &specs.LinuxPids{Limit: 100},
		Memory: &specs.LinuxMemory{},
	}
	v1 := map[string]string{"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000", "cpu/cpu.shares": "1024", "pids/pids.max": "100"}
	v2 := map[string]string{"cpu.max": "50000 100000", "cpu.weight": "39", "pids.max": "100"}
	if got := cgroupFiles(r, false); !maps.Equal(got, v1) {
		t.Errorf("cgroupFiles(v1) = %v; want %v", got, v1)
	}
	if got := cgroupFiles(r, true); !maps.Equal(got, v2) {
		t.Errorf("cgroupFiles(v2) = %v; want %v", got, v2)
	}
	if got := cgroupFiles(nil, true); len(got) != 0 {
		t.Errorf("cgroupFiles(nil) = %v; want none", got)
	}
}
