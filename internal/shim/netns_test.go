package shim

import (
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		in   string
		want []port
		err  string
	}{
		{"8080", []port{{8080, "tcp"}}, ""},
		{"8080/tcp, 53/udp 9000/TCP", []port{{8080, "tcp"}, {53, "udp"}, {9000, "tcp"}}, ""},
		{"80,80/tcp", []port{{80, "tcp"}}, ""},
		{"", nil, ""},
		{"0", nil, "from 1 to 65535"},
		{"70000/tcp", nil, "from 1 to 65535"},
		{"http", nil, "from 1 to 65535"},
		{"132/sctp", nil, "only tcp and udp"},
	}
	for _, tt := range tests {
		got, err := parsePorts(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parsePorts(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePorts(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestPortRanges(t *testing.T) {
	prevHi := 0
	for slot := range maxPodGuests {
		lo, hi := portRange(slot)
		if lo <= prevHi || hi < lo || lo < 1024 || hi > 65535 || lo%ephemeralSize != 0 || hi-lo+1 != ephemeralSize || ephemeralSize&(ephemeralSize-1) != 0 {
			t.Fatalf("slot %d: range %d-%d overlaps the previous one (ending %d), leaves 1024-65535 or is not an aligned power of two", slot, lo, hi, prevHi)
		}
		prevHi = hi
	}
}

func TestPodFilters(t *testing.T) {
	a := member{ID: "a", Tap: "tapa", Slot: 0, Range: true, Ports: []port{{8080, "tcp"}}}
	b := member{ID: "b", Tap: "tapb", Slot: 1, Range: true, Ports: []port{{53, "udp"}}}
	join := func(cmds [][]string) string {
		var s []string
		for _, c := range cmds {
			s = append(s, strings.Join(c, " "))
		}
		return strings.Join(s, "\n")
	}
	tests := []struct {
		name string
		got  [][]string
		want string
	}{
		{"member a", memberFilters("eth0", a), `tc filter add dev eth0 parent ffff: prio 100 protocol ip u32 match ip protocol 6 0xff match ip dport 8080 0xffff action mirred egress redirect dev tapa
tc filter add dev eth0 parent ffff: prio 200 protocol ip u32 match ip protocol 6 0xff match ip dport 32768 0xf800 action mirred egress redirect dev tapa
tc filter add dev eth0 parent ffff: prio 200 protocol ip u32 match ip protocol 17 0xff match ip dport 32768 0xf800 action mirred egress redirect dev tapa`},
		{"member b", memberFilters("eth0", b), `tc filter add dev eth0 parent ffff: prio 101 protocol ip u32 match ip protocol 17 0xff match ip dport 53 0xffff action mirred egress redirect dev tapb
tc filter add dev eth0 parent ffff: prio 201 protocol ip u32 match ip protocol 6 0xff match ip dport 34816 0xf800 action mirred egress redirect dev tapb
tc filter add dev eth0 parent ffff: prio 201 protocol ip u32 match ip protocol 17 0xff match ip dport 34816 0xf800 action mirred egress redirect dev tapb`},
		{"member b without range", memberFilters("eth0", member{Tap: "tapb", Slot: 1, Ports: b.Ports}),
			`tc filter add dev eth0 parent ffff: prio 101 protocol ip u32 match ip protocol 17 0xff match ip dport 53 0xffff action mirred egress redirect dev tapb`},
		{"shared, two guests", sharedFilters("eth0", []member{a, b}), `- tc filter del dev eth0 parent ffff: prio 1
- tc filter del dev eth0 parent ffff: prio 65000
tc filter add dev eth0 parent ffff: prio 1 protocol arp u32 match u32 0 0 action mirred egress mirror dev tapa action mirred egress redirect dev tapb
tc filter add dev eth0 parent ffff: prio 65000 protocol all u32 match u32 0 0 action mirred egress redirect dev tapa`},
		{"shared, b took over", sharedFilters("eth0", []member{b}), `- tc filter del dev eth0 parent ffff: prio 1
- tc filter del dev eth0 parent ffff: prio 65000
tc filter add dev eth0 parent ffff: prio 1 protocol arp u32 match u32 0 0 action mirred egress redirect dev tapb
tc filter add dev eth0 parent ffff: prio 65000 protocol all u32 match u32 0 0 action mirred egress redirect dev tapb`},
	}
	for _, tt := range tests {
		if got := join(tt.got); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestPodAdmit(t *testing.T) {
	full := &podState{}
	for k := range maxPodGuests {
		full.Members = append(full.Members, member{ID: "x", Slot: k})
	}
	st := &podState{Members: []member{{ID: "first", Slot: 0, Ports: []port{{8080, "tcp"}}}, {ID: "third", Slot: 2}}}
	tests := []struct {
		name string
		st   *podState
		p    podNet
		slot int
		err  string
	}{
		{"first guest", &podState{}, podNet{Range: true}, 0, ""},
		{"old kernel alone", &podState{}, podNet{}, 0, ""},
		{"takes the free slot", st, podNet{Range: true, Ports: []port{{8081, "tcp"}}}, 1, ""},
		{"same port", st, podNet{Range: true, Ports: []port{{8080, "tcp"}}}, 0, "port 8080/tcp is already served by container first"},
		{"same number, other protocol", st, podNet{Range: true, Ports: []port{{8080, "udp"}}}, 1, ""},
		{"old kernel second", st, podNet{}, 0, "rebuild the image"},
		{"full pod", full, podNet{Range: true}, 0, "the most it can have"},
	}
	for _, tt := range tests {
		p := tt.p
		err := tt.st.admit(&p)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: admit = %v; want an error with %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || p.Slot != tt.slot {
			t.Errorf("%s: admit = %v, slot %d; want slot %d", tt.name, err, p.Slot, tt.slot)
		}
	}
}

func TestNextDescriptor(t *testing.T) {
	tests := []struct {
		name, doc, next string
		ports           []port
		err             bool
	}{
		{"index", `{"manifests":[{"digest":"sha256:arm","platform":{"os":"linux","architecture":"arm64"}},{"digest":"sha256:amd","platform":{"os":"linux","architecture":"amd64"}}]}`, "sha256:amd", nil, false},
		{"index without amd64", `{"manifests":[{"digest":"sha256:arm","platform":{"os":"linux","architecture":"arm64"}}]}`, "", nil, true},
		{"manifest", `{"config":{"digest":"sha256:cfg"},"layers":[]}`, "sha256:cfg", nil, false},
		{"config", `{"architecture":"amd64","config":{"ExposedPorts":{"9000/udp":{},"8080/tcp":{}}}}`, "", []port{{8080, "tcp"}, {9000, "udp"}}, false},
		{"config without ports", `{"architecture":"amd64","config":{"Env":["A=1"]}}`, "", nil, false},
		{"not JSON", `{`, "", nil, true},
	}
	for _, tt := range tests {
		next, ports, err := nextDescriptor([]byte(tt.doc))
		if (err != nil) != tt.err || next != tt.next || !reflect.DeepEqual(ports, tt.ports) {
			t.Errorf("%s: nextDescriptor = %q, %v, %v; want %q, %v, error %v", tt.name, next, ports, err, tt.next, tt.ports, tt.err)
		}
	}
}

func TestGuestPorts(t *testing.T) {
	tests := []struct {
		name string
		ann  map[string]string
		want []port
		err  string
	}{
		{"none", nil, nil, ""},
		{"container annotation", map[string]string{AnnotationPorts: "8081"}, []port{{8081, "tcp"}}, ""},
		{"pod annotation by name", map[string]string{annotationContainerName: "metrics", AnnotationPorts + ".metrics": "9100, 53/udp", AnnotationPorts + ".web": "8080"},
			[]port{{9100, "tcp"}, {53, "udp"}}, ""},
		{"bad port", map[string]string{annotationContainerName: "metrics", AnnotationPorts + ".metrics": "x"}, nil, "annotation dev.unigo.ports.metrics: port \"x\""},
	}
	for _, tt := range tests {
		s := &specs.Spec{Process: &specs.Process{Args: []string{"/unigo/kernel.img"}}, Annotations: tt.ann}
		g, err := guestOf(s, "id")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: guestOf = %v; want an error with %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(g.ports, tt.want) {
			t.Errorf("%s: ports %v, %v; want %v", tt.name, g.ports, err, tt.want)
		}
	}
}

func TestPodLock(t *testing.T) {
	defer func(d string) { podStateDir = d }(podStateDir)
	podStateDir = t.TempDir()
	unlock, err := lockPod("netns-1-2")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := lockPod("netns-1-2")
		if err != nil {
			t.Error(err)
		}
		close(got)
		u()
	}()
	select {
	case <-got:
		t.Fatal("a second lockPod did not wait for the first")
	case <-time.After(100 * time.Millisecond):
	}
	// The holder removes the pod's files (its last guest left), then
	// releases: the waiter must lock the file that exists now.
	st := &podState{Dev: "eth0", Members: []member{{ID: "a", Tap: "tapa"}}}
	if err := st.save("netns-1-2"); err != nil {
		t.Fatal(err)
	}
	if got, err := loadPodState("netns-1-2"); err != nil || !reflect.DeepEqual(got, st) {
		t.Fatalf("loadPodState = %+v, %v; want %+v", got, err, st)
	}
	removePodState("netns-1-2")
	unlock()
	<-got
	if st, err := loadPodState("netns-1-2"); st != nil || err != nil {
		t.Errorf("after removePodState, loadPodState = %+v, %v; want nothing", st, err)
	}
}
