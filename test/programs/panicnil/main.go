// Command panicnil dereferences a nil pointer and recovers, which needs the
// kernel to deliver SIGSEGV as a real signal frame; then it panics without
// recovering, which must end with a Go traceback on standard error and exit
// status 2.
//
// Standard output:
//
//	recovered: runtime error: invalid memory address or nil pointer dereference
//
// Standard error begins "panic: boom" followed by "goroutine 1 [running]:".
package main

import "fmt"

type point struct{ x, y int }

// load reads through p. Not inlined, so the nil check stays a real memory
// access (a fault) rather than something the compiler can reason away.
//
//go:noinline
func load(p *point) int { return p.y }

func main() {
	func() {
		defer func() {
			fmt.Println("recovered:", recover())
		}()
		var p *point
		fmt.Println("unreachable:", load(p))
	}()
	panic("boom")
}
