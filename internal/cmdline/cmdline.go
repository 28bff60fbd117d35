// Package cmdline encodes and decodes the kernel command line that carries a
// unigo program's name, environment and arguments into the guest.
//
// The host tool ([Encode]) writes it; the guest kernel mirrors [Decode].
//
// # Format
//
// The command line is a sequence of tokens separated by single ASCII spaces.
// A token never contains a space, because every value inside it is escaped:
//
//	argv0=hello env=HOME=/root env=X=1 -- a:alice a:bob%20smith a:
//
// Escaping (called enc below): every byte outside the set
//
//	A-Z a-z 0-9 . _ ~ : / , + - @
//
// is written as '%' followed by two upper-case hexadecimal digits. In
// particular ' ', '%', '=' and all bytes >= 0x80 are escaped, so an escaped
// value never contains a literal '=' and '=' can separate fields.
//
// Tokens before the first lone "--" are kernel parameters of the form
// key=value, where key is the text before the first '=':
//
//	argv0=enc(name)            the program name, os.Args[0]
//	cwd=enc(path)              the program's initial working directory
//	                           (absolute; "/" when absent)
//	env=enc(NAME)=enc(VALUE)   one environment variable; NAME is non-empty
//
// Parameters may appear in any order; env parameters keep their order.
// Unknown keys and tokens without '=' are not errors: a decoder returns them
// unchanged in [Line.Unknown] so that text a VMM adds on its own (microvm, for
// instance, may append Linux-style options) cannot break the boot.
//
// After the lone "--" each program argument is one token "a:" + enc(arg); the
// token "a:" alone is the empty argument. Tokens after "--" that do not start
// with "a:" are also returned in [Line.Unknown] and otherwise ignored.
//
// A decoder accepts both upper- and lower-case hexadecimal digits, treats any
// run of spaces, tabs, newlines or NUL bytes as one separator (boot loaders
// sometimes pad), and rejects a '%' not followed by two hexadecimal digits and
// any byte outside the escaping set above other than '%' and the separating
// '='.
package cmdline

import (
	"fmt"
	"strings"
)

// Separator is the token between kernel parameters and program arguments.
const Separator = "--"

// ArgPrefix starts every program-argument token.
const ArgPrefix = "a:"

// Line is the decoded content of a unigo kernel command line.
type Line struct {
	// Argv0 is the program name (os.Args[0] in the guest).
	Argv0 string
	// Cwd is the program's initial working directory in the guest; empty
	// means "/" and writes no cwd parameter.
	Cwd string
	// Env holds environment variables as "NAME=VALUE", in order.
	Env []string
	// Args holds the program arguments after Argv0 (os.Args[1:]).
	Args []string
	// Kernel holds kernel parameters (such as "unigo.log=info"), written
	// verbatim before the environment; each must be key=value without
	// spaces. Decode returns them in Unknown.
	Kernel []string
	// Unknown holds tokens that a decoder did not understand, verbatim.
	// Encode ignores it.
	Unknown []string
}

// safe reports whether b is written literally by [Escape].
func safe(b byte) bool {
	switch {
	case 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '.', '_', '~', ':', '/', ',', '+', '-', '@':
		return true
	}
	return false
}

// Escape percent-encodes s as described in the package documentation.
func Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if safe(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// Unescape reverses [Escape]. It fails on a malformed escape or on a byte
// that Escape would never have written literally.
func Unescape(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("cmdline: truncated escape in %q", s)
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("cmdline: bad escape %q in %q", s[i:i+3], s)
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		case safe(c):
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("cmdline: unescaped byte %q in %q", c, s)
		}
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Encode returns the command line for l. Every entry of l.Env must contain
// '=' with a non-empty name before it.
func Encode(l Line) (string, error) {
	toks := make([]string, 0, 2+len(l.Env)+len(l.Args))
	toks = append(toks, "argv0="+Escape(l.Argv0))
	if l.Cwd != "" {
		toks = append(toks, "cwd="+Escape(l.Cwd))
	}
	for _, k := range l.Kernel {
		if k == "" || strings.ContainsAny(k, " \t\n\r\x00") || !strings.Contains(k, "=") {
			return "", fmt.Errorf("cmdline: kernel parameter %q is not key=value without spaces", k)
		}
		toks = append(toks, k)
	}
	for _, kv := range l.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return "", fmt.Errorf("cmdline: environment entry %q is not NAME=VALUE", kv)
		}
		toks = append(toks, "env="+Escape(name)+"="+Escape(value))
	}
	toks = append(toks, Separator)
	for _, a := range l.Args {
		toks = append(toks, ArgPrefix+Escape(a))
	}
	return strings.Join(toks, " "), nil
}

// isSep reports whether c separates tokens for [Decode].
func isSep(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0 }

// Decode parses a command line written by [Encode] (or by a VMM that added
// tokens of its own, see the package documentation).
func Decode(s string) (Line, error) {
	var l Line
	toks := strings.FieldsFunc(s, isSep)
	i := 0
	for ; i < len(toks); i++ {
		t := toks[i]
		if t == Separator {
			i++
			break
		}
		key, val, ok := strings.Cut(t, "=")
		switch {
		case ok && key == "argv0":
			v, err := Unescape(val)
			if err != nil {
				return Line{}, err
			}
			l.Argv0 = v
		case ok && key == "cwd":
			v, err := Unescape(val)
			if err != nil {
				return Line{}, err
			}
			l.Cwd = v
		case ok && key == "env":
			n, v, ok := strings.Cut(val, "=")
			if !ok || n == "" {
				return Line{}, fmt.Errorf("cmdline: env parameter %q is not env=NAME=VALUE", t)
			}
			name, err := Unescape(n)
			if err != nil {
				return Line{}, err
			}
			if strings.Contains(name, "=") {
				return Line{}, fmt.Errorf("cmdline: env parameter %q has '=' in its name", t)
			}
			value, err := Unescape(v)
			if err != nil {
				return Line{}, err
			}
			l.Env = append(l.Env, name+"="+value)
		default:
			l.Unknown = append(l.Unknown, t)
		}
	}
	for ; i < len(toks); i++ {
		t := toks[i]
		rest, ok := strings.CutPrefix(t, ArgPrefix)
		if !ok {
			l.Unknown = append(l.Unknown, t)
			continue
		}
		a, err := Unescape(rest)
		if err != nil {
			return Line{}, err
		}
		l.Args = append(l.Args, a)
	}
	return l, nil
}
