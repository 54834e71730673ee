// SPDX-License-Identifier: GPL-2.0
/*
 * kj_pin DIR: holds pages the way a device's DMA buffer is held, for the
 * payload scenario's refusal tests.
 *
 * It maps 64 pages, writes each, and keeps a reference to each in a pipe
 * (vmsplice), so that a LOAD cannot migrate them out of a region: they
 * stay there, shadowed, as A's own pages.  It writes their physical
 * addresses to DIR/addrs, one per line, and "ready" to DIR/state, then
 * waits for signals: SIGUSR1 registers the pages as io_uring fixed
 * buffers (a long-term pin, FOLL_LONGTERM, as VFIO and RDMA take), SIGUSR2
 * unregisters them; after each it writes the addresses again (so the
 * caller sees that the pages did not move) and "pinned" or "unpinned" to
 * DIR/state.  SIGTERM ends it.  Exits 4 when io_uring is not available.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/io_uring.h>

#define NR_PAGES	64
#define PAGE		4096UL

static const char *dir;

static void put(const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || rename(tmp, path)) {
		perror(path);
		exit(1);
	}
}

/* The pages' physical addresses (root sees PFNs in pagemap). */
static void put_addrs(const unsigned char *buf)
{
	char text[NR_PAGES * 24] = "";
	size_t used = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0) {
		perror("/proc/self/pagemap");
		exit(1);
	}
	for (unsigned int i = 0; i < NR_PAGES; i++) {
		uint64_t e;
		off_t off = (off_t)((uintptr_t)(buf + i * PAGE) / PAGE * sizeof(e));

		if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e >> 63)) {
			fprintf(stderr, "kj_pin: page %u not present\n", i);
			exit(1);
		}
		used += (size_t)snprintf(text + used, sizeof(text) - used, "0x%" PRIx64 "\n",
					 (uint64_t)((e & ((1ULL << 55) - 1)) * PAGE));
	}
	close(fd);
	put("addrs", text);
}

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct iovec iov;
	unsigned char *buf;
	int pfd[2], ring, sig;
	sigset_t set;

	if (argc != 2) {
		fprintf(stderr, "usage: kj_pin DIR\n");
		return 2;
	}
	dir = argv[1];
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	buf = mmap(NULL, NR_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (unsigned int i = 0; i < NR_PAGES; i++)
		memset(buf + i * PAGE, 0x40 + (int)(i % 32), PAGE);
	if (pipe(pfd) || fcntl(pfd[1], F_SETPIPE_SZ, (int)(NR_PAGES * PAGE)) < 0) {
		perror("pipe");
		return 1;
	}
	iov.iov_base = buf;
	iov.iov_len = NR_PAGES * PAGE;
	if (vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)(NR_PAGES * PAGE)) {
		perror("vmsplice");
		return 1;
	}
	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0) {
		fprintf(stderr, "kj_pin: io_uring_setup: %s\n", strerror(errno));
		return 4;
	}
	put_addrs(buf);
	put("state", "ready\n");

	for (;;) {
		if (sigwait(&set, &sig))
			return 1;
		if (sig == SIGTERM)
			return 0;
		if (sig == SIGUSR1) {
			if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1)) {
				fprintf(stderr, "kj_pin: register buffers: %s\n", strerror(errno));
				put("state", "error\n");
				continue;
			}
			put_addrs(buf);
			put("state", "pinned\n");
		} else {
			if (syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0)) {
				fprintf(stderr, "kj_pin: unregister buffers: %s\n", strerror(errno));
				put("state", "error\n");
				continue;
			}
			put_addrs(buf);
			put("state", "unpinned\n");
		}
	}
}
