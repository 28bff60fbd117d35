package build

import (
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

func TestEditModFile(t *testing.T) {
	in := `module example.com/app

go 1.26

require (
	example.com/lib v1.2.3
	unigo.dev/unigo/kernel v0.1.0
)

replace example.com/lib => ../lib

replace example.com/other v1.0.0 => ./other

replace example.com/remote => example.com/fork v1.0.0

replace unigo.dev/unigo/kernel => ./kernel

replace unigo.dev/unigo/kernel v0.1.0 => ./kernel-old
`
	out, err := editModFile("/home/u/app/go.mod", []byte(in), "/cache/kernel-abc")
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("out", out, nil)
	if err != nil {
		t.Fatalf("edited go.mod does not parse: %v\n%s", err, out)
	}
	reqs := map[string]string{}
	for _, r := range f.Require {
		reqs[r.Mod.Path] = r.Mod.Version
	}
	if got := reqs[kernelModule]; got != kernelVersion {
		t.Errorf("kernel required at %q; want %q", got, kernelVersion)
	}
	if got := reqs["example.com/lib"]; got != "v1.2.3" {
		t.Errorf("example.com/lib required at %q; want v1.2.3", got)
	}
	reps := map[string]string{}
	for _, r := range f.Replace {
		key := r.Old.Path
		if r.Old.Version != "" {
			key += "@" + r.Old.Version
		}
		if _, dup := reps[key]; dup {
			t.Errorf("duplicate replace for %s", key)
		}
		reps[key] = r.New.Path + " " + r.New.Version
	}
	want := map[string]string{
		"example.com/lib":          "/home/u/lib ",
		"example.com/other@v1.0.0": "/home/u/app/other ",
		"example.com/remote":       "example.com/fork v1.0.0",
		kernelModule:               "/cache/kernel-abc ",
	}
	for k, v := range want {
		if reps[k] != v {
			t.Errorf("replace %s => %q; want %q", k, reps[k], v)
		}
	}
	if len(reps) != len(want) {
		t.Errorf("replacements = %v; want %v", reps, want)
	}
}

func TestGeneratedModFile(t *testing.T) {
	out, err := generatedModFile("My Prog!", "1.26.8", "/k")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"module unigo.local/my-prog", "go 1.26.8", "require unigo.dev/unigo/kernel " + kernelVersion, "replace unigo.dev/unigo/kernel => /k"} {
		if !strings.Contains(s, want) {
			t.Errorf("generated go.mod lacks %q:\n%s", want, s)
		}
	}
}

func TestMergeSums(t *testing.T) {
	user := "a v1 h1:x\nb v1 h1:y\n"
	kernel := "b v1 h1:y\n\nc v1 h1:z\n"
	if got, want := string(mergeSums([]byte(user), []byte(kernel))), "a v1 h1:x\nb v1 h1:y\nc v1 h1:z\n"; got != want {
		t.Errorf("mergeSums = %q; want %q", got, want)
	}
	if got := mergeSums(nil, nil); len(got) != 0 {
		t.Errorf("mergeSums(nil, nil) = %q", got)
	}
}

func TestIsLocalAndStd(t *testing.T) {
	for in, want := range map[string]bool{".": true, "./x": true, "../x": true, "/abs": true, "main.go": true, "sort": false, "example.com/x": false} {
		if got := IsLocal(in); got != want {
			t.Errorf("IsLocal(%q) = %v; want %v", in, got, want)
		}
	}
	for in, want := range map[string]bool{"sort": true, "encoding/json": true, "example.com/x": false, "unigo.dev/unigo": false} {
		if got := isStd(in); got != want {
			t.Errorf("isStd(%q) = %v; want %v", in, got, want)
		}
	}
}
