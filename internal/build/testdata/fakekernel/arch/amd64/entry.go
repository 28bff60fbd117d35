// Package amd64 holds the fake entry points.
package amd64

func entry64()
func pvhEntry32()
