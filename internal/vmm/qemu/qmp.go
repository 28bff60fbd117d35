package qemu

import (
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// Powerdown asks the guest to shut down through QEMU's QMP socket at path:
// system_powerdown presses the ACPI power button, which the unigo kernel
// turns into SIGTERM for the program.
func Powerdown(path string) error {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return fmt.Errorf("qmp: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	dec := json.NewDecoder(conn)
	enc := json.NewEncoder(conn)
	var greeting map[string]any
	if err := dec.Decode(&greeting); err != nil {
		return fmt.Errorf("qmp greeting: %w", err)
	}
	for _, cmd := range []string{"qmp_capabilities", "system_powerdown"} {
		if err := enc.Encode(map[string]string{"execute": cmd}); err != nil {
			return fmt.Errorf("qmp %s: %w", cmd, err)
		}
		for {
			var reply map[string]json.RawMessage
			if err := dec.Decode(&reply); err != nil {
				return fmt.Errorf("qmp %s: %w", cmd, err)
			}
			if e, ok := reply["error"]; ok {
				return fmt.Errorf("qmp %s: %s", cmd, e)
			}
			if _, ok := reply["return"]; ok {
				break
			}
			// An asynchronous event: keep reading for the reply.
		}
	}
	return nil
}
