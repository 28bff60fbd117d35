// Package uart drives a 16550-compatible UART (the PC's COM1 at I/O port
// 0x3F8) by polling: the console of the unikernel.
//
// Register offsets follow the National Semiconductor PC16550D data sheet.
package uart

import "unigo.dev/unigo/kernel/arch/amd64"

// COM1 is the first PC serial port.
const COM1 = 0x3F8

const (
	regData = 0 // THR/RBR (DLAB=0), DLL (DLAB=1)
	regIER  = 1 // interrupt enable (DLAB=0), DLM (DLAB=1)
	regLCR  = 3 // line control
	regMCR  = 4 // modem control
	regLSR  = 5 // line status

	lsrDataReady = 0x01
	lsrTHREmpty  = 0x20
)

// Port is one UART.
type Port struct {
	base    uint16
	present bool
	// Bytes received before Init, which enabling the FIFOs would discard.
	early  [16]byte
	nearly int
	iearly int
}

// Init programs the port for 115200 8N1 with FIFOs and reports whether a
// UART answered (the scratch register test).
func (p *Port) Init(base uint16) bool {
	p.base = base
	amd64.Outb(base+7, 0x5A)
	if amd64.Inb(base+7) != 0x5A {
		p.present = false
		return false
	}
	amd64.Outb(base+regIER, 0x00)
	// Keep what arrived before now.
	for p.nearly < len(p.early) && amd64.Inb(base+regLSR)&lsrDataReady != 0 {
		p.early[p.nearly] = amd64.Inb(base + regData)
		p.nearly++
	}
	amd64.Outb(base+regLCR, 0x80) // DLAB
	amd64.Outb(base+regData, 1)   // 115200 baud
	amd64.Outb(base+regIER, 0)
	amd64.Outb(base+regLCR, 0x03) // 8N1
	// FIFOs stay off (the reset state): turning them on clears them, and
	// would drop input that arrives during boot. Emulated UARTs gain
	// nothing from them.
	amd64.Outb(base+regMCR, 0x0B) // DTR, RTS, OUT2
	p.present = true
	return true
}

// PutByte sends one byte, waiting for room in the transmitter.
func (p *Port) PutByte(c byte) {
	if !p.present {
		return
	}
	for i := 0; i < 100000 && amd64.Inb(p.base+regLSR)&lsrTHREmpty == 0; i++ {
		amd64.Pause()
	}
	amd64.Outb(p.base+regData, c)
}

// Write sends b unchanged. There is no "\n" to "\r\n" translation: the
// bytes reach the host exactly as the program wrote them (so output can be
// compared with a Linux process's), and QEMU leaves output post-processing
// on when its stdio is a terminal.
func (p *Port) Write(b []byte) {
	for _, c := range b {
		p.PutByte(c)
	}
}

// WriteString is Write for strings, without converting to []byte.
func (p *Port) WriteString(s string) {
	for i := 0; i < len(s); i++ {
		p.PutByte(s[i])
	}
}

// EnableRxInterrupt turns on the "received data available" interrupt
// (IER bit 0; OUT2 in MCR, set by Init, gates it to the interrupt line).
func (p *Port) EnableRxInterrupt() bool {
	if !p.present {
		return false
	}
	amd64.Outb(p.base+regIER, 0x01)
	return true
}

// GetByte returns a received byte if one is waiting.
func (p *Port) GetByte() (byte, bool) {
	if p.iearly < p.nearly {
		c := p.early[p.iearly]
		p.iearly++
		return c, true
	}
	if !p.present || amd64.Inb(p.base+regLSR)&lsrDataReady == 0 {
		return 0, false
	}
	return amd64.Inb(p.base + regData), true
}
