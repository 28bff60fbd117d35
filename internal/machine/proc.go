package machine

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procRoot is where /proc is; tests point it at a fake tree.
var procRoot = "/proc"

// BootID returns the host's boot id, which changes at every boot.
func BootID() string {
	b, err := os.ReadFile(procRoot + "/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// statOf returns the state letter and start time of pid from
// /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func statOf(pid int) (state byte, start uint64, err error) {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); field 22 (starttime) is f[19].
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: start time: %w", pid, err)
	}
	return f[0][0], start, nil
}

// ProcOf identifies the running process pid.
func ProcOf(pid int) (Proc, error) {
	_, start, err := statOf(pid)
	if err != nil {
		return Proc{}, err
	}
	return Proc{PID: pid, StartTime: start, BootID: BootID()}, nil
}

// Alive reports whether p is still the same process and has not exited
// (a zombie is dead: it only waits for its parent to collect its status).
func (p Proc) Alive() bool {
	if p.PID <= 0 || p.BootID == "" || p.BootID != BootID() {
		return false
	}
	state, start, err := statOf(p.PID)
	return err == nil && start == p.StartTime && state != 'Z' && state != 'X'
}

// Signal sends sig to p if it is still alive; it reports whether it did.
func (p Proc) Signal(sig syscall.Signal) bool {
	if !p.Alive() {
		return false
	}
	return syscall.Kill(p.PID, sig) == nil
}
