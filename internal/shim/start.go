package shim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/protobuf/proto"
	"github.com/containerd/containerd/runtime/v2/shim"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unigo.dev/unigo/internal/image"
)

// RuncShim is the shim that runs images that are not unigo images.
const RuncShim = "containerd-shim-runc-v2"

// StartShim is the "start" action: containerd runs it in the bundle
// directory and wants the address of the shim that will serve the task on
// standard output. A unigo image gets a new shim process (this binary
// again, serving on a socket passed as fd 3); any other image is handed to
// runc's shim, which answers for the task from then on.
func (s *service) StartShim(ctx context.Context, opts shim.StartOpts) (string, error) {
	spec, err := readSpec(".")
	if err != nil {
		return "", fmt.Errorf("reading the bundle: %w", err)
	}
	if !IsUnigo(spec) {
		return delegate("start")
	}
	io.Copy(io.Discard, os.Stdin) // runtime options: none are used
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	address, err := shim.SocketAddress(ctx, opts.Address, opts.ID)
	if err != nil {
		return "", err
	}
	socket, err := shim.NewSocket(address)
	if err != nil {
		if !shim.SocketEaddrinuse(err) {
			return "", fmt.Errorf("creating the shim socket: %w", err)
		}
		if shim.CanConnect(address) {
			return "", fmt.Errorf("a shim already serves task %s at %s", opts.ID, address)
		}
		if err := shim.RemoveSocket(address); err != nil {
			return "", fmt.Errorf("removing a stale shim socket: %w", err)
		}
		if socket, err = shim.NewSocket(address); err != nil {
			return "", fmt.Errorf("creating the shim socket: %w", err)
		}
	}
	// The listener is not closed: closing it would unlink the socket the
	// new shim serves on.
	f, err := socket.File()
	if err != nil {
		socket.Close()
		return "", err
	}
	defer f.Close()
	args := []string{"-namespace", ns, "-id", opts.ID, "-address", opts.Address}
	if opts.Debug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, args...)
	cmd.Dir, _ = os.Getwd()
	cmd.Env = append(os.Environ(), addressEnv+"="+opts.Address)
	cmd.ExtraFiles = []*os.File{f}
	// Its own process group: containerd's signals are not the guest's.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		shim.RemoveSocket(address)
		return "", err
	}
	go cmd.Wait()
	if err := shim.WriteAddress("address", address); err != nil {
		cmd.Process.Kill()
		shim.RemoveSocket(address)
		return "", err
	}
	return address, nil
}

// delegate runs runc's shim for action with this invocation's flags,
// standard input and bundle, and returns what it printed.
func delegate(action string) (string, error) {
	bin, err := exec.LookPath(RuncShim)
	if err != nil {
		return "", fmt.Errorf("%s is needed for images that are not unigo images: %v: install runc and containerd", RuncShim, err)
	}
	cmd := exec.Command(bin, os.Args[1:]...)
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w", RuncShim, action, err)
	}
	return out.String(), nil
}

// Cleanup is the "delete" action, run by containerd in the bundle
// directory when the shim is gone: it kills the guest's QEMU if it still
// runs and removes the tap, the mount and the scratch files.
func (s *service) Cleanup(ctx context.Context) (*taskapi.DeleteResponse, error) {
	if spec, err := readSpec("."); err == nil && !IsUnigo(spec) {
		out, err := delegate("delete")
		if err != nil {
			return nil, err
		}
		var r taskapi.DeleteResponse
		if err := proto.Unmarshal([]byte(out), &r); err != nil {
			return nil, fmt.Errorf("%s delete: %w", RuncShim, err)
		}
		return &r, nil
	}
	var st stateFile
	if b, err := os.ReadFile(stateName); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("%s: %w", stateName, err)
		}
	}
	pid := st.QEMU.PID
	st.clean(ctx)
	os.Remove(stateName)
	return &taskapi.DeleteResponse{Pid: uint32(pid), ExitStatus: 128 + uint32(syscall.SIGKILL), ExitedAt: timestamppb.New(time.Now())}, nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readFile(f *os.File) string {
	f.Seek(0, io.SeekStart)
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return string(b)
}

func hasNetStack(img string) (bool, error) { return image.HasNetStack(img) }

// takesPortRange reports whether the kernel in img understands
// unigo.net.ports (kernels from before it reject unknown unigo.net.*
// parameters and would boot without a network).
func takesPortRange(img string) (bool, error) {
	b, err := os.ReadFile(img)
	if err != nil {
		return false, err
	}
	return bytes.Contains(b, []byte("unigo.net.ports=")), nil
}

// tail keeps the end of the console output, for the exit status line.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4096

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
}
