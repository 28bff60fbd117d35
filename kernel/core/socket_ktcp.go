//go:build unigo_net

package core

import "unigo.dev/unigo/kernel/net/ktcp"

// PLACEHOLDER of the socket layer's file (the socklayer branch owns
// socket_ktcp.go; its version wins on every merge). Here no socket uses
// ktcp yet, so IPv4 TCP stays with gVisor unless unigo.net.tcp=ktcp.

// ktDefaultMode is the TCP that serves IPv4 without unigo.net.tcp=.
const ktDefaultMode = ktModeGVisor

// ktSockWake is ktcp's Config.Wake.
func ktSockWake(ktcp.ID) {}
