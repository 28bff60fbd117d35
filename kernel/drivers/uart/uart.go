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
	regFCR  = 2 // FIFO control
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
	amd64.Outb(base+regLCR, 0x80) // DLAB
	amd64.Outb(base+regData, 1)   // 115200 baud
	amd64.Outb(base+regIER, 0)
	amd64.Outb(base+regLCR, 0x03) // 8N1
	amd64.Outb(base+regFCR, 0xC7) // enable and clear FIFOs
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

// GetByte returns a received byte if one is waiting.
func (p *Port) GetByte() (byte, bool) {
	if !p.present || amd64.Inb(p.base+regLSR)&lsrDataReady == 0 {
		return 0, false
	}
	return amd64.Inb(p.base + regData), true
}
