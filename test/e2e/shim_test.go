package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The containerd tests start their own containerd (Debian's 1.6, which
// scripts/test installs) with its own root, state, socket and config, put
// the freshly built containerd-shim-unigo-v1 on its PATH and drive it with
// ctr (and the CRI API in cri_test.go). They need root.

const shimRuntime = "io.containerd.unigo.v1"

var (
	shimOnce sync.Once
	shimDir  string
	shimErr  error
)

// needContainerd skips unless containerd can be run here, and builds the
// shim once.
func needContainerd(t *testing.T) {
	t.Helper()
	setup(t)
	if os.Getuid() != 0 {
		t.Skip("the containerd tests need root (containerd mounts snapshots and manages network namespaces)")
	}
	for _, bin := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed: apt-get install containerd runc (scripts/test does)", bin)
		}
	}
	shimOnce.Do(func() {
		shimDir = filepath.Join(tmpDir, "shimbin")
		out, err := exec.Command("go", "build", "-o", filepath.Join(shimDir, "containerd-shim-unigo-v1"), "../../cmd/containerd-shim-unigo-v1").CombinedOutput()
		if err != nil {
			shimErr = fmt.Errorf("go build ../../cmd/containerd-shim-unigo-v1: %v\n%s", err, out)
		}
	})
	if shimErr != nil {
		t.Fatal(shimErr)
	}
}

// containerd is a containerd daemon started by a test.
type containerd struct {
	t      *testing.T
	netns  string // if set, the daemon runs in this network namespace (a path)
	dir    string
	sock   string
	config string
	cmd    *exec.Cmd
	log    *os.File
}

// containerdConfig is the daemon's configuration; %[1]s is its directory.
// The CRI plugin gets the runtime handler unigo, a bridge CNI network and
// a sandbox image the tests import (there is no registry access here).
// The native snapshotter works on any file system (overlayfs does not
// stack on every CI machine's).
const containerdConfig = `version = 2
root = "%[1]s/root"
state = "%[1]s/state"
[grpc]
  address = "%[1]s/c.sock"
[debug]
  level = "debug"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/unigo-test/pause:1"
  # CI machines may not let processes lower their OOM score (-998 for pods).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.unigo]
      runtime_type = "io.containerd.unigo.v1"
      pod_annotations = ["dev.unigo.*"]
      container_annotations = ["dev.unigo.*"]
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "%[1]s/cni"
`

// startContainerd starts a containerd for the test and stops it (and
// every task left) at the end.
func startContainerd(t *testing.T) *containerd {
	t.Helper()
	return startContainerdIn(t, "")
}

// startContainerdIn starts a containerd in the network namespace at netns
// ("" for the test's own), so that CNI's bridge is made there.
func startContainerdIn(t *testing.T, netns string) *containerd {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctd-") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	c := &containerd{t: t, dir: dir, netns: netns, sock: filepath.Join(dir, "c.sock"), config: filepath.Join(dir, "config.toml")}
	mustWrite(t, c.config, fmt.Sprintf(containerdConfig, dir))
	t.Cleanup(c.teardown)
	c.start()
	return c
}

func (c *containerd) start() {
	t := c.t
	t.Helper()
	log, err := os.OpenFile(filepath.Join(c.dir, "containerd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c.log = log
	c.cmd = exec.Command("containerd", "--config", c.config)
	if c.netns != "" {
		c.cmd = exec.Command("nsenter", "--net="+c.netns, "containerd", "--config", c.config)
	}
	c.cmd.Env = append(os.Environ(), "PATH="+shimDir+":"+os.Getenv("PATH"))
	c.cmd.Stdout, c.cmd.Stderr = log, log
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting containerd: %v", err)
	}
	if !waitFor(30*time.Second, func() bool { return exec.Command("ctr", "-a", c.sock, "version").Run() == nil }) {
		t.Fatalf("containerd did not come up in 30 s; log:\n%s", c.logTail())
	}
}

// stop stops the daemon (the shims keep running, as on a real node).
func (c *containerd) stop() {
	if c.cmd == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	c.log.Close()
	c.cmd = nil
}

func (c *containerd) restart() {
	c.stop()
	c.start()
}

func (c *containerd) logTail() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "containerd.log"))
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}

func (c *containerd) teardown() {
	if c.cmd != nil {
		for _, ns := range []string{"default", "k8s.io"} {
			out, _ := exec.Command("ctr", "-a", c.sock, "-n", ns, "task", "ls", "-q").Output()
			for _, id := range strings.Fields(string(out)) {
				exec.Command("ctr", "-a", c.sock, "-n", ns, "task", "kill", "-s", "SIGKILL", id).Run()
				waitFor(10*time.Second, func() bool {
					return exec.Command("ctr", "-a", c.sock, "-n", ns, "task", "delete", id).Run() == nil
				})
			}
		}
	}
	c.stop()
	if c.t.Failed() {
		if b, err := os.ReadFile(filepath.Join(c.dir, "containerd.log")); err == nil {
			os.WriteFile(filepath.Join(os.TempDir(), "unigo-e2e-containerd.log"), b, 0o600)
		}
		c.t.Logf("containerd log (all of it in %s):\n%s", filepath.Join(os.TempDir(), "unigo-e2e-containerd.log"), c.logTail())
	}
	// Whatever is still mounted under the daemon's directories.
	if b, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], c.dir+"/") {
				syscall.Unmount(f[1], syscall.MNT_DETACH)
			}
		}
	}
	os.RemoveAll(c.dir)
}

// ctr runs ctr against the daemon in namespace default.
func (c *containerd) ctr(args ...string) *result {
	c.t.Helper()
	full := append([]string{"-a", c.sock}, args...)
	r := &result{args: full}
	ctx, cancel := context.WithTimeout(context.Background(), guestTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ctr", full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	r.status = cmd.ProcessState.ExitCode()
	if err != nil && r.status < 0 {
		c.t.Fatalf("ctr did not finish: %v\nctr %s\n%s", err, shellJoin(full), r.stderr)
	}
	return r
}

// ctrDescribe describes a ctr run for a failure message.
func ctrDescribe(r *result) string {
	return fmt.Sprintf("command: ctr %s\nexit status: %d\n--- stdout\n%s\n--- stderr\n%s", shellJoin(r.args), r.status, r.stdout, r.stderr)
}

// importImage imports an image tar (OCI layout or docker archive) into
// namespace ns.
func (c *containerd) importImage(ns, tarPath string) {
	c.t.Helper()
	if r := c.ctr("-n", ns, "images", "import", "--snapshotter", "native", tarPath); r.status != 0 {
		c.t.Fatalf("import %s:\n%s", tarPath, ctrDescribe(r))
	}
}

// unigoImageTar packs pkg with unigo pkg -t ref (with the program
// arguments progArgs) and returns the store as a tar that ctr images
// import reads (docs/oci.md).
func unigoImageTar(t *testing.T, ref, pkg string, progArgs ...string) string {
	t.Helper()
	return unigoImageTarWith(t, ref, pkg, nil, progArgs...)
}

// unigoImageTarWith is unigoImageTar with more flags for unigo pkg
// (e.g. -p 8080).
func unigoImageTarWith(t *testing.T, ref, pkg string, pkgFlags []string, progArgs ...string) string {
	t.Helper()
	state := t.TempDir()
	args := append(append([]string{"pkg", "--state-dir", state, "-t", ref}, pkgFlags...), pkg)
	if len(progArgs) > 0 {
		args = append(append(args, "--"), progArgs...)
	}
	if r := unigo(t, args...); r.status != 0 {
		t.Fatalf("unigo pkg:\n%s", r.describe())
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	if b, err := exec.Command("tar", "-C", filepath.Join(state, "images"), "-cf", out, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	return out
}

// plainImageTar builds pkg as a static Linux program and packs it as an
// ordinary container image (docker archive) whose entrypoint is /NAME.
func plainImageTar(t *testing.T, ref, pkg string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: filepath.Base(bin), Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = []string{"/" + filepath.Base(bin)}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "image.tar")
	if err := tarball.WriteToFile(out, mustRef(t, ref), img); err != nil {
		t.Fatal(err)
	}
	return out
}

// taskState returns the pid and status (RUNNING, STOPPED, ...) of task id
// as ctr task ls shows them.
func (c *containerd) taskState(ns, id string) (int, string) {
	r := c.ctr("-n", ns, "task", "ls")
	for line := range strings.SplitSeq(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == id {
			pid, _ := strconv.Atoi(f[1])
			return pid, f[2]
		}
	}
	return 0, ""
}

// waitTask waits for task id to reach status.
func (c *containerd) waitTask(ns, id, status string, d time.Duration) bool {
	return waitFor(d, func() bool { _, s := c.taskState(ns, id); return s == status })
}

// shimProcesses returns the pids of unigo shims serving task id.
func shimProcesses(id string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if !strings.HasSuffix(args[0], "containerd-shim-unigo-v1") {
			continue
		}
		for i := range args[:len(args)-1] {
			if args[i] == "-id" && args[i+1] == id {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// mountsOf returns the mount points whose path names the container id.
func mountsOf(id string) []string {
	var out []string
	b, _ := os.ReadFile("/proc/self/mounts")
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.Contains(f[1], "/"+id+"/") {
			out = append(out, f[1])
		}
	}
	return out
}

// TestShimCtr: ctr runs unigo images through containerd-shim-unigo-v1 —
// output, exit status, kill → the guest's SIGTERM handler, delete leaves
// nothing — and plain images through runc with the same runtime.
func TestShimCtr(t *testing.T) {
	needContainerd(t)
	c := startContainerd(t)
	c.importImage("default", unigoImageTar(t, "localhost/unigo-test/exit7:1", "./../programs/exit7"))
	c.importImage("default", unigoImageTar(t, "localhost/unigo-test/sigterm:1", "./../programs/sigterm"))
	c.importImage("default", plainImageTar(t, "localhost/unigo-test/plain-exit7:1", "../programs/exit7"))
	run := []string{"run", "--snapshotter", "native", "--runtime", shimRuntime}

	t.Run("exit status", func(t *testing.T) {
		r := c.ctr(append(run, "--rm", "localhost/unigo-test/exit7:1", cid("exit7"))...)
		if r.status != 7 || !strings.Contains(r.stdout, "exiting with status 7") {
			t.Errorf("want status 7 and the guest's output:\n%s", ctrDescribe(r))
		}
	})
	t.Run("memory limit too small", func(t *testing.T) {
		r := c.ctr(append(run, "--rm", "--memory-limit", "4194304", "localhost/unigo-test/exit7:1", cid("small"))...)
		if r.status == 0 || !strings.Contains(r.stderr, "but the image needs at least") {
			t.Errorf("a 4 MiB limit: want a clear refusal:\n%s", ctrDescribe(r))
		}
		c.ctr("container", "delete", cid("small"))
	})
	t.Run("runc fallback", func(t *testing.T) {
		r := c.ctr(append(run, "--rm", "localhost/unigo-test/plain-exit7:1", cid("plain"))...)
		if r.status != 7 || !strings.Contains(r.stdout, "exiting with status 7") {
			t.Errorf("a plain image under %s: want runc to run it (status 7, its output):\n%s", shimRuntime, ctrDescribe(r))
		}
	})
	t.Run("bind mount", func(t *testing.T) {
		// A host directory mounted into the container is a 9P share in
		// the guest (as Kubernetes volumes, config maps and secrets are).
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "hello.txt"), "from the host\n")
		c.importImage("default", unigoImageTar(t, "localhost/unigo-test/readfile:1", "../programs/readfile", "/data/hello.txt"))
		r := c.ctr(append(run, "--rm", "--mount", "type=bind,src="+dir+",dst=/data,options=rbind:ro", "localhost/unigo-test/readfile:1", cid("rf"))...)
		if r.status != 0 || !strings.Contains(r.stdout, "/data/hello.txt: from the host") {
			t.Errorf("want the guest to read the bind-mounted host file:\n%s", ctrDescribe(r))
		}
	})
	t.Run("kill and delete", func(t *testing.T) {
		id := cid("st")
		pid, logFile := c.runSigterm(t, append(run, "-d"), id)
		shims := shimProcesses(id)
		if len(shims) != 1 {
			t.Fatalf("shim processes for st: %v; want one", shims)
		}
		work := c.shimWork("default", id)
		if !inCgroup(pid, "/default/"+id) {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
			t.Errorf("QEMU is not in the container's cgroup /default/%s:\n%s", id, b)
		}
		c.killAndDelete(t, id, pid, logFile)
		if d := cgroupDirsOf("/default/" + id); len(d) > 0 {
			t.Errorf("after delete, the container's cgroup remains: %v", d)
		}
		if m := mountsOf(id); len(m) > 0 {
			t.Errorf("after delete, still mounted: %v", m)
		}
		if _, err := os.Stat(work); work == "" || err == nil {
			t.Errorf("after delete, the shim's scratch directory %q remains", work)
		}
	})
}

// inCgroup reports whether pid is in the cgroup path (in any hierarchy).
func inCgroup(pid int, path string) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasSuffix(line, ":"+path) {
			return true
		}
	}
	return false
}

// cgroupDirsOf lists the directories of the cgroup path that exist.
func cgroupDirsOf(path string) []string {
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup" + path, "/sys/fs/cgroup/*" + path} {
		d, _ := filepath.Glob(pat)
		out = append(out, d...)
	}
	return out
}

// cid makes a container id unique to this test process, so that test
// runs on one machine (each with its own containerd) do not share
// cgroups or shim process names.
func cid(name string) string { return fmt.Sprintf("%s-%d", name, os.Getpid()) }

// shimWork returns the scratch directory the shim of task id recorded in
// its bundle ("" if none).
func (c *containerd) shimWork(ns, id string) string {
	b, err := os.ReadFile(filepath.Join(c.dir, "state", "io.containerd.runtime.v2.task", ns, id, "unigo-shim.json"))
	if err != nil {
		return ""
	}
	var st struct{ Work string }
	json.Unmarshal(b, &st)
	return st.Work
}

// isQEMU reports whether pid is a running QEMU.
func isQEMU(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(b), "qemu-system") {
		return false
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(st, ')')
	return i > 0 && i+2 < len(st) && st[i+2] != 'Z'
}

// TestShimFaults: QEMU killed under the shim ends the task with a non-zero
// status and the shim does not hang; a killed shim takes its QEMU, mount
// and files with it (containerd runs its delete command); a guest that
// ends while containerd is down is STOPPED after the restart; a restarted
// containerd finds a running task and can still stop it.
func TestShimFaults(t *testing.T) {
	needContainerd(t)
	c := startContainerd(t)
	c.importImage("default", unigoImageTar(t, "localhost/unigo-test/sigterm:1", "./../programs/sigterm"))
	run := []string{"run", "--snapshotter", "native", "--runtime", shimRuntime, "-d"}

	t.Run("VMM killed", func(t *testing.T) {
		id := cid("vk")
		// An attached ctr run gets the task's exit status.
		args := []string{"-a", c.sock, "run", "--snapshotter", "native", "--runtime", shimRuntime, "localhost/unigo-test/sigterm:1", id}
		cmd := exec.Command("ctr", args...)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if !waitFor(guestTimeout, func() bool { return strings.Contains(out.String(), "waiting for SIGTERM") }) {
			cmd.Process.Kill()
			t.Fatalf("the guest did not start: ctr %s\n%s", shellJoin(args), out.String())
		}
		pid, _ := c.taskState("default", id)
		if !isQEMU(pid) {
			t.Fatalf("task %s's pid %d is not QEMU", id, pid)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("ctr run still waits 30 s after QEMU was killed: ctr %s\n%s", shellJoin(args), out.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 137 || !strings.Contains(out.String(), "the VMM was killed by signal 9") {
			t.Errorf("ctr run after QEMU was killed: status %d; want 137 and the reason on stderr:\n%s", code, out.String())
		}
		c.ctr("container", "delete", id)
		if !waitFor(10*time.Second, func() bool { return len(shimProcesses(id)) == 0 }) {
			t.Errorf("the shim of %s still runs: %v", id, shimProcesses(id))
		}
	})
	t.Run("shim killed", func(t *testing.T) {
		id := cid("sk")
		pid, _ := c.runSigterm(t, run, id)
		work := c.shimWork("default", id)
		shims := shimProcesses(id)
		if len(shims) != 1 {
			t.Fatalf("shim processes for sk: %v; want one", shims)
		}
		syscall.Kill(shims[0], syscall.SIGKILL)
		// containerd runs the shim's delete command, which kills QEMU
		// and removes what the shim made.
		if !waitFor(30*time.Second, func() bool { return !isQEMU(pid) }) {
			t.Fatalf("QEMU %d still runs 30 s after its shim was killed", pid)
		}
		if _, s := c.taskState("default", id); s == "RUNNING" {
			t.Errorf("task %s is still RUNNING after its shim and QEMU are gone", id)
		}
		c.ctr("task", "delete", id)
		c.ctr("container", "delete", id)
		if m := mountsOf(id); len(m) > 0 {
			t.Errorf("after the shim was killed, still mounted: %v", m)
		}
		if _, err := os.Stat(work); work == "" || err == nil {
			t.Errorf("after the shim was killed, its scratch directory %q remains", work)
		}
	})
	t.Run("guest ends while containerd is down", func(t *testing.T) {
		id := cid("dn")
		pid, _ := c.runSigterm(t, run, id)
		c.stop()
		syscall.Kill(pid, syscall.SIGKILL)
		if !waitFor(10*time.Second, func() bool { return !isQEMU(pid) }) {
			t.Fatalf("QEMU %d still runs after SIGKILL", pid)
		}
		c.start()
		if !c.waitTask("default", id, "STOPPED", 30*time.Second) {
			p, s := c.taskState("default", id)
			t.Fatalf("after a restart, a task whose guest ended meanwhile is pid %d %q; want STOPPED", p, s)
		}
		c.ctr("task", "delete", id)
		c.ctr("container", "delete", id)
		if !waitFor(10*time.Second, func() bool { return len(shimProcesses(id)) == 0 }) {
			t.Errorf("the shim of %s still runs: %v", id, shimProcesses(id))
		}
	})
	t.Run("containerd restarted", func(t *testing.T) {
		id := cid("rs")
		pid, logFile := c.runSigterm(t, run, id)
		c.restart()
		if p, s := c.taskState("default", id); p != pid || s != "RUNNING" {
			t.Fatalf("after a containerd restart: task %s is pid %d %s; want %d RUNNING", id, p, s, pid)
		}
		c.killAndDelete(t, id, pid, logFile)
	})
}

func mustRef(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// killAndDelete sends the task id the default signal (SIGTERM, which the
// shim turns into the guest's power button), checks that the guest's
// SIGTERM handler ran and the guest exited 0, then deletes the task and the
// container and checks that QEMU (pid) and the shim are gone.
// runSigterm runs the sigterm test image as container id with ctr's run
// arguments (detached), waits until the guest says it waits for SIGTERM
// and checks the task runs as QEMU; it returns QEMU's pid and the log file.
func (c *containerd) runSigterm(t *testing.T, run []string, id string) (int, string) {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), id+".log")
	if r := c.ctr(append(run, "--log-uri", "file://"+logFile, "localhost/unigo-test/sigterm:1", id)...); r.status != 0 {
		t.Fatalf("run -d:\n%s", ctrDescribe(r))
	}
	if !waitFor(guestTimeout, func() bool { b, _ := os.ReadFile(logFile); return strings.Contains(string(b), "waiting for SIGTERM") }) {
		b, _ := os.ReadFile(logFile)
		t.Fatalf("the guest did not start; its log:\n%s", b)
	}
	pid, status := c.taskState("default", id)
	if status != "RUNNING" || !isQEMU(pid) {
		t.Fatalf("task ls: pid %d %s; want RUNNING with QEMU's pid", pid, status)
	}
	return pid, logFile
}

func (c *containerd) killAndDelete(t *testing.T, id string, pid int, logFile string) {
	t.Helper()
	if r := c.ctr("task", "kill", id); r.status != 0 {
		t.Fatalf("task kill:\n%s", ctrDescribe(r))
	}
	if !c.waitTask("default", id, "STOPPED", time.Minute) {
		t.Fatalf("the task did not stop after SIGTERM")
	}
	if b, _ := os.ReadFile(logFile); !strings.Contains(string(b), "got terminated - cleaning up") {
		t.Errorf("the guest's SIGTERM handler did not run; its log:\n%s", b)
	}
	if r := c.ctr("task", "delete", id); r.status != 0 {
		t.Errorf("task delete: want status 0 (the guest exited 0):\n%s", ctrDescribe(r))
	}
	c.ctr("container", "delete", id)
	if !waitFor(10*time.Second, func() bool { return !isQEMU(pid) && len(shimProcesses(id)) == 0 }) {
		t.Errorf("after delete: QEMU %d alive %v, shims %v", pid, isQEMU(pid), shimProcesses(id))
	}
}
