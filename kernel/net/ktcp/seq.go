package ktcp

// Sequence-number comparisons modulo 2^32 (RFC 9293 §3.4, RFC 1982).

func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqLEQ(a, b uint32) bool { return int32(a-b) <= 0 }
func seqGT(a, b uint32) bool  { return int32(a-b) > 0 }
func seqGEQ(a, b uint32) bool { return int32(a-b) >= 0 }

// inWindow reports whether seq lies in [start, start+n).
func inWindow(seq, start, n uint32) bool { return seq-start < n }
