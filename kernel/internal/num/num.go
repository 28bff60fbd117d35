// Package num formats integers into caller-provided buffers without
// allocating, for the kernel log and generated files (trap context, before
// the Go runtime: no fmt, no strconv).
package num

// Uint writes v in decimal at the end of buf and returns the digits.
func Uint(buf *[20]byte, v uint64) []byte {
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return buf[i:]
}

// Hex writes v in lower-case hexadecimal at the end of buf and returns the
// digits (no prefix).
func Hex(buf *[16]byte, v uint64) []byte {
	i := len(buf)
	for {
		i--
		buf[i] = "0123456789abcdef"[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return buf[i:]
}
