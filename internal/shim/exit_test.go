package shim

import (
	"os/exec"
	"strings"
	"testing"
)

// TestExitStatus: how QEMU's end becomes the container's exit status.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name    string
		script  string // sh -c: how "QEMU" ends
		stderr  string
		console []string
		want    int
		msg     string // a substring of the message; "" for none
	}{
		{"guest exit 0", "exit 1", "", nil, 0, ""},
		{"guest exit 7", "exit 15", "", nil, 7, ""},
		{"guest exit 139", "exit 23", "", []string{"exit: status 139"}, 139, ""},
		{"QEMU error", "exit 1", "qemu-system-x86_64: -kernel x: No such file", nil, 255, "QEMU failed: qemu-system-x86_64: -kernel x"},
		{"reset", "exit 0", "", nil, 255, "without an exit status"},
		{"killed", "kill -9 $$", "", nil, 137, "killed by signal 9"},
	}
	for _, tt := range tests {
		cmd := exec.Command("sh", "-c", tt.script)
		cmd.Run()
		got, msg := exitStatus(cmd.ProcessState, tt.stderr, tt.console)
		if got != tt.want || (tt.msg == "") != (msg == "") || !strings.Contains(msg, tt.msg) {
			t.Errorf("%s: exitStatus = %d, %q; want %d, %q", tt.name, got, msg, tt.want, tt.msg)
		}
	}
}
