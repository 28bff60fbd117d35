// Package core is what guests import.
package core

import _ "unigo.dev/unigo/kernel/arch/amd64"
