// Package p9 mounts host directories shared over virtio-9p: a 9P2000.L
// client (msg.go: the wire format) on the virtio 9P transport (VIRTIO 1.2
// §5.11), implementing [vfs.FileSystem] so that `unigo run -v HOST:GUEST`
// shows the host directory at GUEST.
//
// See docs/shares.md for the design and the security model.
package p9
