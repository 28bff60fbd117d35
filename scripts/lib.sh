# Shared helpers for scripts/examples and scripts/test.

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

need_go() {
	if ! command -v go >/dev/null 2>&1; then
		echo "go not found: install Go 1.26 (https://go.dev/dl) and put it on PATH" >&2
		exit 1
	fi
}

need_qemu() {
	if ! command -v "${UNIGO_QEMU:-qemu-system-x86_64}" >/dev/null 2>&1; then
		echo "installing qemu-system-x86 (QEMU is missing)"
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y qemu-system-x86
	fi
}

# need_registry installs the Distribution registry (Debian's docker-registry)
# that the push/pull end-to-end test starts; the test skips without it.
need_registry() {
	if ! command -v docker-registry >/dev/null 2>&1; then
		echo "installing docker-registry (the push/pull e2e test starts one)"
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry ||
			echo "docker-registry could not be installed: TestOCIPushPull will skip" >&2
	fi
}

# need_nettools installs what the networking e2e tests use: ip (network
# namespaces, bridges, taps), ping and the wrk load generator.
need_nettools() {
	if ! command -v ip >/dev/null 2>&1 || ! command -v ping >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
		echo "installing iproute2, iputils-ping and wrk (networking tests)"
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2 iputils-ping wrk
	fi
}

# need_containerd installs what the containerd shim e2e tests use: containerd
# (with ctr and containerd-shim-runc-v2), runc, and the CNI plugins (bridge,
# host-local) for the CRI test's pod network; the tests skip without them.
need_containerd() {
	if ! command -v containerd >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || [ ! -x /usr/lib/cni/bridge ]; then
		echo "installing containerd, runc and containernetworking-plugins (containerd shim tests)"
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends containerd runc containernetworking-plugins ||
			echo "containerd could not be installed: the containerd shim tests will skip" >&2
	fi
}
