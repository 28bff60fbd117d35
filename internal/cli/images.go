package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"unigo.dev/unigo/internal/oci"
)

// images opens the local image store.
func (e *env) images(flagDir string) (*oci.Store, error) {
	root, err := dataRoot(flagDir)
	if err != nil {
		return nil, err
	}
	s, err := oci.OpenStore(filepath.Join(root, "images"))
	if err != nil {
		return nil, fmt.Errorf("unigo: %v: check --state-dir / $UNIGO_STATE_DIR", err)
	}
	return s, nil
}

// imageInfo is one line of unigo images (and its --json form).
type imageInfo struct {
	Reference string            `json:"reference"`
	Digest    string            `json:"digest"`
	Size      int64             `json:"size"`
	Created   time.Time         `json:"created,omitzero"`
	Cmd       []string          `json:"cmd"`
	Env       []string          `json:"env"`
	Ports     []string          `json:"ports"`
	Labels    map[string]string `json:"labels,omitempty"`
	Layers    []string          `json:"layers"` // kinds, in order: kernel, rootfs
}

func runImages(e *env, args []string) int {
	fs := newFlagSet(e, "images", "[-q] [--json]",
		"Images lists the OCI images in the local store (made by 'unigo pkg' or\n"+
			"'unigo pull'); 'unigo run REF' boots them.")
	quiet := fs.Bool("q", false, "print only the references")
	asJSON := fs.Bool("json", false, "print a JSON array")
	dir := stateFlag(fs)
	if status, ok := parse(e, fs, args); !ok {
		return status
	}
	if fs.NArg() > 0 {
		return e.errorf(ExitUsage, "unigo: images: unexpected argument %q: images takes only flags", fs.Arg(0))
	}
	store, err := e.images(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	list, err := store.List()
	if err != nil {
		return e.errorf(ExitError, "unigo: images: %v", err)
	}
	infos := []imageInfo{}
	for _, ent := range list {
		info := imageInfo{Reference: oci.Short(ent.Ref), Digest: ent.Manifest.Digest}
		if img, err := store.Load(ent); err == nil {
			info.Size = img.Size()
			if img.Config.Created != nil {
				info.Created = *img.Config.Created
			}
			c := img.Config.Config
			info.Cmd, info.Env, info.Labels = nonNil(c.Cmd), nonNil(c.Env), c.Labels
			info.Ports = []string{}
			for p := range c.ExposedPorts {
				info.Ports = append(info.Ports, p)
			}
			for _, l := range img.Manifest.Layers {
				info.Layers = append(info.Layers, l.Annotations[oci.AnnotationLayer])
			}
		} else {
			fmt.Fprintf(e.stderr, "unigo: images: %s: %v\n", oci.Short(ent.Ref), err)
		}
		infos = append(infos, info)
	}
	switch {
	case *asJSON:
		return e.printJSON(infos)
	case *quiet:
		for _, i := range infos {
			fmt.Fprintln(e.stdout, i.Reference)
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tDIGEST\tSIZE\tCREATED")
	now := time.Now()
	for _, i := range infos {
		created := "-"
		if !i.Created.IsZero() {
			created = ago(now.Sub(i.Created)) + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", i.Reference, shortDigest(i.Digest), human(i.Size), created)
	}
	tw.Flush()
	return 0
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func runRmi(e *env, args []string) int {
	fs := newFlagSet(e, "rmi", "reference...",
		"Rmi removes images from the local store, and the layers no other image uses.")
	dir := stateFlag(fs)
	refs, status, ok := machineArgs(e, fs, args)
	if !ok {
		return status
	}
	store, err := e.images(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	status = 0
	for _, r := range refs {
		ref, err := oci.ParseRef(r, false)
		if err != nil {
			status = e.errorf(ExitUsage, "unigo: rmi: %v", err)
			continue
		}
		ent, err := store.Remove(ref)
		if err != nil {
			if errors.Is(err, oci.ErrNotFound) {
				status = e.errorf(ExitError, "unigo: rmi %s: %v: see 'unigo images'", r, err)
			} else {
				status = e.errorf(ExitError, "unigo: rmi %s: %v", r, err)
			}
			continue
		}
		fmt.Fprintf(e.stdout, "removed %s\n", ent)
	}
	return status
}
