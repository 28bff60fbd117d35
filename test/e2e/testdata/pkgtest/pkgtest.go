// Package pkgtest is a tiny library whose tests run as a unikernel.
package pkgtest

// Add returns a+b.
func Add(a, b int) int { return a + b }
