// Package shim is containerd-shim-unigo-v1, the containerd runtime v2 shim
// (runtime type io.containerd.unigo.v1) that runs unigo images as
// unikernels, and hands every other image to runc's shim so one node mixes
// both (docs/kubernetes.md, docs/adr/0009-containerd-shim.md).
//
// One shim process serves one unigo container. Create mounts the
// container's root file system, makes the bootable image from
// rootfs/unigo/kernel.img (the rest of the root file system becomes the
// guest's), and, for a pod, moves the pod's interface to a tap; Start
// boots it under QEMU with the same packages unigo run uses; the guest
// console goes to the container's stdout; Kill presses the ACPI power
// button (SIGTERM in the guest) or kills QEMU (SIGKILL); the guest's exit
// status becomes the task's; Delete leaves no QEMU, tap, mount or file.
package shim

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/fifo"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unigo.dev/unigo/internal/machine"
	"unigo.dev/unigo/internal/pvh"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// RuntimeName is the runtime type containerd knows the shim by.
const RuntimeName = "io.containerd.unigo.v1"

// service implements the task API for one container.
type service struct {
	ctx       context.Context // carries the namespace; for events
	id        string
	publisher shim.Publisher
	shutdown  func()
	events    chan event
	forwarded chan struct{} // closed when events is drained after Shutdown
	closing   sync.Once

	mu sync.Mutex // guards t and the task's fields
	t  *task      // nil before Create and after Delete

	evmu   sync.Mutex // guards closed and sends on events
	closed bool       // events is closed
}

var _ shim.Shim = (*service)(nil)

type event struct {
	topic string
	v     any
}

// task is the container's guest.
type task struct {
	id, bundle             string
	stdin, stdout, stderr  string
	terminal               bool
	state                  stateFile
	qemuPath               string
	qemuArgs               []string
	out, errOut            io.WriteCloser // the stdout and stderr FIFOs (or discard)
	status                 tasktypes.Status
	cmd                    *exec.Cmd
	pid                    int
	exitStatus             uint32
	exitedAt               time.Time
	exited                 chan struct{} // closed once the status is known
	consoleDone            chan struct{}
	startedAt, createdTime time.Time
	notes                  []string // for the container's log
	cgroup                 string   // the container's cgroup path, "" for none
	resources              *specs.LinuxResources
}

// stateFile is what the shim records in the bundle (unigo-shim.json) so
// that "delete", run by containerd when this process is gone, can clean up.
type stateFile struct {
	Work   string       `json:"work"`             // the shim's scratch directory (QMP socket, image)
	Rootfs string       `json:"rootfs,omitempty"` // the mounted root file system
	Net    *podNet      `json:"net,omitempty"`
	Cgroup string       `json:"cgroup,omitempty"` // the container's cgroup, holding QEMU
	QEMU   machine.Proc `json:"qemu"`
}

const stateName = "unigo-shim.json"

// New is the shim's [shim.Init].
func New(ctx context.Context, id string, publisher shim.Publisher, shutdown func()) (shim.Shim, error) {
	s := &service{ctx: ctx, id: id, publisher: publisher, shutdown: shutdown, events: make(chan event, 128), forwarded: make(chan struct{})}
	go s.forward()
	return s, nil
}

// forward publishes events in order, off the request path.
func (s *service) forward() {
	defer close(s.forwarded)
	for e := range s.events {
		if err := s.publisher.Publish(s.ctx, e.topic, e.v); err != nil {
			log.G(s.ctx).WithError(err).WithField("topic", e.topic).Warn("publishing event")
		}
	}
}

func (s *service) send(topic string, v any) {
	s.evmu.Lock()
	defer s.evmu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.events <- event{topic, v}:
	default:
		log.G(s.ctx).WithField("topic", topic).Warn("event queue full: dropped")
	}
}

// get returns the task with id or a gRPC NotFound error.
func (s *service) get(id string) (*task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t == nil || (id != "" && id != s.t.id) {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "task %s", id)
	}
	return s.t, nil
}

// getProcess is get for requests that name a process: a unikernel has no
// exec'd processes, so any exec ID is not found.
func (s *service) getProcess(id, execID string) (*task, error) {
	t, err := s.get(id)
	if err == nil && execID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "exec %s", execID)
	}
	return t, err
}

// Create prepares the guest: root file system, image, network, I/O.
func (s *service) Create(ctx context.Context, r *taskapi.CreateTaskRequest) (_ *taskapi.CreateTaskResponse, retErr error) {
	s.mu.Lock()
	busy := s.t
	s.mu.Unlock()
	if busy != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrAlreadyExists, "this shim already runs task %s", busy.id)
	}
	spec, err := readSpec(r.Bundle)
	if err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "reading the bundle: %v", err)
	}
	if !IsUnigo(spec) {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%s is not a unigo image (its process is not %s)", r.ID, KernelEntry)
	}
	g, err := guestOf(spec, r.ID)
	if err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%v", err)
	}
	t := &task{id: r.ID, bundle: r.Bundle, stdin: r.Stdin, stdout: r.Stdout, stderr: r.Stderr, terminal: r.Terminal,
		status: tasktypes.Status_CREATED, exited: make(chan struct{}), consoleDone: make(chan struct{}), createdTime: time.Now()}
	work, err := os.MkdirTemp("/run", "unigo-shim-")
	if err != nil {
		return nil, err
	}
	t.state.Work = work
	defer func() {
		if retErr != nil {
			t.cleanup(ctx)
		}
	}()
	rootfs := filepath.Join(r.Bundle, "rootfs")
	if len(r.Rootfs) > 0 {
		if err := os.MkdirAll(rootfs, 0o711); err != nil {
			return nil, err
		}
		for _, rm := range r.Rootfs {
			m := mount.Mount{Type: rm.Type, Source: rm.Source, Options: rm.Options}
			if err := m.Mount(rootfs); err != nil {
				return nil, fmt.Errorf("mounting the root file system (%s %s): %w", rm.Type, rm.Source, err)
			}
			t.state.Rootfs = rootfs
		}
	} else if spec.Root != nil && spec.Root.Path != "" {
		rootfs = spec.Root.Path
		if !filepath.IsAbs(rootfs) {
			rootfs = filepath.Join(r.Bundle, rootfs)
		}
	}
	img := filepath.Join(work, "kernel.img")
	if err := prepareImage(rootfs, img, work); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%s: %v", r.ID, err)
	}
	if need, err := pvh.MinMemoryMiB(img); err == nil && g.memMiB < need {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%s: the guest would get %d MiB (the container's memory limit) but the image needs at least %d MiB: raise the limit or set the annotation %s", r.ID, g.memMiB, need, AnnotationMemory)
	}
	cfg := qemu.Config{Machine: g.machine, MemoryMiB: g.memMiB, Kernel: img, QMP: filepath.Join(work, "qmp.sock")}
	if cfg.Accel, _, err = qemu.ResolveAccel("auto"); err != nil {
		return nil, err
	}
	if ref := spec.Annotations[annotationImageName]; ref != "" && containerdAddress() != "" {
		if ns, err := namespaces.NamespaceRequired(s.ctx); err == nil {
			ps, err := imagePorts(ctx, containerdAddress(), ns, ref)
			if err != nil {
				t.notes = append(t.notes, "reading the image's ExposedPorts: "+err.Error())
			}
			for _, p := range ps {
				if !slices.Contains(g.ports, p) {
					g.ports = append(g.ports, p)
				}
			}
		}
	}
	netArgs, err := t.network(spec, g, img, &cfg)
	if err != nil {
		return nil, err
	}
	if t.cgroup, err = cgroupPath(spec); err != nil {
		t.notes = append(t.notes, err.Error()+": QEMU stays in the shim's cgroup")
	}
	if spec.Linux != nil {
		t.resources = spec.Linux.Resources
	}
	shareList, mountArgs, skipped, err := shares(spec, img)
	if err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%s: %v", r.ID, err)
	}
	cfg.Shares = shareList
	if cfg.Append, err = g.kernelLine(append(mountArgs, netArgs...)); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%s: %v", r.ID, err)
	}
	if t.qemuArgs, err = cfg.Args(); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "%s: %v", r.ID, err)
	}
	if t.qemuPath, err = qemu.Lookup(""); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "QEMU not found: %v: install qemu-system-x86 on the node", err)
	}
	if t.state.Net != nil {
		// QEMU opens the tap in the pod's network namespace.
		t.qemuArgs = append([]string{"--net=" + t.state.Net.NS, "--", t.qemuPath}, t.qemuArgs...)
		if t.qemuPath, err = exec.LookPath("nsenter"); err != nil {
			return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "nsenter not found: install util-linux on the node")
		}
	}
	if err := t.openIO(ctx); err != nil {
		return nil, err
	}
	for _, m := range skipped {
		t.notes = append(t.notes, "the mount "+m+" is not visible in the guest")
	}
	// What the user should know goes to the container's stderr (its log).
	for _, n := range t.notes {
		fmt.Fprintf(t.errOut, "unigo: %s\n", n)
	}
	if err := t.save(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.t = t
	s.mu.Unlock()
	s.send(runtime.TaskCreateEventTopic, &eventstypes.TaskCreate{
		ContainerID: r.ID, Bundle: r.Bundle, Rootfs: r.Rootfs,
		IO: &eventstypes.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr, Terminal: r.Terminal},
	})
	return &taskapi.CreateTaskResponse{}, nil
}

// network picks the guest's network. A program without the network stack
// gets none; in a pod's (or any given) namespace the guest gets a tap with
// the namespace's address, unless another unikernel of the pod has it;
// otherwise QEMU's user networking (outbound NAT).
func (t *task) network(spec *specs.Spec, g *guest, img string, cfg *qemu.Config) ([]string, error) {
	if has, err := hasNetStack(img); err != nil || !has {
		return nil, err // a program without sockets needs no NIC
	}
	ns, _ := netNSPath(spec)
	if ns != "" {
		withRange, err := takesPortRange(img)
		if err != nil {
			return nil, err
		}
		p, err := setupPodNet(ns, t.id, g.ports, withRange)
		switch {
		case err == errPodNetTaken:
			t.notes = append(t.notes, err.Error()+": this guest has no network")
			return nil, nil
		case err != nil:
			return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "%s: pod network: %v", t.id, err)
		}
		t.state.Net = p
		if !p.First && len(p.Ports) == 0 {
			t.notes = append(t.notes, fmt.Sprintf("this container declares no ports (image ExposedPorts or the annotation %s) and is not the pod's first unikernel: only the replies to its own connections reach it", AnnotationPorts))
		}
		cfg.Net = &qemu.Net{Mode: "tap", Tap: p.Tap, MAC: p.MAC}
		return p.kernelArgs(g.dns), nil
	}
	cfg.Net = &qemu.Net{Mode: "user", MAC: qemu.RandomMAC()}
	return []string{"unigo.net.ip=" + qemu.UserGuestIP, "unigo.net.gw=" + qemu.UserGateway, "unigo.net.dns=" + qemu.UserDNS}, nil
}

// openIO opens where the container's output goes: the FIFOs containerd
// reads (CRI, ctr run), or a file:// log URI (ctr run --log-uri), with
// stdout and stderr in the same file.
func (t *task) openIO(ctx context.Context) error {
	if u, err := url.Parse(t.stdout); err == nil && u.Scheme != "" && u.Scheme != "fifo" {
		if u.Scheme != "file" {
			return errdefs.ToGRPCf(errdefs.ErrNotImplemented, "log URI %s: only file:// and FIFOs are supported", t.stdout)
		}
		if err := os.MkdirAll(filepath.Dir(u.Path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(u.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return err
		}
		t.out, t.errOut = f, nopCloser{f}
		return nil
	}
	open := func(p string) (io.WriteCloser, error) {
		if p == "" {
			return nopCloser{io.Discard}, nil
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		w, err := fifo.OpenFifo(ctx, p, syscall.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", p, err)
		}
		return w, nil
	}
	var err error
	if t.out, err = open(t.stdout); err != nil {
		return err
	}
	if t.stderr == t.stdout {
		t.errOut = nopCloser{t.out}
		return nil
	}
	t.errOut, err = open(t.stderr)
	return err
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// save writes the state file into the bundle.
func (t *task) save() error {
	return writeJSON(filepath.Join(t.bundle, stateName), &t.state)
}

// Start boots the guest.
func (s *service) Start(ctx context.Context, r *taskapi.StartRequest) (*taskapi.StartResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if r.ExecID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "exec: a unikernel has one process")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.status != tasktypes.Status_CREATED {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "task %s is %s, not created", t.id, t.status)
	}
	qlog, err := os.OpenFile(filepath.Join(t.state.Work, "qemu.log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		qlog.Close()
		return nil, err
	}
	cmd := exec.Command(t.qemuPath, t.qemuArgs...)
	cmd.Stdout, cmd.Stderr = pw, qlog
	cmd.Dir = t.state.Work
	// Its own process group: signals to the shim do not reach QEMU.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		qlog.Close()
		return nil, errdefs.ToGRPCf(errdefs.ErrUnknown, "starting QEMU: %v", err)
	}
	pw.Close()
	t.cmd, t.pid, t.status, t.startedAt = cmd, cmd.Process.Pid, tasktypes.Status_RUNNING, time.Now()
	t.state.QEMU, _ = machine.ProcOf(t.pid)
	if t.cgroup != "" {
		if err := joinCgroup(t.cgroup, t.resources, t.pid); err != nil {
			fmt.Fprintf(t.errOut, "unigo: QEMU stays outside the container's cgroup %s: %v\n", t.cgroup, err)
		} else {
			t.state.Cgroup = t.cgroup
		}
	}
	if err := t.save(); err != nil {
		log.G(ctx).WithError(err).Warn("saving the shim state")
	}
	tail := &tail{}
	go func() {
		io.Copy(io.MultiWriter(t.out, tail), pr)
		pr.Close()
		close(t.consoleDone)
	}()
	go s.reap(t, cmd, qlog, tail)
	s.send(runtime.TaskStartEventTopic, &eventstypes.TaskStart{ContainerID: t.id, Pid: uint32(t.pid)})
	return &taskapi.StartResponse{Pid: uint32(t.pid)}, nil
}

// reap waits for QEMU, turns its end into the task's exit status and
// publishes it.
func (s *service) reap(t *task, cmd *exec.Cmd, qlog *os.File, tl *tail) {
	cmd.Wait()
	select {
	case <-t.consoleDone:
	case <-time.After(2 * time.Second): // a QEMU child still holds the pipe
	}
	status, msg := exitStatus(cmd.ProcessState, readFile(qlog), tl.lines())
	qlog.Close()
	if msg != "" {
		fmt.Fprintf(t.errOut, "unigo: %s\n", msg)
	}
	t.out.Close()
	t.errOut.Close()
	s.mu.Lock()
	t.status, t.exitStatus, t.exitedAt = tasktypes.Status_STOPPED, uint32(status), time.Now()
	close(t.exited)
	s.mu.Unlock()
	s.send(runtime.TaskExitEventTopic, &eventstypes.TaskExit{
		ContainerID: t.id, ID: t.id, Pid: uint32(t.pid), ExitStatus: uint32(status), ExitedAt: timestamppb.New(t.exitedAt),
	})
}

// exitStatus turns QEMU's end into the container's exit status and, when
// the guest did not exit by itself, a message for its stderr.
func exitStatus(ps *os.ProcessState, qemuStderr string, console []string) (int, string) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), fmt.Sprintf("the VMM was killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	out := qemu.Decode(ps.ExitCode(), qemuStderr)
	switch out.Kind {
	case qemu.GuestExited:
		return qemu.FullStatus(out.Status, console), ""
	case qemu.NoStatus:
		return 255, "the guest stopped without an exit status (reset or triple fault)"
	}
	return 255, "QEMU failed: " + out.Message
}

// Kill sends a signal: SIGKILL kills QEMU; any other signal presses the
// guest's ACPI power button, which the unigo kernel turns into SIGTERM for
// the program.
func (s *service) Kill(ctx context.Context, r *taskapi.KillRequest) (*emptypb.Empty, error) {
	t, err := s.getProcess(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	status, pid := t.status, t.pid
	if status == tasktypes.Status_CREATED {
		// Never started: it ends here, killed.
		t.status, t.exitStatus, t.exitedAt = tasktypes.Status_STOPPED, 128+uint32(syscall.SIGKILL), time.Now()
		close(t.exited)
		t.out.Close()
		t.errOut.Close()
		s.mu.Unlock()
		s.send(runtime.TaskExitEventTopic, &eventstypes.TaskExit{ContainerID: t.id, ID: t.id, ExitStatus: t.exitStatus, ExitedAt: timestamppb.New(t.exitedAt)})
		return &emptypb.Empty{}, nil
	}
	s.mu.Unlock()
	if status == tasktypes.Status_STOPPED {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "process already finished")
	}
	if syscall.Signal(r.Signal) == syscall.SIGKILL {
		syscall.Kill(-pid, syscall.SIGKILL)
		return &emptypb.Empty{}, nil
	}
	// QEMU creates its QMP socket a moment after it starts: a kill right
	// after Start waits for it.
	sock := filepath.Join(t.state.Work, "qmp.sock")
	err = qemu.Powerdown(sock)
	for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); {
		select {
		case <-t.exited:
			return &emptypb.Empty{}, nil
		case <-time.After(50 * time.Millisecond):
		}
		err = qemu.Powerdown(sock)
	}
	if err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrUnavailable, "signal %d: pressing the guest's power button: %v", r.Signal, err)
	}
	return &emptypb.Empty{}, nil
}

// Wait waits for the guest to end.
func (s *service) Wait(ctx context.Context, r *taskapi.WaitRequest) (*taskapi.WaitResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.exited:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &taskapi.WaitResponse{ExitStatus: t.exitStatus, ExitedAt: timestamppb.New(t.exitedAt)}, nil
}

// State reports the task.
func (s *service) State(ctx context.Context, r *taskapi.StateRequest) (*taskapi.StateResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &taskapi.StateResponse{
		ID: t.id, Bundle: t.bundle, Pid: uint32(t.pid), Status: t.status,
		Stdin: t.stdin, Stdout: t.stdout, Stderr: t.stderr, Terminal: t.terminal,
		ExitStatus: t.exitStatus, ExitedAt: timestamppb.New(t.exitedAt),
	}, nil
}

// Delete removes a task that is not running.
func (s *service) Delete(ctx context.Context, r *taskapi.DeleteRequest) (*taskapi.DeleteResponse, error) {
	t, err := s.getProcess(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if t.status == tasktypes.Status_RUNNING {
		s.mu.Unlock()
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "task %s is running: kill it first", t.id)
	}
	if t.status == tasktypes.Status_CREATED {
		t.out.Close()
		t.errOut.Close()
		t.exitedAt = time.Now()
	}
	s.t = nil
	s.mu.Unlock()
	t.cleanup(ctx)
	s.send(runtime.TaskDeleteEventTopic, &eventstypes.TaskDelete{
		ContainerID: t.id, ID: t.id, Pid: uint32(t.pid), ExitStatus: t.exitStatus, ExitedAt: timestamppb.New(t.exitedAt),
	})
	return &taskapi.DeleteResponse{Pid: uint32(t.pid), ExitStatus: t.exitStatus, ExitedAt: timestamppb.New(t.exitedAt)}, nil
}

// cleanup removes what Create made: the guest's QEMU if it still runs,
// the tap and redirect, the root file system mount, the scratch files.
func (t *task) cleanup(ctx context.Context) {
	t.state.clean(ctx)
	os.Remove(filepath.Join(t.bundle, stateName))
}

func (st *stateFile) clean(ctx context.Context) {
	if st.QEMU.Signal(syscall.SIGKILL) {
		for i := 0; i < 250 && st.QEMU.Alive(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if st.Net != nil {
		st.Net.teardown()
	}
	if st.Cgroup != "" {
		removeCgroup(st.Cgroup)
	}
	if st.Rootfs != "" {
		if err := mount.UnmountAll(st.Rootfs, 0); err != nil {
			log.G(ctx).WithError(err).Warn("unmounting the root file system")
		}
	}
	if st.Work != "" {
		os.RemoveAll(st.Work)
	}
}

// Pids lists the task's one process: QEMU.
func (s *service) Pids(ctx context.Context, r *taskapi.PidsRequest) (*taskapi.PidsResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.pid == 0 {
		return &taskapi.PidsResponse{}, nil
	}
	return &taskapi.PidsResponse{Processes: []*tasktypes.ProcessInfo{{Pid: uint32(t.pid)}}}, nil
}

// Connect reports the shim's and the guest's process ids.
func (s *service) Connect(ctx context.Context, r *taskapi.ConnectRequest) (*taskapi.ConnectResponse, error) {
	resp := &taskapi.ConnectResponse{ShimPid: uint32(os.Getpid()), Version: RuntimeName}
	if t, err := s.get(r.ID); err == nil {
		s.mu.Lock()
		resp.TaskPid = uint32(t.pid)
		s.mu.Unlock()
	}
	return resp, nil
}

// Shutdown ends the shim once its task is deleted.
func (s *service) Shutdown(ctx context.Context, r *taskapi.ShutdownRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	busy := s.t != nil
	s.mu.Unlock()
	if busy && !r.Now {
		return &emptypb.Empty{}, nil
	}
	// Publish what is queued (the task's delete) before going away.
	s.closing.Do(func() {
		s.evmu.Lock()
		s.closed = true
		close(s.events)
		s.evmu.Unlock()
		select {
		case <-s.forwarded:
		case <-time.After(5 * time.Second):
		}
	})
	s.shutdown()
	return &emptypb.Empty{}, nil
}

// Stats are not reported yet.
func (s *service) Stats(ctx context.Context, r *taskapi.StatsRequest) (*taskapi.StatsResponse, error) {
	return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "stats of a unikernel")
}

// Pause is not supported.
func (s *service) Pause(ctx context.Context, r *taskapi.PauseRequest) (*emptypb.Empty, error) {
	return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "pause of a unikernel")
}

// Resume is not supported.
func (s *service) Resume(ctx context.Context, r *taskapi.ResumeRequest) (*emptypb.Empty, error) {
	return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "resume of a unikernel")
}

// Checkpoint is not supported.
func (s *service) Checkpoint(ctx context.Context, r *taskapi.CheckpointTaskRequest) (*emptypb.Empty, error) {
	return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "checkpoint of a unikernel")
}

// Exec is not supported: a unikernel runs one program.
func (s *service) Exec(ctx context.Context, r *taskapi.ExecProcessRequest) (*emptypb.Empty, error) {
	return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "exec: a unikernel runs one program")
}

// ResizePty does nothing: the guest console is not a terminal.
func (s *service) ResizePty(ctx context.Context, r *taskapi.ResizePtyRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// CloseIO does nothing: the guest reads no standard input.
func (s *service) CloseIO(ctx context.Context, r *taskapi.CloseIORequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Update accepts resource updates it cannot apply to a running guest.
func (s *service) Update(ctx context.Context, r *taskapi.UpdateTaskRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
