package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"unigo.dev/unigo/internal/machine"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// detachFlags are the flags of run -d.
type detachFlags struct {
	detach   bool
	name     string
	stateDir *string
}

func (d *detachFlags) register(fs *flagSet) {
	fs.BoolVar(&d.detach, "d", false, "detach: start the machine in the background, print its name and return (see unigo ps, logs, stop, rm)")
	fs.BoolVar(&d.detach, "detach", false, "same as -d")
	fs.StringVar(&d.name, "name", "", "with -d, the machine's `name` (default: made from the image name)")
	d.stateDir = stateFlag(fs)
}

// detached carries a machine being started by run -d through [env.boot].
type detached struct {
	store   *machine.Store
	root    string // state root, for the supervisor
	m       *machine.Machine
	qmp     string // QEMU's QMP socket in the machine directory
	started bool   // the supervisor owns the machine now
}

// supervisorReadyTimeout bounds how long run -d waits for QEMU to come up.
const supervisorReadyTimeout = 60 * time.Second

// newDetached records a new machine for target (before it is built, so
// that a name in use is refused at once).
func (e *env) newDetached(d *detachFlags, target string) (*detached, int) {
	if d.name != "" {
		if err := machine.CheckName(d.name); err != nil {
			return nil, e.errorf(ExitUsage, "unigo: run --name: %v", err)
		}
	}
	store, root, err := e.machines(*d.stateDir)
	if err != nil {
		return nil, e.errorf(ExitError, "%v", err)
	}
	base := strings.TrimSuffix(filepath.Base(strings.TrimRight(target, "/")), ".img")
	if i := strings.LastIndexAny(base, ":@"); i > 0 {
		base = base[:i]
	}
	if base == "." || base == "" {
		if wd, err := os.Getwd(); err == nil {
			base = filepath.Base(wd)
		}
	}
	m := &machine.Machine{Name: d.name, Image: target}
	// Until the supervisor takes over, this process answers for the
	// machine: if it dies while building, ps shows the machine as exited.
	m.Supervisor, _ = machine.ProcOf(os.Getpid())
	if err := store.Create(m, base); err != nil {
		if errors.Is(err, machine.ErrNameInUse) {
			return nil, e.errorf(ExitError, "unigo: run: the name %q is already in use by a machine: pick another --name, or remove it with 'unigo rm -f %s'", d.name, d.name)
		}
		return nil, e.errorf(ExitError, "unigo: run: %v", err)
	}
	qmp := store.Path(m.ID, "qmp.sock")
	if len(qmp) >= 108 { // sizeof(sockaddr_un.sun_path)
		store.Remove(m.ID)
		return nil, e.errorf(ExitUsage, "unigo: state directory %s is too deep for a QMP socket path (%d bytes, limit 107): use a shorter --state-dir", store.Dir(), len(qmp))
	}
	return &detached{store: store, root: root, m: m, qmp: qmp}, 0
}

// abandon removes the machine record unless a supervisor took it over.
func (d *detached) abandon() {
	if d != nil && !d.started {
		d.store.Remove(d.m.ID)
	}
}

// copyImage copies the image into the machine directory, so that the
// machine keeps booting what it was started with, and hashes it.
func (d *detached) copyImage(image string) (string, error) {
	dst := d.store.Path(d.m.ID, "image")
	in, err := os.Open(image)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	d.m.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return dst, err
}

// start hands the prepared QEMU command to a supervisor process and waits
// until QEMU is up. It is called by [env.boot] in place of running QEMU.
func (d *detached) start(e *env, f *vmFlags, proc *qemu.Process, env []string, args []string) int {
	m := d.m
	if err := d.store.Update(m.ID, func(r *machine.Machine) error {
		r.Digest = m.Digest
		r.Args, r.Env = append([]string{}, args...), append([]string{}, env...)
		r.Ports = []string{}
		for _, p := range f.net.publish {
			if fw, err := qemu.ParseForward(p); err == nil {
				r.Ports = append(r.Ports, fw.String())
			}
		}
		r.MemoryMiB, r.CPUs = int(f.mem), f.smp
		r.VMM = "qemu/" + f.machine
		r.Command = append([]string{proc.Path}, proc.Args...)
		r.Dir, _ = os.Getwd()
		return nil
	}); err != nil {
		return e.errorf(ExitError, "unigo: run: recording machine %s: %v", m.Name, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return e.errorf(ExitError, "unigo: run -d: cannot find the unigo executable to supervise the machine: %v", err)
	}
	logf, err := os.OpenFile(d.store.Path(m.ID, "supervisor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return e.errorf(ExitError, "unigo: run -d: %v", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return e.errorf(ExitError, "unigo: run -d: %v", err)
	}
	defer r.Close()
	cmd := exec.Command(exe, "__supervise", "--state-dir", d.root, m.ID)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // fd 3: the readiness pipe
	// Its own session: no terminal, no terminal signals, and it outlives us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		w.Close()
		return e.errorf(ExitError, "unigo: run -d: starting the supervisor: %v", err)
	}
	w.Close()
	d.started = true
	pid := cmd.Process.Pid
	cmd.Process.Release()

	reply := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		reply <- strings.TrimSpace(line)
	}()
	var msg string
	select {
	case msg = <-reply:
	case <-time.After(supervisorReadyTimeout):
		msg = fmt.Sprintf("error: QEMU did not come up within %v", supervisorReadyTimeout)
	}
	switch {
	case msg == "ok":
		fmt.Fprintln(e.stdout, m.Name)
		return 0
	case msg == "":
		msg = fmt.Sprintf("error: the supervisor (pid %d) died; see %s", pid, d.store.Path(m.ID, "supervisor.log"))
	}
	// The machine never ran: leave no trace of it.
	if p, err := machine.ProcOf(pid); err == nil {
		p.Signal(syscall.SIGKILL)
	}
	if r, err := d.store.Get(m.ID); err == nil {
		r.Process.Signal(syscall.SIGKILL)
	}
	d.store.Remove(m.ID)
	return e.errorf(ExitQEMUFailed, "unigo: run -d: %s\n  command: %s", strings.TrimPrefix(msg, "error: "), proc.CommandLine())
}

// check refuses flags that make no sense with or without -d.
func (d *detachFlags) check(e *env, f *vmFlags) (int, bool) {
	if !d.detach {
		if d.name != "" {
			return e.errorf(ExitUsage, "unigo: run --name %s: names are for detached machines: add -d", d.name), false
		}
		return 0, true
	}
	switch {
	case f.gdb:
		return e.errorf(ExitUsage, "unigo: run -d --gdb: a detached machine cannot wait for a debugger: drop -d"), false
	case f.timeout != 0:
		return e.errorf(ExitUsage, "unigo: run -d --timeout: a detached machine runs until it exits or 'unigo stop': drop --timeout"), false
	}
	return 0, true
}

// takeImage copies image into the machine directory and returns the copy.
func (d *detached) takeImage(e *env, image string) (string, int) {
	img, err := d.copyImage(image)
	if err != nil {
		return "", e.errorf(ExitError, "unigo: run -d: copying the image %s: %v", image, err)
	}
	return img, 0
}
