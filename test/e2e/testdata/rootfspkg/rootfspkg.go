// Package rootfspkg is a library whose test reads its testdata, as a
// unikernel: unigo test packs the package directory into the image.
package rootfspkg

import (
	"os"
	"strings"
)

// Lines returns the lines of the file at path.
func Lines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}
