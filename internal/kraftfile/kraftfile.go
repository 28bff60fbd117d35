// Package kraftfile reads a Kraftfile — Unikraft's project file, spec
// v0.6 (https://unikraft.org/docs/cli/reference/kraftfile) — for unigo.
//
// unigo honours what makes sense for a Go program linked with its own
// kernel:
//
//	spec (or specification)  v0.6 or v0.5; required
//	name                     the program's name: argv[0], the image name,
//	                         the default reference of unigo pkg (name:latest)
//	cmd                      the program's arguments: a list, or a string
//	                         split like a shell (quotes, no expansion)
//	env                      a map KEY: VALUE, or a list of KEY=VALUE (KEY
//	                         alone copies it from unigo's environment)
//	rootfs                   a directory, relative to the Kraftfile, packed
//	                         as the guest's root file system
//	volumes                  "src:dst[:ro]" or {source, destination, readOnly}
//	labels                   a map, recorded in OCI images
//	targets                  "qemu/x86_64" or {platform, architecture}: one
//	                         must be qemu on x86_64 (amd64)
//
// Keys that configure a Unikraft build — unikraft, libraries, template,
// runtime, kernel — are accepted with a warning saying they are ignored, so
// one Kraftfile can serve kraft and unigo. Anything else is an error naming
// the file, line and key.
package kraftfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Names are the file names a Kraftfile may have, preferred first.
var Names = []string{"Kraftfile", "kraft.yaml", "kraft.yml"}

// File is a parsed Kraftfile.
type File struct {
	Path     string
	Spec     string
	Name     string
	Cmd      []string
	Env      []string // KEY=VALUE, or KEY to copy from the host
	Rootfs   string   // absolute directory; "" for none
	Volumes  []Volume
	Labels   map[string]string
	Targets  []Target
	Warnings []string // one line each, "Kraftfile:3: runtime: ..."
}

// Volume is a volume entry.
type Volume struct {
	Source, Destination string
	ReadOnly            bool
}

// Target is a platform/architecture pair.
type Target struct {
	Platform, Architecture string
}

// Error is a Kraftfile error: file, line and key.
type Error struct {
	Path string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Find returns the Kraftfile in dir, or "" when there is none.
func Find(dir string) string {
	for _, n := range Names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Load reads and parses the Kraftfile at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ignored lists the Unikraft build keys unigo accepts and ignores.
var ignored = map[string]string{
	"unikraft":  "unigo links its own kernel into the Go program; there is no Unikraft core to configure",
	"libraries": "unigo builds with the Go toolchain; Unikraft libraries do not apply",
	"template":  "unigo does not build from Unikraft application templates",
	"runtime":   "unigo links its own kernel into the Go program; there is no runtime image to load it into",
	"kernel":    "unigo links its own kernel into the Go program",
}

var known = []string{"spec", "specification", "name", "cmd", "env", "rootfs", "volumes", "labels", "targets"}

// Parse parses a Kraftfile's bytes; path names it in messages and
// anchors relative paths.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path, Labels: map[string]string{}}
	name := filepath.Base(path)
	fail := func(n *yaml.Node, key, format string, args ...any) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &Error{Path: name, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fail(nil, "", "empty: a Kraftfile needs at least 'spec: v0.6'")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root, "", "want a mapping of keys (spec, name, cmd, ...) at the top level")
	}
	seen := map[string]bool{}
	var specNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if seen[key] {
			return nil, fail(k, key, "given twice")
		}
		seen[key] = true
		if why, ok := ignored[key]; ok {
			f.Warnings = append(f.Warnings, fmt.Sprintf("%s:%d: %s: ignored: %s", name, k.Line, key, why))
			continue
		}
		var err error
		switch key {
		case "spec", "specification":
			specNode = v
			f.Spec, err = scalar(v)
			if err == nil {
				switch strings.TrimPrefix(f.Spec, "v") {
				case "0.6", "0.5":
				default:
					return nil, fail(v, key, "unsupported spec %q: unigo reads Kraftfile spec v0.6 (and v0.5)", f.Spec)
				}
			}
		case "name":
			f.Name, err = scalar(v)
			if err == nil && (f.Name == "" || strings.ContainsAny(f.Name, "/ \t:@")) {
				return nil, fail(v, key, "%q is not a usable name: use letters, digits, '.', '_' and '-'", f.Name)
			}
		case "cmd":
			f.Cmd, err = command(v)
		case "env":
			f.Env, err = envList(v)
		case "rootfs":
			f.Rootfs, err = scalar(v)
			if err == nil {
				f.Rootfs, err = rootfsDir(filepath.Dir(path), f.Rootfs)
			}
		case "volumes":
			f.Volumes, err = volumes(v)
		case "labels":
			f.Labels, err = stringMap(v)
		case "targets":
			f.Targets, err = targets(v)
		default:
			return nil, fail(k, key, "unknown key: a Kraftfile for unigo has %s (and the ignored %s)", strings.Join(known, ", "), strings.Join(sortedKeys(ignored), ", "))
		}
		if err != nil {
			var ne *nodeError
			if errors.As(err, &ne) {
				return nil, fail(ne.n, key, "%s", ne.msg)
			}
			return nil, fail(v, key, "%v", err)
		}
	}
	if specNode == nil {
		return nil, fail(root, "spec", "missing: add 'spec: v0.6' at the top")
	}
	if len(f.Targets) > 0 && !slices.ContainsFunc(f.Targets, Target.Supported) {
		return nil, fail(nil, "targets", "none is qemu/x86_64: unigo boots its images on QEMU (x86_64) today")
	}
	for _, t := range f.Targets {
		if !t.Supported() {
			f.Warnings = append(f.Warnings, fmt.Sprintf("%s: targets: %s/%s: not supported by unigo; using qemu/x86_64", name, t.Platform, t.Architecture))
		}
	}
	return f, nil
}

// Supported reports whether unigo can boot on t.
func (t Target) Supported() bool {
	return (t.Platform == "qemu" || t.Platform == "") && (t.Architecture == "x86_64" || t.Architecture == "amd64" || t.Architecture == "")
}

// nodeError is an error about a node inside a key's value.
type nodeError struct {
	n   *yaml.Node
	msg string
}

func (e *nodeError) Error() string { return e.msg }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &nodeError{n: n, msg: fmt.Sprintf(format, args...)}
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a scalar"
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, "want a single value, got %s", kind(n))
	}
	return n.Value, nil
}

func stringList(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "want a list, got %s", kind(n))
	}
	var out []string
	for _, c := range n.Content {
		s, err := scalar(c)
		if err != nil {
			return nil, errAt(c, "want a list of strings, got %s in it", kind(c))
		}
		out = append(out, s)
	}
	return out, nil
}

func stringMap(n *yaml.Node) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "want a mapping of key: value, got %s", kind(n))
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, errAt(v, "value of %q: want a single value, got %s", k.Value, kind(v))
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

// command reads cmd: a list, or a string split like a shell.
func command(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		args, err := splitShell(n.Value)
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		return args, nil
	}
	return stringList(n)
}

func envList(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.MappingNode:
		var out []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, errAt(v, "value of %s: want a single value, got %s", k.Value, kind(v))
			}
			if k.Value == "" || strings.Contains(k.Value, "=") {
				return nil, errAt(k, "bad variable name %q", k.Value)
			}
			if v.Tag == "!!null" {
				out = append(out, k.Value) // KEY: with no value copies it, as -e KEY
			} else {
				out = append(out, k.Value+"="+v.Value)
			}
		}
		return out, nil
	case yaml.SequenceNode:
		list, err := stringList(n)
		for i, kv := range list {
			if k, _, _ := strings.Cut(kv, "="); k == "" {
				return nil, errAt(n.Content[i], "bad entry %q: want KEY=VALUE", kv)
			}
		}
		return list, err
	}
	return nil, errAt(n, "want a mapping KEY: VALUE or a list of KEY=VALUE, got %s", kind(n))
}

func rootfsDir(base, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(base, p)
	}
	st, err := os.Stat(abs)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: no such directory", p)
	case !st.IsDir():
		if strings.Contains(strings.ToLower(filepath.Base(p)), "dockerfile") {
			return "", fmt.Errorf("%s: unigo packs a directory, not a Dockerfile: build the files into a directory and name it here", p)
		}
		return "", fmt.Errorf("%s: not a directory: unigo packs a directory as the root file system", p)
	}
	return abs, nil
}

func volumes(n *yaml.Node) ([]Volume, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "want a list, got %s", kind(n))
	}
	var out []Volume
	for _, c := range n.Content {
		var v Volume
		switch c.Kind {
		case yaml.ScalarNode:
			parts := strings.Split(c.Value, ":")
			if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw") {
				return nil, errAt(c, "bad volume %q: want SOURCE:DESTINATION[:ro]", c.Value)
			}
			v = Volume{Source: parts[0], Destination: parts[1], ReadOnly: len(parts) == 3 && parts[2] == "ro"}
		case yaml.MappingNode:
			m, err := stringMap(c)
			if err != nil {
				return nil, err
			}
			v = Volume{Source: m["source"], Destination: m["destination"], ReadOnly: m["readOnly"] == "true" || m["readonly"] == "true"}
			if v.Source == "" || v.Destination == "" {
				return nil, errAt(c, "a volume needs source and destination")
			}
		default:
			return nil, errAt(c, "want SOURCE:DESTINATION or a mapping, got %s", kind(c))
		}
		out = append(out, v)
	}
	return out, nil
}

func targets(n *yaml.Node) ([]Target, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "want a list, got %s", kind(n))
	}
	var out []Target
	for _, c := range n.Content {
		var t Target
		switch c.Kind {
		case yaml.ScalarNode:
			p, a, ok := strings.Cut(c.Value, "/")
			if !ok || p == "" || a == "" {
				return nil, errAt(c, "bad target %q: want PLATFORM/ARCHITECTURE, e.g. qemu/x86_64", c.Value)
			}
			t = Target{Platform: p, Architecture: a}
		case yaml.MappingNode:
			m, err := stringMap(c)
			if err != nil {
				return nil, err
			}
			t = Target{Platform: first(m["platform"], m["plat"]), Architecture: first(m["architecture"], m["arch"])}
		default:
			return nil, errAt(c, "want PLATFORM/ARCHITECTURE or a mapping, got %s", kind(c))
		}
		out = append(out, t)
	}
	return out, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// yamlError turns a YAML syntax or type error into an Error with its line.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		var n int
		if _, scanErr := fmt.Sscanf(rest, "%d:", &n); scanErr == nil {
			line = n
			if _, after, ok := strings.Cut(rest, ": "); ok {
				msg = after
			}
		}
	}
	return &Error{Path: name, Line: line, Msg: "malformed YAML: " + msg}
}

// splitShell splits s into words as a POSIX shell would, with single and
// double quotes and backslashes, but without any expansion.
func splitShell(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
