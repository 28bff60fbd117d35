package startup

import (
	"bytes"
	"strconv"
	"testing"
)

// readCPIO parses a newc archive written by writeCPIO (test helper).
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	for off := 0; ; {
		if off+110 > len(b) || string(b[off:off+6]) != "070701" {
			t.Fatalf("bad header at offset %d", off)
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("field %d at %d: %v", i, off, err)
			}
			return int(v)
		}
		mode, size, rmaj, rmin, nsize := field(1), field(6), field(9), field(10), field(11)
		name := string(b[off+110 : off+110+nsize-1])
		off += 110 + nsize
		off += pad4(off)
		if off%4 != 0 {
			t.Fatalf("data of %s not aligned", name)
		}
		data := b[off : off+size]
		off += size + pad4(size)
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, cpioEntry{Name: name, Mode: uint32(mode), Data: data, Major: uint32(rmaj), Minor: uint32(rmin)})
	}
}

func TestWriteCPIO(t *testing.T) {
	in := []cpioEntry{
		{Name: "dev", Mode: modeDir | 0o755},
		{Name: "dev/console", Mode: modeChar | 0o600, Major: 5, Minor: 1},
		{Name: "init", Mode: modeReg | 0o755, Data: []byte("#!x\n")},
		{Name: "odd", Mode: modeReg | 0o644, Data: []byte("12345")},
	}
	var buf bytes.Buffer
	if err := writeCPIO(&buf, in); err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, buf.Bytes())
	if len(got) != len(in) {
		t.Fatalf("read %d entries; want %d", len(got), len(in))
	}
	for i := range in {
		g, w := got[i], in[i]
		if g.Name != w.Name || g.Mode != w.Mode || !bytes.Equal(g.Data, w.Data) || g.Major != w.Major || g.Minor != w.Minor {
			t.Errorf("entry %d = %+v; want %+v", i, g, w)
		}
	}
}
