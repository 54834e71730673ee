# SPDX-License-Identifier: GPL-2.0
# kjump: kexec jump for kernels built without CONFIG_KEXEC_JUMP.
#
#   make demo          boot a Debian kernel in QEMU and show kjump at work
#   make check         the whole test suite; ends with "N passed, N failed"
#   make check-one T=6.1-amd64 [S=basic]   one target, one scenario
#   make module [KVER=...]   build kjump.ko against /lib/modules/KVER/build
#   make kjumpctl      build the tool
#   make dkms-install  install with DKMS for the running kernel (real machine)
#   make setup         install what the demo and tests need (idempotent)
#
# The build and test caches live outside the repo, in KJUMP_CACHE.
KJUMP_CACHE ?= /var/cache/kjump
export KJUMP_CACHE
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
T ?= 6.1-amd64
S ?= basic

all: kjumpctl

kjumpctl:
	$(MAKE) -C userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

setup:
	scripts/setup.sh

# The module through DKMS, the tools and the initramfs-tools hook, then the
# initramfs images (the system's, and the job initramfs the hook builds).
dkms-install: kjumpctl
	scripts/dkms.sh install $(KVER)
	$(MAKE) -C userspace install
	update-initramfs -u -k $(KVER)
	@echo "kjump installed for $(KVER): run 'modprobe kjump'"

demo: setup
	scripts/demo.sh

check: setup
	selftests/run.sh

check-one: setup
	KJ_SCENARIOS="$(S)" selftests/run.sh $(T)

clean:
	$(MAKE) -C userspace clean
	rm -rf build

.PHONY: all kjumpctl module module-clean setup dkms-install demo check check-one clean
