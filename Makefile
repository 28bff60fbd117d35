# unigo — top-level targets; they wrap scripts/ (which need no make).

GO ?= go
QEMU ?= qemu-system-x86_64
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT := out

.PHONY: all unigo shim install-shim examples qemu test vet unit kernel-test e2e clean

all: unigo

unigo:
	$(GO) build -o $(OUT)/unigo ./cmd/unigo

# The containerd runtime v2 shim (docs/kubernetes.md); install-shim copies
# it next to containerd (BINDIR, default /usr/local/bin).
BINDIR ?= /usr/local/bin
shim:
	$(GO) build -o $(OUT)/containerd-shim-unigo-v1 ./cmd/containerd-shim-unigo-v1

install-shim: shim
	$(SUDO) install -m 0755 $(OUT)/containerd-shim-unigo-v1 $(BINDIR)/

# Installs QEMU when missing, builds examples/hello and boots it.
examples:
	./scripts/examples

qemu:
	@command -v $(QEMU) >/dev/null 2>&1 || { \
		echo "installing qemu-system-x86"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y qemu-system-x86; }

test:
	./scripts/test

vet:
	$(GO) vet ./...
	cd kernel && $(GO) vet ./...

unit:
	$(GO) test ./...

kernel-test:
	cd kernel && $(GO) test ./...

# Boots real guests; needs QEMU and a kernel that boots.
e2e:
	UNIGO_E2E=1 $(GO) test -count=1 -timeout 30m ./test/e2e/

clean:
	rm -rf $(OUT)
