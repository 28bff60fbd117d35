package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criNetwork is the CNI network of the CRI test: a bridge with host-local
// addresses, made by containerd (through CNI) in the test's own network
// namespace. %[1]s is the IPAM state directory.
const criNetwork = `{
  "cniVersion": "1.0.0",
  "name": "unigo-cri",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "10.88.0.0/24"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "%[1]s"
      }
    }
  ]
}
`

// newNetNS makes a network namespace with lo up and returns its path.
func newNetNS(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("unigo-cri-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s link set lo up: %v\n%s", name, err, out)
	}
	return "/var/run/netns/" + name
}

// httpGetIn fetches url from inside the network namespace at netns.
func httpGetIn(netns, url string) (string, error) {
	type reply struct {
		body string
		err  error
	}
	ch := make(chan reply, 1)
	go func() {
		// This thread enters the namespace and dies with the goroutine
		// (it stays locked), so no other goroutine runs there.
		runtime.LockOSThread()
		f, err := os.Open(netns)
		if err != nil {
			ch <- reply{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- reply{err: fmt.Errorf("setns %s: %v", netns, err)}
			return
		}
		// Dial on this thread, so that the socket is made in the
		// namespace (http.Transport would dial on another goroutine).
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			ch <- reply{err: err}
			return
		}
		conn, err := net.DialTimeout("tcp", req.URL.Host, 5*time.Second)
		if err != nil {
			ch <- reply{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		req.Close = true
		if err := req.Write(conn); err != nil {
			ch <- reply{err: err}
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			ch <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s: %q", url, resp.Status, b)
		}
		ch <- reply{string(b), err}
	}()
	select {
	case r := <-ch:
		return r.body, r.err
	case <-time.After(15 * time.Second):
		return "", fmt.Errorf("GET %s: no answer in 15 s", url)
	}
}

// criPod is a pod sandbox with the runtime handler unigo, made through the
// CRI API of a containerd started for the test in the network namespace
// ns (where the CNI bridge cni0, 10.88.0.1, is).
type criPod struct {
	c       *containerd
	ns      string
	rs      cri.RuntimeServiceClient
	ctx     context.Context
	logDir  string
	sandbox *cri.PodSandboxConfig
	id      string // the pod sandbox's id
	ip      string // the pod's IP
	netns   string // the pod's network namespace
}

// startCRIPod starts containerd with a CNI bridge network, imports the
// images (unigo images by package, then plain ones) and runs a pod
// sandbox; the pod is stopped and removed at the end of the test.
func startCRIPod(t *testing.T, name string, timeout time.Duration, importImages func(c *containerd)) *criPod {
	t.Helper()
	needContainerd(t)
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		t.Skip("the CNI plugins are not installed: apt-get install containernetworking-plugins (scripts/test does)")
	}
	p := &criPod{ns: newNetNS(t)}
	p.c = startContainerdIn(t, p.ns)
	cniDir := filepath.Join(p.c.dir, "cni")
	os.MkdirAll(cniDir, 0o755)
	mustWrite(t, filepath.Join(cniDir, "10-unigo-cri.conflist"), fmt.Sprintf(criNetwork, filepath.Join(p.c.dir, "ipam")))
	p.c.importImage("k8s.io", plainImageTar(t, "localhost/unigo-test/pause:1", "../programs/pause"))
	importImages(p.c)

	conn, err := grpc.Dial("unix://"+p.c.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p.rs = cri.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	p.ctx = ctx
	// The CNI configuration is picked up asynchronously.
	if !waitFor(30*time.Second, func() bool {
		st, err := p.rs.Status(ctx, &cri.StatusRequest{})
		if err != nil {
			return false
		}
		for _, c := range st.Status.Conditions {
			if c.Type == cri.NetworkReady && !c.Status {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the CRI network did not become ready")
	}

	p.logDir = filepath.Join(p.c.dir, "pod-logs")
	os.MkdirAll(p.logDir, 0o755)
	p.sandbox = &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: name, Uid: "uid-" + name, Namespace: "default"},
		Hostname:     name,
		LogDirectory: p.logDir,
		Linux:        &cri.LinuxPodSandboxConfig{},
	}
	pod, err := p.rs.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: p.sandbox, RuntimeHandler: "unigo"})
	if err != nil {
		t.Fatalf("RunPodSandbox (handler unigo): %v", err)
	}
	p.id = pod.PodSandboxId
	t.Cleanup(func() {
		// Idempotent: the test may have removed the pod already.
		p.rs.StopPodSandbox(context.Background(), &cri.StopPodSandboxRequest{PodSandboxId: p.id})
		p.rs.RemovePodSandbox(context.Background(), &cri.RemovePodSandboxRequest{PodSandboxId: p.id})
	})
	pst, err := p.rs.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: p.id, Verbose: true})
	if err != nil || pst.Status.Network == nil || pst.Status.Network.Ip == "" {
		t.Fatalf("PodSandboxStatus: %+v, %v; want the pod's IP", pst, err)
	}
	p.ip = pst.Status.Network.Ip
	var podInfo struct {
		RuntimeSpec struct {
			Linux struct {
				Namespaces []struct{ Type, Path string }
			}
		}
	}
	json.Unmarshal([]byte(pst.Info["info"]), &podInfo)
	for _, n := range podInfo.RuntimeSpec.Linux.Namespaces {
		if n.Type == "network" {
			p.netns = n.Path
		}
	}
	if p.netns == "" {
		t.Fatalf("PodSandboxStatus: no network namespace path in %s", pst.Info["info"])
	}
	return p
}

// TestCRI: through the CRI API, a pod sandbox with the runtime handler
// unigo (its pause container runs through runc) and the httpserver image
// as a unikernel container that takes the pod's IP on a tap in the pod's
// namespace; an HTTP client in another network namespace reaches it
// there; its log is at the CRI log path; StopContainer shuts it down
// gracefully (exit 0), RemoveContainer removes the tap; stopping and
// removing the pod leaves no QEMU, shim or mount.
func TestCRI(t *testing.T) {
	p := startCRIPod(t, "web", 2*guestTimeout, func(c *containerd) {
		c.importImage("k8s.io", unigoImageTar(t, "localhost/unigo-test/httpserver:1", "../../examples/httpserver"))
	})
	rs, ctx, ns, logDir, sandboxConfig := p.rs, p.ctx, p.ns, p.logDir, p.sandbox
	podID, podIP, podNS, c := p.id, p.ip, p.netns, p.c

	cc, err := rs.CreateContainer(ctx, &cri.CreateContainerRequest{
		PodSandboxId: podID,
		Config: &cri.ContainerConfig{
			Metadata: &cri.ContainerMetadata{Name: "httpserver"},
			Image:    &cri.ImageSpec{Image: "localhost/unigo-test/httpserver:1"},
			LogPath:  "httpserver.log",
		},
		SandboxConfig: sandboxConfig,
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if _, err := rs.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: cc.ContainerId}); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	cst, err := rs.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: cc.ContainerId, Verbose: true})
	if err != nil || cst.Status.State != cri.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("ContainerStatus: %+v, %v; want running", cst, err)
	}
	var info struct {
		Pid int `json:"pid"`
	}
	json.Unmarshal([]byte(cst.Info["info"]), &info)
	work := c.shimWork("k8s.io", cc.ContainerId)
	// QEMU starts under nsenter (which execs it): wait out the exec.
	if !waitFor(5*time.Second, func() bool { return isQEMU(info.Pid) }) {
		t.Errorf("the container's pid %d is not QEMU", info.Pid)
	}
	if cg := "/k8s.io/" + cc.ContainerId; !inCgroup(info.Pid, cg) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", info.Pid))
		t.Errorf("QEMU is not in the container's cgroup %s:\n%s", cg, b)
	}

	url := "http://" + podIP + ":8080/cri"
	var body string
	if !waitFor(guestTimeout, func() bool {
		body, err = httpGetIn(ns, url)
		return err == nil
	}) {
		t.Fatalf("GET %s from the host's namespace: %v", url, err)
	}
	if !strings.Contains(body, "Hello from unigo! You asked for /cri") {
		t.Errorf("GET %s = %q; want the httpserver's greeting", url, body)
	}
	// A second unikernel in the pod that declares no ports gets its own
	// tap but none of the pod's incoming connections (the first one keeps
	// them), and says so in its log (TestCRIPodTwoUnikernels steers ports).
	cc2, err := rs.CreateContainer(ctx, &cri.CreateContainerRequest{
		PodSandboxId: podID,
		Config: &cri.ContainerConfig{
			Metadata: &cri.ContainerMetadata{Name: "second"},
			Image:    &cri.ImageSpec{Image: "localhost/unigo-test/httpserver:1"},
			Args:     []string{"-addr", ":8081"},
			LogPath:  "second.log",
		},
		SandboxConfig: sandboxConfig,
	})
	if err != nil {
		t.Fatalf("CreateContainer (second): %v", err)
	}
	if _, err := rs.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: cc2.ContainerId}); err != nil {
		t.Fatalf("StartContainer (second): %v", err)
	}
	if !waitFor(guestTimeout, func() bool {
		b, _ := os.ReadFile(filepath.Join(logDir, "second.log"))
		return strings.Contains(string(b), "declares no ports") && strings.Contains(string(b), "listening on :8081")
	}) {
		b, _ := os.ReadFile(filepath.Join(logDir, "second.log"))
		t.Errorf("the second unikernel's log does not say it declares no ports (or it did not start):\n%s", b)
	}
	if body, err := httpGetIn(ns, url); err != nil || !strings.Contains(body, "/cri") {
		t.Errorf("GET %s with a second unikernel in the pod: %q, %v", url, body, err)
	}
	defer func() {
		if !waitFor(15*time.Second, func() bool { return len(shimProcesses(cc2.ContainerId)) == 0 }) {
			t.Errorf("after RemovePodSandbox, the second container's shim runs: %v", shimProcesses(cc2.ContainerId))
		}
	}()

	logPath := filepath.Join(logDir, "httpserver.log")
	if !waitFor(10*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), " stdout F ") && strings.Contains(string(b), "httpserver: listening on :8080")
	}) {
		b, _ := os.ReadFile(logPath)
		t.Errorf("the CRI log %s lacks the guest's output:\n%s", logPath, b)
	}

	// The guest's tap sits in the pod's namespace while it runs.
	tap := "tap" + cc.ContainerId[:11]
	if out, err := exec.Command("nsenter", "--net="+podNS, "ip", "link", "show", tap).CombinedOutput(); err != nil {
		t.Errorf("no tap %s in the pod's namespace %s: %v\n%s", tap, podNS, err, out)
	}
	// StopContainer sends SIGTERM (the power button): the server shuts
	// down and exits 0. RemoveContainer removes the tap; the pod stays.
	if _, err := rs.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: cc.ContainerId, Timeout: 60}); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	cst, err = rs.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: cc.ContainerId})
	if err != nil || cst.Status.State != cri.ContainerState_CONTAINER_EXITED || cst.Status.ExitCode != 0 {
		t.Errorf("ContainerStatus after StopContainer: %+v, %v; want exited with 0", cst, err)
	}
	if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), "httpserver: shut down") {
		t.Errorf("the server did not shut down gracefully on SIGTERM; its log:\n%s", b)
	}
	if _, err := rs.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: cc.ContainerId}); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	if out, err := exec.Command("nsenter", "--net="+podNS, "ip", "-o", "link").CombinedOutput(); err != nil || strings.Contains(string(out), tap) {
		t.Errorf("after RemoveContainer, the pod's namespace still has %s (or cannot be read: %v):\n%s", tap, err, out)
	}
	if !waitFor(15*time.Second, func() bool { return !isQEMU(info.Pid) && len(shimProcesses(cc.ContainerId)) == 0 }) {
		t.Errorf("after RemoveContainer: QEMU %d alive %v, shims %v", info.Pid, isQEMU(info.Pid), shimProcesses(cc.ContainerId))
	}
	if d := cgroupDirsOf("/k8s.io/" + cc.ContainerId); len(d) > 0 {
		t.Errorf("after RemoveContainer, the container's cgroup remains: %v", d)
	}

	if _, err := rs.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if _, err := rs.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatalf("RemovePodSandbox: %v", err)
	}
	if !waitFor(15*time.Second, func() bool { return !isQEMU(info.Pid) && len(shimProcesses(cc.ContainerId)) == 0 }) {
		t.Errorf("after RemovePodSandbox: QEMU %d alive %v, shims %v", info.Pid, isQEMU(info.Pid), shimProcesses(cc.ContainerId))
	}
	if m := append(mountsOf(cc.ContainerId), mountsOf(podID)...); len(m) > 0 {
		t.Errorf("after RemovePodSandbox, still mounted: %v", m)
	}
	if _, err := os.Stat(work); work == "" || err == nil {
		t.Errorf("after RemovePodSandbox, the shim's scratch directory %q remains", work)
	}
}

// listenIn serves handler over HTTP on a TCP port of the network
// namespace at netns and returns the port.
func listenIn(t *testing.T, netns string, handler http.Handler) int {
	t.Helper()
	ch := make(chan any, 1)
	go func() {
		// The thread stays in the namespace and dies with the goroutine.
		runtime.LockOSThread()
		f, err := os.Open(netns)
		if err != nil {
			ch <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns %s: %v", netns, err)
			return
		}
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			ch <- err
			return
		}
		ch <- l
	}()
	switch v := (<-ch).(type) {
	case net.Listener:
		srv := &http.Server{Handler: handler}
		go srv.Serve(v)
		t.Cleanup(func() { srv.Close() })
		return v.Addr().(*net.TCPAddr).Port
	case error:
		t.Fatalf("listening in %s: %v", netns, v)
	}
	return 0
}

// TestCRIPodTwoUnikernels: two unikernel containers in one pod, each on
// its own tap with the pod's IP, each serving HTTP on its own port: one
// declared by the image's ExposedPorts (unigo pkg -p), the other by the
// annotation dev.unigo.ports. A client in another namespace reaches both
// at the pod's IP, and both make outbound connections to a server there
// (the replies are steered by the guests' ephemeral port ranges). Removing
// the first one (the catch-all) removes only its tap; the second keeps
// serving, and makes connections, alone.
func TestCRIPodTwoUnikernels(t *testing.T) {
	p := startCRIPod(t, "duo", 3*guestTimeout, func(c *containerd) {
		c.importImage("k8s.io", unigoImageTarWith(t, "localhost/unigo-test/nettest-8080:1", "../programs/nettest", []string{"-p", "8080"}))
		c.importImage("k8s.io", unigoImageTar(t, "localhost/unigo-test/nettest:1", "../programs/nettest"))
	})
	port := listenIn(t, p.ns, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "outside answers %s\n", r.URL.Path)
	}))
	outside := fmt.Sprintf("http://10.88.0.1:%d", port) // the bridge, in the test's namespace

	type guest struct {
		name, image, port string
		annotations       map[string]string
		id, tap           string
	}
	guests := []*guest{
		{name: "first", image: "localhost/unigo-test/nettest-8080:1", port: "8080"},
		{name: "second", image: "localhost/unigo-test/nettest:1", port: "8081", annotations: map[string]string{"dev.unigo.ports": "8081/tcp"}},
	}
	for _, g := range guests {
		cc, err := p.rs.CreateContainer(p.ctx, &cri.CreateContainerRequest{
			PodSandboxId: p.id,
			Config: &cri.ContainerConfig{
				Metadata:    &cri.ContainerMetadata{Name: g.name},
				Image:       &cri.ImageSpec{Image: g.image},
				Args:        []string{"httpproxy", ":" + g.port},
				Annotations: g.annotations,
				LogPath:     g.name + ".log",
			},
			SandboxConfig: p.sandbox,
		})
		if err != nil {
			t.Fatalf("CreateContainer (%s): %v", g.name, err)
		}
		g.id, g.tap = cc.ContainerId, "tap"+cc.ContainerId[:11]
		if _, err := p.rs.StartContainer(p.ctx, &cri.StartContainerRequest{ContainerId: g.id}); err != nil {
			t.Fatalf("StartContainer (%s): %v", g.name, err)
		}
	}
	logOf := func(g *guest) string {
		b, _ := os.ReadFile(filepath.Join(p.logDir, g.name+".log"))
		return string(b)
	}
	// check asks g for its greeting and for a page of the outside server.
	check := func(when string, g *guest) {
		t.Helper()
		base := "http://" + p.ip + ":" + g.port
		var body string
		var err error
		if !waitFor(guestTimeout, func() bool {
			body, err = httpGetIn(p.ns, base+"/")
			return err == nil
		}) {
			t.Fatalf("%s: GET %s/: %v\nits log:\n%s", when, base, err, logOf(g))
		}
		if want := "nettest httpproxy on :" + g.port; !strings.Contains(body, want) {
			t.Errorf("%s: GET %s/ = %q; want %q (the wrong guest answered?)", when, base, body, want)
		}
		for k := range 3 { // a few connections: several ephemeral ports
			url := fmt.Sprintf("%s/get?url=%s/%s-%d", base, outside, g.name, k)
			body, err := httpGetIn(p.ns, url)
			if want := fmt.Sprintf("outside answers /%s-%d", g.name, k); err != nil || !strings.Contains(body, want) {
				t.Errorf("%s: GET %s (the guest's outbound connection) = %q, %v; want %q", when, url, body, err, want)
			}
		}
	}
	hasLink := func(tap string) bool {
		return exec.Command("nsenter", "--net="+p.netns, "ip", "link", "show", tap).Run() == nil
	}
	for _, g := range guests {
		check("both running", g)
		if !hasLink(g.tap) {
			t.Errorf("no tap %s for %s in the pod's namespace", g.tap, g.name)
		}
	}
	if t.Failed() {
		out, _ := exec.Command("nsenter", "--net="+p.netns, "tc", "filter", "show", "dev", "eth0", "ingress").CombinedOutput()
		t.Fatalf("the pod's filters on eth0:\n%s", out)
	}

	// Remove the first (the catch-all): the second keeps working.
	first, second := guests[0], guests[1]
	if _, err := p.rs.StopContainer(p.ctx, &cri.StopContainerRequest{ContainerId: first.id, Timeout: 60}); err != nil {
		t.Fatalf("StopContainer (first): %v", err)
	}
	if _, err := p.rs.RemoveContainer(p.ctx, &cri.RemoveContainerRequest{ContainerId: first.id}); err != nil {
		t.Fatalf("RemoveContainer (first): %v", err)
	}
	if hasLink(first.tap) {
		t.Errorf("after RemoveContainer (first), its tap %s remains", first.tap)
	}
	if !hasLink(second.tap) {
		t.Errorf("after RemoveContainer (first), the second's tap %s is gone", second.tap)
	}
	check("the first removed", second)
	if body, err := httpGetIn(p.ns, "http://"+p.ip+":8080/"); err == nil {
		t.Errorf("after RemoveContainer (first), port 8080 still answers: %q", body)
	}

	if _, err := p.rs.StopPodSandbox(p.ctx, &cri.StopPodSandboxRequest{PodSandboxId: p.id}); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if _, err := p.rs.RemovePodSandbox(p.ctx, &cri.RemovePodSandboxRequest{PodSandboxId: p.id}); err != nil {
		t.Fatalf("RemovePodSandbox: %v", err)
	}
	if !waitFor(15*time.Second, func() bool { return len(shimProcesses(second.id)) == 0 }) {
		t.Errorf("after RemovePodSandbox, the second container's shim runs: %v", shimProcesses(second.id))
	}
	if m, _ := filepath.Glob("/run/unigo-shim-pods/*.json"); len(m) > 0 {
		for _, f := range m {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), second.id) {
				t.Errorf("after RemovePodSandbox, the pod's network state %s remains:\n%s", f, b)
			}
		}
	}
}
