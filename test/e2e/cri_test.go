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

// TestCRI: through the CRI API, a pod sandbox with the runtime handler
// unigo (its pause container runs through runc) and the httpserver image
// as a unikernel container that takes the pod's IP on a tap in the pod's
// namespace; an HTTP client in another network namespace reaches it
// there; its log is at the CRI log path; StopContainer shuts it down
// gracefully (exit 0), RemoveContainer removes the tap; stopping and
// removing the pod leaves no QEMU, shim or mount.
func TestCRI(t *testing.T) {
	needContainerd(t)
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		t.Skip("the CNI plugins are not installed: apt-get install containernetworking-plugins (scripts/test does)")
	}
	ns := newNetNS(t)
	c := startContainerdIn(t, ns)
	cniDir := filepath.Join(c.dir, "cni")
	os.MkdirAll(cniDir, 0o755)
	mustWrite(t, filepath.Join(cniDir, "10-unigo-cri.conflist"), fmt.Sprintf(criNetwork, filepath.Join(c.dir, "ipam")))
	c.importImage("k8s.io", plainImageTar(t, "localhost/unigo-test/pause:1", "../programs/pause"))
	c.importImage("k8s.io", unigoImageTar(t, "localhost/unigo-test/httpserver:1", "../../examples/httpserver"))

	conn, err := grpc.Dial("unix://"+c.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs := cri.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*guestTimeout)
	defer cancel()
	// The CNI configuration is picked up asynchronously.
	if !waitFor(30*time.Second, func() bool {
		st, err := rs.Status(ctx, &cri.StatusRequest{})
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

	logDir := filepath.Join(c.dir, "pod-logs")
	os.MkdirAll(logDir, 0o755)
	sandboxConfig := &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: "web", Uid: "uid-web", Namespace: "default"},
		Hostname:     "web",
		LogDirectory: logDir,
		Linux:        &cri.LinuxPodSandboxConfig{},
	}
	pod, err := rs.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: sandboxConfig, RuntimeHandler: "unigo"})
	if err != nil {
		t.Fatalf("RunPodSandbox (handler unigo): %v", err)
	}
	podID := pod.PodSandboxId
	removed := false
	defer func() {
		if !removed {
			rs.StopPodSandbox(context.Background(), &cri.StopPodSandboxRequest{PodSandboxId: podID})
			rs.RemovePodSandbox(context.Background(), &cri.RemovePodSandboxRequest{PodSandboxId: podID})
		}
	}()
	pst, err := rs.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: podID, Verbose: true})
	if err != nil || pst.Status.Network == nil || pst.Status.Network.Ip == "" {
		t.Fatalf("PodSandboxStatus: %+v, %v; want the pod's IP", pst, err)
	}
	podIP := pst.Status.Network.Ip
	var podInfo struct {
		RuntimeSpec struct {
			Linux struct {
				Namespaces []struct{ Type, Path string }
			}
		}
	}
	json.Unmarshal([]byte(pst.Info["info"]), &podInfo)
	podNS := ""
	for _, n := range podInfo.RuntimeSpec.Linux.Namespaces {
		if n.Type == "network" {
			podNS = n.Path
		}
	}
	if podNS == "" {
		t.Fatalf("PodSandboxStatus: no network namespace path in %s", pst.Info["info"])
	}

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
	// A second unikernel in the pod boots without a network (the first
	// one keeps the pod's IP) and says so in its log.
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
		return strings.Contains(string(b), "this guest has no network") && strings.Contains(string(b), "listening on :8081")
	}) {
		b, _ := os.ReadFile(filepath.Join(logDir, "second.log"))
		t.Errorf("the second unikernel's log does not say it has no network (or it did not start):\n%s", b)
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
	removed = true
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
