package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// registry is a Distribution registry (Debian's docker-registry) started
// for one test, with htpasswd authentication.
type registry struct {
	addr    string // 127.0.0.1:PORT
	storage string // its filesystem storage root
	log     string
}

// testUser and testPassword are the registry's only account; testHash is
// bcrypt(testPassword), as htpasswd -B writes it.
const (
	testUser     = "tester"
	testPassword = "unigo-test-password"
	testHash     = "$2a$10$64m.pNYPVP939NH78bKfw.c.Sm63Z2e0wAstY6DG.VRpaCUEc1Wgm"
)

func startRegistry(t *testing.T) *registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry (the Distribution registry) not installed: apt-get install docker-registry (scripts/test does)")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := &registry{addr: addr, storage: filepath.Join(dir, "data"), log: filepath.Join(dir, "registry.log")}
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(testUser+":"+testHash+"\n"), 0o600)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
  secret: unigo-e2e
auth:
  htpasswd:
    realm: unigo-e2e
    path: %s
`, r.storage, addr, filepath.Join(dir, "htpasswd"))
	cfgPath := filepath.Join(dir, "config.yml")
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s serve %s: %v", bin, cfgPath, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	// Up when /v2/ answers (401: it wants credentials).
	up := waitFor(30*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized
	})
	if !up {
		b, _ := os.ReadFile(r.log)
		t.Fatalf("registry %s serve %s did not come up on %s:\n%s", bin, cfgPath, addr, b)
	}
	return r
}

// registryEnv is the environment for unigo commands of the OCI tests: its
// own state directory and HOME (so no docker config of the user's is
// read), the go caches of the real one, and DOCKER_CONFIG when
// dockerConfig is not empty.
func registryEnv(t *testing.T, state, dockerConfig string) []string {
	t.Helper()
	env := []string{"UNIGO_STATE_DIR=" + state, "HOME=" + t.TempDir()}
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, v+"="+strings.TrimSpace(string(out)))
	}
	if c, err := os.UserCacheDir(); err == nil {
		env = append(env, "XDG_CACHE_HOME="+c)
	}
	if dockerConfig != "" {
		env = append(env, "DOCKER_CONFIG="+dockerConfig)
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(env, func(s string) bool { return strings.HasPrefix(s, k+"=") }) && k != "DOCKER_CONFIG" && k != "REGISTRY_AUTH_FILE" {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// withEnv runs unigo with env.
func withEnv(t *testing.T, env []string, args ...string) *result {
	t.Helper()
	r := &result{args: args}
	cmd := exec.Command(unigoBin, args...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(guestTimeout):
		cmd.Process.Kill()
		<-done
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	r.status = cmd.ProcessState.ExitCode()
	return r
}

// dockerConfig writes a docker config.json with credentials for addr.
func dockerConfig(t *testing.T, addr, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, addr, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestOCIPushPull: pkg (a program with a root file system) → push to a
// real registry with credentials from the docker config → rmi → pull →
// run prints the same as before; a wrong password, a corrupted blob in
// the registry and malformed references give clear errors and store
// nothing (acceptance 4).
func TestOCIPushPull(t *testing.T) {
	setup(t)
	reg := startRegistry(t)
	state := t.TempDir()
	ref := reg.addr + "/rootfsprog:1.0"
	good := registryEnv(t, state, dockerConfig(t, reg.addr, testUser, testPassword))

	r := withEnv(t, good, "pkg", "-t", ref, "--rootfs", "./testdata/rootfs1", "-e", "GREETING=oci", "-p", "8080", "--push", "./testdata/rootfsprog")
	if r.status != 0 || !strings.Contains(r.stdout, ref+"@sha256:") {
		t.Fatalf("pkg --push:\n%s", r.describe())
	}
	if !strings.Contains(r.stderr, "kernel layer sha256:") || !strings.Contains(r.stderr, "rootfs layer sha256:") || !strings.Contains(r.stderr, "pushed") {
		t.Errorf("pkg --push printed no progress lines for the layers:\n%s", r.describe())
	}
	before := withEnv(t, good, "run", timeoutFlag(), ref)
	if before.status != 0 || !strings.Contains(before.stdout, rootfsWant) {
		t.Fatalf("run %s (from pkg):\n%s", ref, before.describe())
	}
	var images []struct {
		Reference string   `json:"reference"`
		Digest    string   `json:"digest"`
		Env       []string `json:"env"`
		Ports     []string `json:"ports"`
		Layers    []string `json:"layers"`
	}
	r = withEnv(t, good, "images", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &images); err != nil || len(images) != 1 || images[0].Reference != ref ||
		!slices.Equal(images[0].Layers, []string{"kernel", "rootfs"}) || !slices.Equal(images[0].Env, []string{"GREETING=oci"}) || !slices.Equal(images[0].Ports, []string{"8080/tcp"}) {
		t.Fatalf("images --json: %+v, %v\n%s", images, err, r.describe())
	}
	digest := images[0].Digest

	if r := withEnv(t, good, "rmi", ref); r.status != 0 {
		t.Fatalf("rmi:\n%s", r.describe())
	}
	if blobs, _ := os.ReadDir(filepath.Join(state, "images", "blobs", "sha256")); len(blobs) != 0 {
		t.Errorf("rmi left %d blobs in the store", len(blobs))
	}
	if r := withEnv(t, good, "run", ref); r.status == 0 || !strings.Contains(r.stderr, "no such image in the local store") {
		t.Errorf("run after rmi:\n%s", r.describe())
	}
	r = withEnv(t, good, "pull", ref)
	if r.status != 0 || strings.TrimSpace(r.stdout) != ref+"@"+digest {
		t.Fatalf("pull: want %s@%s\n%s", ref, digest, r.describe())
	}
	after := withEnv(t, good, "run", timeoutFlag(), ref)
	if after.status != 0 || after.stdout != before.stdout {
		t.Errorf("run after pull differs from run after pkg:\nbefore:\n%s\nafter:\n%s", before.stdout, after.describe())
	}
	// By digest too.
	byDigest := reg.addr + "/rootfsprog@" + digest
	if r := withEnv(t, good, "pull", byDigest); r.status != 0 || strings.TrimSpace(r.stdout) != byDigest {
		t.Errorf("pull by digest:\n%s", r.describe())
	}
	if r := withEnv(t, good, "run", timeoutFlag(), byDigest); r.status != 0 || r.stdout != before.stdout {
		t.Errorf("run by digest:\n%s", r.describe())
	}
	if r := withEnv(t, good, "rmi", byDigest); r.status != 0 {
		t.Errorf("rmi by digest:\n%s", r.describe())
	}

	// A wrong password: the push is refused, with the fix in the message.
	bad := registryEnv(t, state, dockerConfig(t, reg.addr, testUser, "wrong"))
	r = withEnv(t, bad, "push", ref)
	if r.status == 0 || !strings.Contains(r.stderr, "refused the credentials") || !strings.Contains(r.stderr, "docker login") {
		t.Errorf("push with a wrong password:\n%s", r.describe())
	}
	// No credentials at all.
	none := registryEnv(t, state, "")
	if r := withEnv(t, none, "push", ref); r.status == 0 || !strings.Contains(r.stderr, "refused the credentials") {
		t.Errorf("push without credentials:\n%s", r.describe())
	}

	// A corrupted layer in the registry: pull fails, nothing is stored.
	if r := withEnv(t, good, "rmi", ref); r.status != 0 {
		t.Fatalf("rmi:\n%s", r.describe())
	}
	var layers []string
	filepath.Walk(filepath.Join(reg.storage, "docker/registry/v2/blobs"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "data" && info.Size() > 10000 {
			layers = append(layers, p)
		}
		return nil
	})
	if len(layers) == 0 {
		t.Fatalf("no layer blobs in the registry storage %s", reg.storage)
	}
	for _, p := range layers {
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0xff
		os.WriteFile(p, b, 0o644)
	}
	r = withEnv(t, good, "pull", ref)
	if r.status == 0 || !strings.Contains(r.stderr, "does not match its digest") || !strings.Contains(r.stderr, "nothing was stored") {
		t.Errorf("pull of a corrupted layer:\n%s", r.describe())
	}
	if r := withEnv(t, good, "images", "-q"); r.stdout != "" {
		t.Errorf("images after a failed pull:\n%s", r.describe())
	}
	if tmp, _ := os.ReadDir(filepath.Join(state, "images", "tmp")); len(tmp) != 0 {
		t.Errorf("a failed pull left %d temporary files", len(tmp))
	}

	// Malformed references.
	for _, args := range [][]string{{"pull", reg.addr + "/Bad::ref"}, {"push", "UPPER/case"}, {"pkg", "-t", "a b", "./testdata/rootfsprog"}, {"run", "x::y"}, {"rmi", "::"}} {
		r := withEnv(t, good, args...)
		if r.status == 0 || !strings.Contains(r.stderr, "malformed image reference") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("unigo %s: want a one-line 'malformed image reference' error\n%s", shellJoin(args), r.describe())
		}
	}
}
