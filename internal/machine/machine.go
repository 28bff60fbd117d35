// Package machine keeps the state of detached unigo machines (unigo run -d)
// on the host: what each machine is, whether it runs, how it ended.
//
// # Layout
//
// A [Store] is a directory (by default $XDG_STATE_HOME/unigo/machines):
//
//	lock                 flock(2)ed exclusively by every writer
//	<id>/machine.json    the [Machine] record, replaced atomically (rename)
//	<id>/image           the image the machine boots (a private copy)
//	<id>/console.log     the guest console, written by QEMU from its first byte
//	<id>/qemu.log        QEMU's own standard error
//	<id>/supervisor.log  the supervisor's messages
//	<id>/qmp.sock        QEMU's QMP socket (stop presses the power button here)
//
// Writers (create, the supervisor's state changes, rm) hold the lock;
// readers (ps, inspect, logs) need none because a record is never seen
// half-written.
//
// # Truth
//
// A record says what its writer last knew. [Machine.Observe] turns it into
// what is true now: a machine recorded as running whose VMM process is gone
// is reported as exited. A process is identified by its pid, its start time
// (field 22 of /proc/PID/stat) and the host's boot id
// (/proc/sys/kernel/random/boot_id), so neither a reused pid nor a reboot
// makes a dead machine look alive.
package machine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// State is a machine's life stage.
type State string

// Machine states.
const (
	Created State = "created" // recorded; the supervisor has not started QEMU yet
	Running State = "running" // QEMU runs the guest
	Exited  State = "exited"  // the guest stopped (ExitCode, Reason)
)

// Proc identifies a host process across pid reuse and reboots.
type Proc struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"` // clock ticks after boot, /proc/PID/stat field 22
	BootID    string `json:"boot_id"`
}

// Machine is the record of one machine.
type Machine struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Image     string    `json:"image"`  // what the user asked for: an image file, a package or an OCI reference
	Digest    string    `json:"digest"` // sha256 of the booted image
	Args      []string  `json:"args"`   // program arguments
	Env       []string  `json:"env"`
	MemoryMiB int       `json:"memory_mib"`
	CPUs      int       `json:"cpus"`
	VMM       string    `json:"vmm"` // "qemu/<machine type>"
	Ports     []string  `json:"ports"`
	Command   []string  `json:"command"` // the VMM command line (path and arguments)
	Dir       string    `json:"dir"`     // where run -d ran: relative paths in Command are relative to it
	Created   time.Time `json:"created"`

	State      State     `json:"state"`
	Started    time.Time `json:"started,omitzero"`
	Finished   time.Time `json:"finished,omitzero"`
	ExitCode   *int      `json:"exit_code,omitempty"` // the guest's exit status; nil when unknown
	Reason     string    `json:"reason,omitempty"`    // how it ended, in words
	Supervisor Proc      `json:"supervisor"`
	Process    Proc      `json:"process"` // the VMM process
}

// Errors of the store.
var (
	ErrNotFound  = errors.New("no such machine")
	ErrNameInUse = errors.New("name already in use")
	ErrAmbiguous = errors.New("ambiguous machine id prefix")
)

// nameRE is what a machine name may be: it becomes part of no path, but it
// is typed on command lines and printed in tables.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)

// CheckName reports whether name is a valid machine name.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid machine name %q: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Store is a directory of machine records.
type Store struct {
	dir string
}

// Open opens (creating it if needed) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("machine state directory: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the path of file in machine id's directory.
func (s *Store) Path(id, file string) string { return filepath.Join(s.dir, id, file) }

const recordFile = "machine.json"

// lock takes the store's exclusive lock; the returned function releases it.
func (s *Store) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("machine state lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("machine state lock: %w", err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}

// Create records m as a new machine: it checks that m.Name is free (a name
// is made up from base when m.Name is empty), gives it an ID and creates
// its directory. m.State becomes Created.
func (s *Store) Create(m *Machine, base string) error {
	if m.Name != "" {
		if err := CheckName(m.Name); err != nil {
			return err
		}
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := s.list()
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for _, o := range all {
		taken[o.Name] = true
	}
	if m.Name != "" && taken[m.Name] {
		return fmt.Errorf("%w: %s", ErrNameInUse, m.Name)
	}
	m.ID = newID()
	if m.Name == "" {
		m.Name = makeName(base, m.ID, taken)
	}
	m.State = Created
	if m.Created.IsZero() {
		m.Created = time.Now().UTC()
	}
	if err := os.Mkdir(filepath.Join(s.dir, m.ID), 0o700); err != nil {
		return err
	}
	return s.write(m)
}

// makeName derives a free name from base (an image or package name).
func makeName(base, id string, taken map[string]bool) string {
	b := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, base)
	b = strings.Trim(b, "-_.")
	if len(b) > 40 {
		b = b[:40]
	}
	if b == "" {
		b = "machine"
	}
	for n := 4; n <= len(id); n++ {
		if name := b + "-" + id[:n]; !taken[name] {
			return name
		}
	}
	return b + "-" + id
}

func newID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// write replaces m's record atomically. Preconditions: the lock is held.
func (s *Store) write(m *Machine) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(s.dir, m.ID)
	tmp, err := os.CreateTemp(dir, ".machine-*.json")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, recordFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// Update applies fn to machine id's record under the lock and writes it
// back. It returns ErrNotFound when the machine has been removed.
func (s *Store) Update(id string, fn func(m *Machine) error) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.read(id)
	if err != nil {
		return err
	}
	if err := fn(m); err != nil {
		return err
	}
	return s.write(m)
}

// Remove deletes machine id's directory and everything in it.
func (s *Store) Remove(id string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(s.dir, id, recordFile)); err != nil {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return os.RemoveAll(filepath.Join(s.dir, id))
}

func (s *Store) read(id string) (*Machine, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, id, recordFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var m Machine
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("machine record %s: %w", filepath.Join(s.dir, id, recordFile), err)
	}
	return &m, nil
}

// list reads every record, oldest first.
func (s *Store) list() ([]*Machine, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []*Machine
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		m, err := s.read(e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // being created or removed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Machine) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// List returns every machine as observed now ([Machine.Observe]), oldest
// first.
func (s *Store) List() ([]*Machine, error) {
	all, err := s.list()
	if err != nil {
		return nil, err
	}
	for i, m := range all {
		if m.State == Running && !m.Process.Alive() && m.Supervisor.Alive() {
			all[i] = s.settle(m)
		}
		all[i].Observe()
	}
	return all, nil
}

// settleTime bounds how long a reader waits for a live supervisor to
// record the end of a guest whose VMM has just died.
const settleTime = 2 * time.Second

// settle re-reads m, whose VMM is gone while its supervisor lives: the
// supervisor is recording the exit status right now. It waits for that
// record (at most settleTime) so that ps and inspect report the real
// status, not an unknown one; a supervisor that stalls or dies meanwhile
// leaves the guess to Observe.
func (s *Store) settle(m *Machine) *Machine {
	deadline := time.Now().Add(settleTime)
	for time.Now().Before(deadline) && m.Supervisor.Alive() {
		time.Sleep(20 * time.Millisecond)
		r, err := s.read(m.ID)
		if err != nil {
			return m
		}
		if r.State != Running {
			return r
		}
	}
	return m
}

// Get finds a machine by name, by ID or by a unique ID prefix, as observed
// now.
func (s *Store) Get(ref string) (*Machine, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.Name == ref || m.ID == ref {
			return m, nil
		}
	}
	var found *Machine
	if len(ref) >= 3 {
		for _, m := range all {
			if strings.HasPrefix(m.ID, ref) {
				if found != nil {
					return nil, fmt.Errorf("%w: %s", ErrAmbiguous, ref)
				}
				found = m
			}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return found, nil
}

// Observe corrects m to what is true now: a machine recorded as created or
// running whose processes are gone has exited, with an unknown status.
func (m *Machine) Observe() {
	switch m.State {
	case Running:
		if !m.Process.Alive() {
			m.State = Exited
			m.ExitCode = nil
			m.Reason = "the VMM process is gone (killed, or the host rebooted); exit status unknown"
		}
	case Created:
		if m.Supervisor.PID != 0 && !m.Supervisor.Alive() {
			m.State = Exited
			m.Reason = "the supervisor died before the guest started"
		}
	}
}
