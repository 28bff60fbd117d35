// Package guest holds tests of the kernel's Linux ABI that run inside a
// unikernel (`unigo test ./test/guest`, from test/e2e) and, unchanged, as an
// ordinary Linux process (`go test ./test/guest`): the same assertions hold
// on both, except where a test says the kernel deliberately differs (W^X).
package guest
