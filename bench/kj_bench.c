// SPDX-License-Identifier: GPL-2.0
/*
 * kj_bench: the figures behind kjump's performance claims, measured in the
 * guest.  Time comes from the TSC, which runs while the kernel's clocks are
 * suspended (CLOCK_MONOTONIC stops across a jump and a hibernation test).
 *
 *   kj_bench membw               memcpy bandwidth, MB/s (64 MiB, best of 5)
 *   kj_bench run CMD...          wall time of a shell command, ms
 *   kj_bench jump N              N jumps into the loaded B; per jump and mean
 *   kj_bench lastnz FILE         MiB up to FILE's last non-zero MiB (on the
 *                                host: where swsusp's image ends on its disk)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <x86intrin.h>
#include <linux/kjump.h>

static double tsc_mhz(void)
{
	char line[256];
	double mhz = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	if (f)
		fclose(f);
	return mhz;
}

static double ms_since(uint64_t t0, double mhz)
{
	return (double)(__rdtsc() - t0) / (mhz * 1000.0);
}

static int membw(double mhz)
{
	size_t n = 64 << 20;
	char *a = malloc(n), *b = malloc(n);
	double best = 0;
	int i;

	if (!a || !b)
		return 1;
	memset(a, 1, n);
	memset(b, 2, n);
	for (i = 0; i < 5; i++) {
		uint64_t t0 = __rdtsc();
		double ms;

		memcpy(i & 1 ? a : b, i & 1 ? b : a, n);
		ms = ms_since(t0, mhz);
		if (n / 1e3 / ms > best)
			best = n / 1e3 / ms;
	}
	printf("memcpy %.0f MB/s\n", best);
	return 0;
}

static int run(char **argv, double mhz)
{
	char cmd[4096] = "";
	uint64_t t0;
	int i, rc;

	for (i = 0; argv[i]; i++) {
		strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
		strcat(cmd, " ");
	}
	t0 = __rdtsc();
	rc = system(cmd);
	printf("run %.1f ms (exit %d)\n", ms_since(t0, mhz), rc);
	return 0;
}

static int jump(int n, double mhz)
{
	double sum_wall = 0, sum[8] = { 0 };
	int fd = open(KJUMP_DEVICE, O_RDWR), i, m = 0;

	if (fd < 0) {
		perror(KJUMP_DEVICE);
		return 1;
	}
	printf("%-4s %9s %8s %8s %8s %8s %8s %8s %9s %8s\n", "jump", "wall_ms",
	       "freeze", "dev_off", "cpu_off", "swap_out", "away", "swap_in",
	       "cpu_on", "dev_on");
	for (i = 1; i <= n; i++) {
		struct kjump_jump j = { .size = sizeof(j) };
		uint64_t t0 = __rdtsc();
		double wall;

		if (ioctl(fd, KJUMP_IOC_JUMP, &j)) {
			perror("jump");
			return 1;
		}
		wall = ms_since(t0, mhz);
		printf("%-4d %9.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %9.1f %8.1f  pages %" PRIu64 "\n",
		       i, wall, j.ns_freeze / 1e6, j.ns_suspend / 1e6,
		       j.ns_cpu_down / 1e6, j.ns_swap_out / 1e6, j.ns_away / 1e6,
		       j.ns_swap_in / 1e6, j.ns_cpu_up / 1e6, j.ns_resume / 1e6,
		       (uint64_t)j.swapped_pages);
		if (i == 1)
			continue;	/* the first jump boots B: not a re-entry */
		m++;
		sum_wall += wall;
		sum[0] += j.ns_freeze / 1e6;
		sum[1] += j.ns_suspend / 1e6;
		sum[2] += j.ns_cpu_down / 1e6;
		sum[3] += j.ns_swap_out / 1e6;
		sum[4] += j.ns_away / 1e6;
		sum[5] += j.ns_swap_in / 1e6;
		sum[6] += j.ns_cpu_up / 1e6;
		sum[7] += j.ns_resume / 1e6;
		if (i == n)
			printf("swap_pages %" PRIu64 "\n", (uint64_t)j.swapped_pages);
	}
	if (m)
		printf("mean %9.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %9.1f %8.1f\n",
		       sum_wall / m, sum[0] / m, sum[1] / m, sum[2] / m, sum[3] / m,
		       sum[4] / m, sum[5] / m, sum[6] / m, sum[7] / m);
	return 0;
}

static int lastnz(const char *path)
{
	static char buf[1 << 20];
	long mib = 0, last = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		perror(path);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		mib++;
		for (i = 0; i < n; i++)
			if (buf[i]) {
				last = mib;
				break;
			}
	}
	close(fd);
	printf("%ld\n", last);
	return n < 0;
}

int main(int argc, char **argv)
{
	double mhz;

	if (argc == 3 && !strcmp(argv[1], "lastnz"))
		return lastnz(argv[2]);
	mhz = tsc_mhz();

	if (mhz <= 0) {
		fprintf(stderr, "kj_bench: no cpu MHz in /proc/cpuinfo\n");
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "membw"))
		return membw(mhz);
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argv + 2, mhz);
	if (argc == 3 && !strcmp(argv[1], "jump"))
		return jump(atoi(argv[2]), mhz);
	fprintf(stderr, "usage: kj_bench membw | run CMD... | jump N | lastnz FILE\n");
	return 2;
}
