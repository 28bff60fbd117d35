package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"unigo.dev/unigo/internal/machine"
)

// stateDirUsage documents --state-dir.
const stateDirUsage = "keep machines and images under `dir` (default $UNIGO_STATE_DIR, else $XDG_STATE_HOME/unigo and $XDG_DATA_HOME/unigo)"

// stateFlag registers --state-dir on fs.
func stateFlag(fs *flagSet) *string {
	return fs.String("state-dir", "", stateDirUsage)
}

// stateRoot returns the directory for machine state: --state-dir, else
// $UNIGO_STATE_DIR, else $XDG_STATE_HOME/unigo (~/.local/state/unigo).
func stateRoot(flagDir string) (string, error) {
	return xdgDir(flagDir, "XDG_STATE_HOME", ".local/state")
}

// dataRoot returns the directory for images: --state-dir, else
// $UNIGO_STATE_DIR, else $XDG_DATA_HOME/unigo (~/.local/share/unigo).
// With an override, machines and images share one root.
func dataRoot(flagDir string) (string, error) {
	return xdgDir(flagDir, "XDG_DATA_HOME", ".local/share")
}

func xdgDir(flagDir, xdgVar, homeRel string) (string, error) {
	dir := flagDir
	if dir == "" {
		dir = os.Getenv("UNIGO_STATE_DIR")
	}
	if dir == "" {
		if x := os.Getenv(xdgVar); x != "" && filepath.IsAbs(x) {
			dir = filepath.Join(x, "unigo")
		}
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("unigo: no home directory for the state directory: set UNIGO_STATE_DIR or pass --state-dir")
		}
		dir = filepath.Join(home, homeRel, "unigo")
	}
	return filepath.Abs(dir)
}

// machines opens the machine store.
func (e *env) machines(flagDir string) (*machine.Store, string, error) {
	root, err := stateRoot(flagDir)
	if err != nil {
		return nil, "", err
	}
	s, err := machine.Open(filepath.Join(root, "machines"))
	if err != nil {
		return nil, "", fmt.Errorf("unigo: %v: check --state-dir / $UNIGO_STATE_DIR", err)
	}
	return s, root, nil
}
