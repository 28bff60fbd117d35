package kraftfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "Kraftfile")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "rootfs"), 0o755)
	p := write(t, dir, `spec: v0.6
name: web
cmd: ["-listen", ":8080"]
env:
  MODE: prod
  EMPTY: ""
  COPIED:
rootfs: ./rootfs
volumes:
  - ./data:/data
  - source: ./cache
    destination: /cache
    readOnly: true
labels:
  org.example.team: infra
targets:
  - qemu/x86_64
  - platform: fc
    architecture: x86_64
runtime: unikraft.org/base:latest
unikraft:
  version: stable
`)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Path: p, Spec: "v0.6", Name: "web", Cmd: []string{"-listen", ":8080"},
		Env:    []string{"MODE=prod", "EMPTY=", "COPIED"},
		Rootfs: filepath.Join(dir, "rootfs"),
		Volumes: []Volume{{Source: "./data", Destination: "/data"},
			{Source: "./cache", Destination: "/cache", ReadOnly: true}},
		Labels:  map[string]string{"org.example.team": "infra"},
		Targets: []Target{{"qemu", "x86_64"}, {"fc", "x86_64"}},
		Warnings: []string{
			"Kraftfile:20: runtime: ignored: unigo links its own kernel into the Go program; there is no runtime image to load it into",
			"Kraftfile:21: unikraft: ignored: unigo links its own kernel into the Go program; there is no Unikraft core to configure",
			"Kraftfile: targets: fc/x86_64: not supported by unigo; using qemu/x86_64",
		},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

// TestParseErrors: each malformed Kraftfile is refused with its line and
// key named.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"no spec", "name: web\n", "Kraftfile:1: spec: missing"},
		{"bad spec", "spec: v9\n", "Kraftfile:1: spec: unsupported spec \"v9\""},
		{"unknown key", "spec: v0.6\ncommand: [x]\n", "Kraftfile:2: command: unknown key"},
		{"cmd mapping", "spec: v0.6\ncmd:\n  a: b\n", "Kraftfile:3: cmd: want a list, got a mapping"},
		{"cmd nested list", "spec: v0.6\ncmd:\n  - a\n  - [b]\n", "Kraftfile:4: cmd: want a list of strings"},
		{"env scalar", "spec: v0.6\nenv: X=1\n", "Kraftfile:2: env: want a mapping KEY: VALUE or a list"},
		{"env bad entry", "spec: v0.6\nenv:\n  - =1\n", "Kraftfile:3: env: bad entry"},
		{"rootfs missing", "spec: v0.6\nrootfs: ./nope\n", "Kraftfile:2: rootfs: ./nope: no such directory"},
		{"rootfs dockerfile", "spec: v0.6\nrootfs: ./Dockerfile\n", "Kraftfile:2: rootfs: ./Dockerfile: unigo packs a directory, not a Dockerfile"},
		{"bad volume", "spec: v0.6\nvolumes:\n  - justone\n", "Kraftfile:3: volumes: bad volume \"justone\""},
		{"labels list", "spec: v0.6\nlabels: [a]\n", "Kraftfile:2: labels: want a mapping"},
		{"bad target", "spec: v0.6\ntargets: [qemu]\n", "Kraftfile:2: targets: bad target \"qemu\""},
		{"no usable target", "spec: v0.6\ntargets:\n  - fc/arm64\n", "Kraftfile: targets: none is qemu/x86_64"},
		{"name with slash", "spec: v0.6\nname: a/b\n", "Kraftfile:2: name: \"a/b\" is not a usable name"},
		{"twice", "spec: v0.6\nname: a\nname: b\n", "Kraftfile:3: name: given twice"},
		{"yaml syntax", "spec: v0.6\ncmd: [a, b\nname: x\n", "Kraftfile:"},
		{"yaml tab", "spec: v0.6\n\tname: x\n", "Kraftfile:2: malformed YAML"},
		{"not a mapping", "- a\n- b\n", "Kraftfile:1: want a mapping of keys"},
		{"empty", "", "Kraftfile: empty"},
		{"unterminated quote", "spec: v0.6\ncmd: \"-a 'b\"\n", "Kraftfile:2: cmd: unterminated '"},
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	for _, tt := range tests {
		p := write(t, dir, tt.body)
		_, err := Load(p)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: Load = %v; want an error starting %q", tt.name, err, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	if got := Find(dir); got != "" {
		t.Errorf("Find(empty dir) = %q", got)
	}
	os.WriteFile(filepath.Join(dir, "kraft.yaml"), []byte("spec: v0.6\n"), 0o644)
	if got := Find(dir); got != filepath.Join(dir, "kraft.yaml") {
		t.Errorf("Find = %q; want kraft.yaml", got)
	}
	os.WriteFile(filepath.Join(dir, "Kraftfile"), []byte("spec: v0.6\n"), 0o644)
	if got := Find(dir); got != filepath.Join(dir, "Kraftfile") {
		t.Errorf("Find = %q; want Kraftfile first", got)
	}
}

func TestSplitShell(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{`-m "hello world" 'x y' z\ w`, []string{"-m", "hello world", "x y", "z w"}},
		{`"a\"b" ''`, []string{`a"b`, ""}},
		{"", nil},
	}
	for _, tt := range tests {
		if got, err := splitShell(tt.in); err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitShell(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
