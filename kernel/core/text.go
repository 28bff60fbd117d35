package core

import "unigo.dev/unigo/kernel/internal/num"

// text builds generated file content (procfs) without allocating: it
// appends into a fixed buffer and silently truncates when full.
type text struct {
	b []byte
	n int
}

func (t *text) S(s string) *text {
	t.n += copy(t.b[t.n:], s)
	return t
}

func (t *text) B(b []byte) *text {
	t.n += copy(t.b[t.n:], b)
	return t
}

func (t *text) C(c byte) *text {
	if t.n < len(t.b) {
		t.b[t.n] = c
		t.n++
	}
	return t
}

// U appends v in decimal, right-aligned in width columns (0: no padding).
func (t *text) U(v uint64, width int) *text {
	var tmp [20]byte
	d := num.Uint(&tmp, v)
	for pad := width - len(d); pad > 0; pad-- {
		t.C(' ')
	}
	return t.B(d)
}

func (t *text) I(v int64) *text {
	if v < 0 {
		t.C('-')
		return t.U(uint64(-v), 0)
	}
	return t.U(uint64(v), 0)
}

// X appends v in lower-case hexadecimal, zero-padded to width digits.
func (t *text) X(v uint64, width int) *text {
	var tmp [16]byte
	d := num.Hex(&tmp, v)
	for pad := width - len(d); pad > 0; pad-- {
		t.C('0')
	}
	return t.B(d)
}

func (t *text) bytes() []byte { return t.b[:t.n] }
