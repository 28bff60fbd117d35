package build

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestComponents(t *testing.T) {
	cs := available("../../kernel")
	if len(cs) != len(components) {
		t.Fatalf("available(../../kernel) = %v; want all of %v", cs, components)
	}
	src := componentsSource(cs)
	if _, err := parser.ParseFile(token.NewFileSet(), "components.go", src, 0); err != nil {
		t.Fatalf("generated components.go does not parse: %v\n%s", err, src)
	}
	for _, want := range []string{
		`"unigo.dev/unigo/kernel/fs/p9"`,
		"var fileSystems = [...]*vfs.FileSystem{&p9.FS}",
		"var virtioDrivers = [...]*virtio.Driver{&p9.Driver}",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("generated components.go lacks %q:\n%s", want, src)
		}
	}
	// A kernel without optional components (the fake test kernel) gets none.
	if cs := available("testdata/fakekernel"); len(cs) != 0 {
		t.Errorf("available(fakekernel) = %v; want none", cs)
	}
}
