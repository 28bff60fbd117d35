package cmdline

import (
	"slices"
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		in   Line
		want string
	}{
		{"doc example", Line{Argv0: "hello", Env: []string{"HOME=/root", "X=1"}, Args: []string{"alice", "bob smith", ""}},
			"argv0=hello env=HOME=/root env=X=1 -- a:alice a:bob%20smith a:"},
		{"empty", Line{}, "argv0= --"},
		{"escapes", Line{Argv0: "a=b%c", Args: []string{"ü", "--", "a:b", "\n\t\x00"}},
			"argv0=a%3Db%25c -- a:%C3%BC a:-- a:a:b a:%0A%09%00"},
		{"env value with =", Line{Argv0: "p", Env: []string{"A==x=", "B="}}, "argv0=p env=A=%3Dx%3D env=B= --"},
		{"safe set", Line{Argv0: "AZaz09._~:/,+-@"}, "argv0=AZaz09._~:/,+-@ --"},
		{"cwd", Line{Argv0: "p.test", Cwd: "/home/me/my pkg/ü", Kernel: []string{"unigo.log=warn"}, Env: []string{"A=1"}},
			"argv0=p.test cwd=/home/me/my%20pkg/%C3%BC unigo.log=warn env=A=1 --"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.in)
			if err != nil {
				t.Fatalf("Encode(%+v) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Encode(%+v) = %q; want %q", tt.in, got, tt.want)
			}
			back, err := Decode(got)
			if err != nil {
				t.Fatalf("Decode(%q) error: %v", got, err)
			}
			if !equal(back, tt.in) {
				t.Errorf("Decode(%q) = %+v; want %+v", got, back, tt.in)
			}
		})
	}
}

func TestEncodeBadEnv(t *testing.T) {
	for _, kv := range []string{"NOEQUALS", "=value", ""} {
		if got, err := Encode(Line{Env: []string{kv}}); err == nil {
			t.Errorf("Encode(env %q) = %q, nil; want error", kv, got)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want Line
	}{
		{"", Line{}},
		{"argv0=x", Line{Argv0: "x"}},
		{"  argv0=x\t--\n a:%c3%bc  a:\x00", Line{Argv0: "x", Args: []string{"ü", ""}}},
		{"console=ttyS0 argv0=x quiet -- a:1 virtio_mmio.device=512@0xfeb00e00:12",
			Line{Argv0: "x", Args: []string{"1"}, Unknown: []string{"console=ttyS0", "quiet", "virtio_mmio.device=512@0xfeb00e00:12"}}},
		{"-- -- a:x", Line{Args: []string{"x"}, Unknown: []string{"--"}}},
		{"cwd=/ cwd=/x%20y -- a:cwd%3Dz", Line{Cwd: "/x y", Args: []string{"cwd=z"}}}, // the last cwd wins
		{"env=A%3DB=1 --", Line{}}, // rejected below
	}
	for _, tt := range tests[:len(tests)-1] {
		got, err := Decode(tt.in)
		if err != nil {
			t.Errorf("Decode(%q) error: %v", tt.in, err)
			continue
		}
		if !equal(got, tt.want) || !slices.Equal(got.Unknown, tt.want.Unknown) {
			t.Errorf("Decode(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{
		"argv0=%", "argv0=%4", "argv0=%zz", "argv0=a=b", "argv0=é",
		"cwd=a%2", "cwd=a=b", "env=A", "env==1", "env=A%3DB=1", "env=A=%G0",
		"-- a:%", "-- a:x=y", "-- a:\"",
	} {
		if got, err := Decode(in); err == nil {
			t.Errorf("Decode(%q) = %+v, nil; want error", in, got)
		}
	}
}

func equal(a, b Line) bool {
	return a.Argv0 == b.Argv0 && a.Cwd == b.Cwd && slices.Equal(a.Env, b.Env) && slices.Equal(a.Args, b.Args)
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("hello", "/work/pkg", "HOME", "/root", "bob smith", "")
	f.Add("", "", "A", "=%", "--", "a:")
	f.Add("ü", "cwd=", "\x00", " ", "\t\n", "%41")
	f.Fuzz(func(t *testing.T, argv0, cwd, name, value, a1, a2 string) {
		l := Line{Argv0: argv0, Cwd: cwd, Args: []string{a1, a2}}
		if name != "" && !strings.Contains(name, "=") {
			l.Env = []string{name + "=" + value}
		}
		s, err := Encode(l)
		if err != nil {
			t.Fatalf("Encode(%+v) error: %v", l, err)
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' && c != ' ' || c >= 0x7f {
				t.Fatalf("Encode(%+v) = %q contains byte %#x", l, s, c)
			}
		}
		if strings.Contains(s, "  ") {
			t.Fatalf("Encode(%+v) = %q contains a double space", l, s)
		}
		got, err := Decode(s)
		if err != nil {
			t.Fatalf("Decode(%q) error: %v", s, err)
		}
		if !equal(got, l) || len(got.Unknown) != 0 {
			t.Fatalf("Decode(Encode(%+v)) = %+v", l, got)
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add("argv0=hello env=HOME=/root env=X=1 -- a:alice a:bob%20smith a:")
	f.Add("console=ttyS0 -- x")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Decode(s)
		if err != nil {
			return
		}
		enc, err := Encode(l)
		if err != nil {
			t.Fatalf("Encode(Decode(%q) = %+v) error: %v", s, l, err)
		}
		again, err := Decode(enc)
		if err != nil || !equal(again, l) {
			t.Fatalf("Decode(Encode(%+v)) = %+v, %v", l, again, err)
		}
	})
}
