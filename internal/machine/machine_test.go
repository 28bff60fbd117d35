package machine

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"web", "a", "web-1.2_x", "W3"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v; want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "-web", "a/b", "a b", "../x", "é", string(make([]byte, 64))} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) = nil; want error", bad)
		}
	}
}

func TestCreateGetRemove(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	web := &Machine{Name: "web", Image: "web.img"}
	if err := s.Create(web, "ignored"); err != nil {
		t.Fatal(err)
	}
	if web.State != Created || len(web.ID) != 12 {
		t.Errorf("Create: state %q id %q; want created and a 12-digit id", web.State, web.ID)
	}
	// The same name again: refused, nothing added.
	if err := s.Create(&Machine{Name: "web"}, ""); !errors.Is(err, ErrNameInUse) {
		t.Errorf("Create(duplicate name) = %v; want ErrNameInUse", err)
	}
	if err := s.Create(&Machine{Name: "bad/name"}, ""); err == nil {
		t.Error("Create(bad/name) succeeded")
	}
	anon := &Machine{}
	if err := s.Create(anon, "hello.img"); err != nil {
		t.Fatal(err)
	}
	if want := "hello.img-" + anon.ID[:4]; anon.Name != want {
		t.Errorf("generated name = %q; want %q", anon.Name, want)
	}
	all, err := s.List()
	if err != nil || len(all) != 2 {
		t.Fatalf("List = %d machines, %v; want 2", len(all), err)
	}
	for _, ref := range []string{"web", web.ID, web.ID[:5]} {
		if m, err := s.Get(ref); err != nil || m.ID != web.ID {
			t.Errorf("Get(%q) = %v, %v; want web", ref, m, err)
		}
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope) = %v; want ErrNotFound", err)
	}
	if err := s.Update(web.ID, func(m *Machine) error { m.State = Exited; return nil }); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Get("web"); m.State != Exited {
		t.Errorf("after Update, state = %q", m.State)
	}
	if err := s.Remove(web.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), web.ID)); !os.IsNotExist(err) {
		t.Errorf("Remove left %s behind", web.ID)
	}
	if err := s.Remove(web.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove = %v; want ErrNotFound", err)
	}
	if err := s.Update(web.ID, func(*Machine) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(removed) = %v; want ErrNotFound", err)
	}
}

// TestConcurrentCreate: creators racing for names never both win, and
// every machine is recorded once.
func TestConcurrentCreate(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			name := fmt.Sprintf("m%d", i%20) // each name wanted twice
			errs[i] = s.Create(&Machine{Name: name}, "")
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrNameInUse):
			t.Errorf("Create: %v", err)
		}
	}
	all, _ := s.List()
	if won != 20 || len(all) != 20 {
		t.Errorf("%d creates succeeded, %d machines listed; want 20 and 20", won, len(all))
	}
}

func TestObserve(t *testing.T) {
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer sleep.Process.Kill()
	live, err := ProcOf(sleep.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := ProcOf(os.Getpid())
	tests := []struct {
		name  string
		m     Machine
		want  State
		known bool
	}{
		{"running", Machine{State: Running, Process: live}, Running, true},
		{"pid reused", Machine{State: Running, Process: Proc{PID: live.PID, StartTime: live.StartTime + 1, BootID: live.BootID}}, Exited, false},
		{"rebooted", Machine{State: Running, Process: Proc{PID: self.PID, StartTime: self.StartTime, BootID: "00000000-0000-0000-0000-000000000000"}}, Exited, false},
		{"no such pid", Machine{State: Running, Process: Proc{PID: 1 << 22, StartTime: 1, BootID: live.BootID}}, Exited, false},
		{"exited stays", Machine{State: Exited, ExitCode: new(int)}, Exited, true},
		{"created, supervisor alive", Machine{State: Created, Supervisor: live}, Created, true},
		{"created, supervisor dead", Machine{State: Created, Supervisor: Proc{PID: 1 << 22, BootID: live.BootID}}, Exited, false},
	}
	for _, tt := range tests {
		m := tt.m
		m.Observe()
		if m.State != tt.want {
			t.Errorf("%s: Observe() state = %q; want %q", tt.name, m.State, tt.want)
		}
		if tt.want == Exited && !tt.known && (m.ExitCode != nil || m.Reason == "") {
			t.Errorf("%s: exit code %v, reason %q; want unknown code and a reason", tt.name, m.ExitCode, m.Reason)
		}
	}
	// A killed process is dead at once, even before its parent reaps it.
	sleep.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for live.Alive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if live.Alive() {
		t.Error("a SIGKILLed (zombie) process is still alive")
	}
	sleep.Wait()
}
