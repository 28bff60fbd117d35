package build

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// kernelVersion is the pseudo-version required for the replaced kernel.
const kernelVersion = "v0.0.0-00010101000000-000000000000"

// editModFile returns the content of the user's go.mod (data, read from
// gomodPath) with the kernel module required and replaced by kernelDir, and
// with relative directory replacements made absolute (the edited copy lives
// in a temporary directory).
func editModFile(gomodPath string, data []byte, kernelDir string) ([]byte, error) {
	f, err := modfile.Parse(gomodPath, data, nil)
	if err != nil {
		return nil, err
	}
	base := filepath.Dir(gomodPath)
	for _, r := range f.Replace {
		if r.Old.Path == kernelModule {
			continue // dropped below
		}
		if r.New.Version == "" && modfile.IsDirectoryPath(r.New.Path) && !filepath.IsAbs(r.New.Path) {
			abs := filepath.Join(base, filepath.FromSlash(r.New.Path))
			if err := f.AddReplace(r.Old.Path, r.Old.Version, abs, ""); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range append([]*modfile.Replace(nil), f.Replace...) {
		if r.Old.Path == kernelModule {
			if err := f.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return nil, err
			}
		}
	}
	if err := f.AddRequire(kernelModule, kernelVersion); err != nil {
		return nil, err
	}
	if err := f.AddReplace(kernelModule, "", kernelDir, ""); err != nil {
		return nil, err
	}
	f.Cleanup()
	return f.Format()
}

// generatedModFile returns a go.mod for a program that has none.
func generatedModFile(name, goVersion, kernelDir string) ([]byte, error) {
	path := "unigo.local/" + sanitize(name)
	if err := module.CheckPath(path); err != nil {
		path = "unigo.local/prog"
	}
	src := fmt.Sprintf("module %s\n\ngo %s\n", path, goVersion)
	return editModFile("go.mod", []byte(src), kernelDir)
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
			return r
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, s)
	s = strings.Trim(s, ".-_")
	if s == "" {
		return "prog"
	}
	return s
}

// mergeSums returns the lines of user followed by the lines of kernel that
// user lacks: a go.sum for the edited module file.
func mergeSums(user, kernel []byte) []byte {
	var out bytes.Buffer
	seen := map[string]bool{}
	for _, data := range [][]byte{user, kernel} {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || seen[line] {
				continue
			}
			seen[line] = true
			out.WriteString(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

// readOptional reads a file that may be missing.
func readOptional(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	return data, err
}
