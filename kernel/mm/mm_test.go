package mm

import "testing"

func TestDirectMap(t *testing.T) {
	old := DirectMap
	defer func() { DirectMap = old }()
	DirectMap = 0xffff_8880_0000_0000
	if got := PhysToVirt(0x1234); got != 0xffff_8880_0000_1234 {
		t.Errorf("PhysToVirt(0x1234) = %#x", got)
	}
	if got := VirtToPhys(0xffff_8880_0010_0000); got != 0x10_0000 {
		t.Errorf("VirtToPhys = %#x", got)
	}
}

func TestPageRounding(t *testing.T) {
	for _, tc := range []struct{ x, up, down uintptr }{
		{0, 0, 0},
		{1, PageSize, 0},
		{PageSize, PageSize, PageSize},
		{PageSize + 1, 2 * PageSize, PageSize},
	} {
		if PageUp(tc.x) != tc.up || PageDown(tc.x) != tc.down || PageAligned(tc.x) != (tc.x == tc.down) {
			t.Errorf("rounding %#x: up %#x down %#x", tc.x, PageUp(tc.x), PageDown(tc.x))
		}
	}
}

func TestZero(t *testing.T) {
	buf := []byte{1, 2, 3, 4, 5, 6}
	if Ptr(0) != nil {
		t.Fatal("Ptr(0) != nil")
	}
	Zero(uintptrOf(&buf[1]), 4)
	Zero(uintptrOf(&buf[0]), 0)
	if want := []byte{1, 0, 0, 0, 0, 6}; string(buf) != string(want) {
		t.Errorf("Zero: %v; want %v", buf, want)
	}
	if n := testing.AllocsPerRun(10, func() { Zero(uintptrOf(&buf[0]), 6) }); n != 0 {
		t.Errorf("Zero allocates %v", n)
	}
}
