// SPDX-License-Identifier: GPL-2.0
/*
 * kjumpctl: drive the kjump module.
 *
 *   kjumpctl load --kernel BZIMAGE [--initrd F] [--append "..."]
 *                 [--reuse-cmdline] [--region SIZE[@ADDR]]
 *   kjumpctl unload [--discard]
 *   kjumpctl status
 *   kjumpctl jump            (-j)   into the loaded kernel, and back
 *   kjumpctl back [--status S] [--message TEXT] [--pfn PFN]   (-b)
 *                                    from B back into A
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kjump.h>
#include "bootimage.h"
#include "kjumpctl.h"

const char *prog = "kjumpctl";

static void kj_die_usage(const char *msg)
{
	fprintf(stderr, "%s: %s (see '%s --help')\n", prog, msg, prog);
	exit(2);
}

int kj_open(void)
{
	int fd = open(KJUMP_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		fprintf(stderr, "%s: %s not found: the kjump module is not loaded; "
			"run 'modprobe kjump' (install it with 'make dkms-install')\n",
			prog, KJUMP_DEVICE);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr, "%s: %s: permission denied: kjump needs root with "
			"CAP_SYS_BOOT\n", prog, KJUMP_DEVICE);
		break;
	default:
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, KJUMP_DEVICE,
			strerror(errno));
	}
	exit(1);
}

int kj_status(int fd, struct kjump_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, KJUMP_IOC_STATUS, st);
}

static const char *kj_state_name(uint32_t s)
{
	static const char * const names[] = { "empty", "loaded", "jumping", "suspended" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* SIZE[KMG][@ADDR] */
int kj_parse_region(const char *s, uint64_t *size, uint64_t *addr)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fallthrough */
	case 'M': case 'm': v <<= 10; /* fallthrough */
	case 'K': case 'k': v <<= 10; end++; break;
	default: break;
	}
	*size = v;
	*addr = 0;
	if (*end == '@') {
		*addr = strtoull(end + 1, &end, 0);
		if (!*addr)
			return -1;
	}
	return (*end || !v) ? -1 : 0;
}

/* A's command line for B, less what only concerns A's own boot. */
static char *kj_reuse_cmdline(void)
{
	static const char * const drop[] = { "BOOT_IMAGE=", "initrd=",
		"kexec_jump_buf_pfn=", "kexec_jump_back_entry=", "crashkernel=",
		"elfcorehdr=" };
	char buf[4096], *out, *tok, *save = NULL;
	FILE *f = fopen("/proc/cmdline", "re");
	size_t i;

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return strdup("");
	}
	fclose(f);
	out = calloc(1, strlen(buf) + 1);
	if (!out)
		return NULL;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			if (!strncmp(tok, drop[i], strlen(drop[i])))
				break;
		if (i < sizeof(drop) / sizeof(drop[0]))
			continue;
		if (*out)
			strcat(out, " ");
		strcat(out, tok);
	}
	return out;
}

static void kj_help_load(FILE *f)
{
	fprintf(f,
"usage: %s load --kernel BZIMAGE [--initrd FILE] [--append \"ARGS\" | --reuse-cmdline]\n"
"                [--region SIZE[@ADDR]] [--vmcore]\n"
"       %s load --raw PAYLOAD [--region SIZE[@ADDR]]\n"
"  Load kernel B for a later 'kjumpctl jump'.  B gets only the region as RAM:\n"
"  SIZE (K, M or G suffix; default %llu M) of contiguous RAM, at ADDR or at the\n"
"  highest fit below 4 GiB, plus A's RAM below 640 KiB.  A needs as much free\n"
"  memory as the region to hold its displaced pages.\n"
"  B's command line: kexec_jump_buf_pfn=N, then --append, or A's own line with\n"
"  --reuse-cmdline.\n"
"  --vmcore gives B A's memory as /proc/vmcore (elfcorehdr=, a kdump view).\n"
"  --raw loads a flat payload at the region's start (default region %llu M)\n"
"  and enters it there, with the kexec-jump protocol only.\n",
		prog, prog, KJ_DEFAULT_REGION >> 20, KJ_DEFAULT_RAW_REGION >> 20);
}

static void kj_load_error(int fd, int err, uint64_t region)
{
	struct kjump_status st;

	fprintf(stderr, "%s: load failed: %s\n", prog, strerror(err));
	switch (err) {
	case EPERM:
		if (kj_status(fd, &st) == 0 && (st.flags & KJUMP_STATUS_LOCKDOWN))
			fprintf(stderr, "  the kernel is locked down (see "
				"/sys/kernel/security/lockdown): kexec loads are refused\n");
		else if (kj_status(fd, &st) == 0 && (st.flags & KJUMP_STATUS_LOAD_DISABLED))
			fprintf(stderr, "  kernel.kexec_load_disabled is 1: loads are "
				"refused until reboot\n");
		else
			fprintf(stderr, "  needs root with CAP_SYS_BOOT\n");
		break;
	case EBUSY:
		fprintf(stderr, "  a kernel is already loaded: run '%s unload' first\n", prog);
		break;
	case ENOMEM:
		fprintf(stderr, "  not enough free memory for the %" PRIu64 " MiB region's "
			"shadow pages: free memory or use a smaller --region\n",
			region >> 20);
		break;
	case EADDRINUSE:
		fprintf(stderr, "  the region holds A's jump buffer, which B must read in place, "
			"or a page pinned for DMA (VFIO, RDMA, io_uring fixed buffers): "
			"choose another --region (dmesg says which)\n");
		break;
	case EOPNOTSUPP:
		fprintf(stderr, "  a jump cannot be correct on this machine: memory encryption, "
			"a confidential guest (SEV, TDX) or Xen PV (dmesg says which)\n");
		break;
	case EADDRNOTAVAIL:
		fprintf(stderr, "  the region is not all RAM, or a segment lies outside "
			"it: check --region against /proc/iomem (dmesg says which)\n");
		break;
	default:
		fprintf(stderr, "  the module refused the image: dmesg says why\n");
	}
}

/* Build B's image from @o and LOAD it; says what went wrong. */
int kj_load(int fd, struct kj_boot_opts *o, int quiet)
{
	struct kj_boot_image b;
	struct kjump_status st;
	struct kjump_load req;
	char err[512];
	int ret;

	if (kj_status(fd, &st)) {
		fprintf(stderr, "%s: status failed: %s\n", prog, strerror(errno));
		return -1;
	}
	if (st.state != KJUMP_STATE_EMPTY) {
		fprintf(stderr, "%s: a kernel is already loaded (%s): run '%s unload' first\n",
			prog, kj_state_name(st.state), prog);
		return -1;
	}
	o->jump_buf_pfn = st.jump_buf_pfn;
	o->region_limit = st.region_limit;
	/* A 32-bit kjumpctl runs on a 32-bit kernel: B enters the 32-bit way. */
	if (sizeof(void *) == 4)
		o->entry32 = 1;
	ret = kj_boot_build(o, &b, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		kj_boot_free(&b);
		return -1;
	}

	/* Last, so that what reading B's files cached is dropped as well. */
	if (o->drop_caches)
		kj_drop_caches();
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.flags = KJUMP_LOAD_PRESERVE_CONTEXT | (o->jump_now ? KJUMP_LOAD_JUMP_NOW : 0);
	req.entry = b.entry;
	req.region = b.region;
	req.segments = (uintptr_t)b.seg;
	req.nr_segments = b.nr_seg;
	if (b.elfcorehdr_seg >= 0) {
		req.flags |= KJUMP_LOAD_ELFCOREHDR |
			     (o->vmcore_phys ? KJUMP_LOAD_ELFCOREHDR_PHYS : 0);
		req.elfcorehdr_seg = (uint32_t)b.elfcorehdr_seg;
	}
	if (ioctl(fd, KJUMP_IOC_LOAD, &req)) {
		kj_load_error(fd, errno, b.region.size);
		kj_boot_free(&b);
		return -1;
	}
	if (quiet) {
		kj_boot_free(&b);
		return 0;
	}
	printf("loaded %s%s%s\n", o->raw ? o->raw : o->kernel, *b.version ? ": " : "", b.version);
	printf("  region  0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " MiB)",
	       (uint64_t)b.region.start, (uint64_t)(b.region.start + b.region.size - 1),
	       (uint64_t)b.region.size >> 20);
	if (b.region.low_size)
		printf(" + low 0x%" PRIx64 "-0x%" PRIx64, (uint64_t)b.region.low_start,
		       (uint64_t)(b.region.low_start + b.region.low_size - 1));
	printf("\n  kernel  0x%" PRIx64 " (init_size %" PRIu64 " KiB), boot_params 0x%" PRIx64
	       ", entry 0x%" PRIx64 "\n", b.kernel_addr, b.init_size >> 10, b.bp_addr, b.entry);
	if (b.initrd_size)
		printf("  initrd  0x%" PRIx64 " (%" PRIu64 " KiB)\n", b.initrd_addr,
		       b.initrd_size >> 10);
	if (b.elfcorehdr_seg >= 0)
		printf("  elfcorehdr 0x%" PRIx64 " (%" PRIu64 " KiB): A's memory as B's /proc/vmcore\n",
		       b.elfcorehdr_addr, b.elfcorehdr_size >> 10);
	printf("  cmdline %s\n", b.cmdline);
	kj_boot_free(&b);
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "command-line", required_argument, NULL, 'a' },
		{ "reuse-cmdline", no_argument, NULL, 'r' },
		{ "region", required_argument, NULL, 'R' },
		{ "raw", required_argument, NULL, 'w' },
		{ "vmcore", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct kj_boot_opts o = { .region_size = 0 };
	char *reuse = NULL;
	int c, fd, ret, quiet = 0;

	o.entry32 = sizeof(void *) == 4;
	while ((c = getopt_long(argc, argv, "k:i:a:rR:w:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v': o.vmcore = 1; break;
		case 'w': o.raw = optarg; break;
		case 'k': o.kernel = optarg; break;
		case 'i': o.initrd = optarg; break;
		case 'a': o.cmdline = optarg; break;
		case 'r': reuse = kj_reuse_cmdline(); o.cmdline = reuse; break;
		case 'R':
			if (kj_parse_region(optarg, &o.region_size, &o.region_addr))
				kj_die_usage("--region takes SIZE[K|M|G][@ADDR], e.g. 256M or 256M@0x30000000");
			break;
		case 'h': kj_help_load(stdout); return 0;
		default: kj_help_load(stderr); return 2;
		}
	}
	if (!o.kernel == !o.raw)
		kj_die_usage("load needs --kernel BZIMAGE or --raw PAYLOAD");
	if (!o.region_size)
		o.region_size = o.raw ? KJ_DEFAULT_RAW_REGION : KJ_DEFAULT_REGION;

	fd = kj_open();
	ret = kj_load(fd, &o, quiet);
	free(reuse);
	close(fd);
	return ret ? 1 : 0;
}

static int cmd_unload(int argc, char **argv)
{
	unsigned long flags = 0;
	int fd, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--discard"))
			flags |= KJUMP_UNLOAD_DISCARD;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s unload [--discard]\n"
			       "  Free the loaded kernel.  --discard is needed when B has run\n"
			       "  and waits suspended: its state is lost.\n", prog);
			return 0;
		} else
			kj_die_usage("unload takes only --discard");
	}
	fd = kj_open();
	if (ioctl(fd, KJUMP_IOC_UNLOAD, flags)) {
		if (errno == ENOENT)
			fprintf(stderr, "%s: nothing is loaded\n", prog);
		else if (errno == EBUSY)
			fprintf(stderr, "%s: B is suspended or a jump is in progress; "
				"'%s unload --discard' drops a suspended B\n", prog, prog);
		else
			fprintf(stderr, "%s: unload failed: %s\n", prog, strerror(errno));
		return 1;
	}
	printf("unloaded\n");
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	struct kjump_status st;
	uint32_t abi = 0;
	int fd;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: %s status\n  Show what is loaded and where.\n", prog);
			return 0;
		}
		kj_die_usage("status takes no arguments");
	}
	fd = kj_open();
	if (ioctl(fd, KJUMP_IOC_VERSION, &abi) || kj_status(fd, &st)) {
		fprintf(stderr, "%s: status failed: %s\n", prog, strerror(errno));
		return 1;
	}
	printf("state:              %s\n", kj_state_name(st.state));
	printf("abi:                %u (tool %u)\n", abi, KJUMP_ABI_VERSION);
	printf("kexec_jump_buf_pfn: %" PRIu64 " (0x%" PRIx64 ")\n",
	       (uint64_t)st.jump_buf_pfn, (uint64_t)st.jump_buf_pfn);
	if (st.flags & KJUMP_STATUS_PEER)
		printf("peer jump buffer:   pfn %" PRIu64 " (this kernel is B or D)\n",
		       (uint64_t)st.peer_buf_pfn);
	if (st.state != KJUMP_STATE_EMPTY) {
		printf("region:             0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " MiB)",
		       (uint64_t)st.region.start,
		       (uint64_t)(st.region.start + st.region.size - 1),
		       (uint64_t)st.region.size >> 20);
		if (st.region.low_size)
			printf(" + low 0x%" PRIx64 "-0x%" PRIx64,
			       (uint64_t)st.region.low_start,
			       (uint64_t)(st.region.low_start + st.region.low_size - 1));
		printf("\nentry:              0x%" PRIx64 "\n", (uint64_t)st.entry);
		if (st.state == KJUMP_STATE_SUSPENDED)
			printf("re-entry:           0x%" PRIx64 "\n", (uint64_t)st.reentry);
		printf("segments:           %u\n", st.nr_segments);
		printf("shadow pages:       %" PRIu64 " (%" PRIu64 " MiB), list pages %" PRIu64 "\n",
		       (uint64_t)st.shadow_pages, (uint64_t)st.shadow_pages >> 8,
		       (uint64_t)st.list_pages);
	}
	printf("round trips:        %" PRIu64 "\n", (uint64_t)st.nr_jumps);
	if (st.flags & KJUMP_STATUS_LOCKDOWN)
		printf("refused:            kernel is locked down\n");
	if (st.flags & KJUMP_STATUS_LOAD_DISABLED)
		printf("refused:            kernel.kexec_load_disabled is set\n");
	close(fd);
	return 0;
}

static const char * const kj_peer_status_names[] = {
	[KJUMP_PEER_NONE] = "none",
	[KJUMP_PEER_RETURNED] = "returned",
	[KJUMP_PEER_DUMPED] = "dumped",
	[KJUMP_PEER_RESTORED] = "restored",
	[KJUMP_PEER_FAILED] = "failed",
	[KJUMP_PEER_PANICKED] = "panicked",
	[KJUMP_PEER_NO_TARGET] = "no-target",
};

const char *kj_peer_status_name(uint32_t s)
{
	return s < sizeof(kj_peer_status_names) / sizeof(kj_peer_status_names[0]) ?
	       kj_peer_status_names[s] : "unknown";
}

/* A status by number or name (no-target or no_target); -1 if neither. */
static long kj_peer_status_parse(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	size_t i;

	if (*s && !*end)
		return v <= UINT32_MAX ? (long)v : -1;
	for (i = 0; i < sizeof(kj_peer_status_names) / sizeof(kj_peer_status_names[0]); i++) {
		const char *n = kj_peer_status_names[i];
		size_t k;

		for (k = 0; n[k] && (s[k] == n[k] || (n[k] == '-' && s[k] == '_')); k++)
			;
		if (!n[k] && !s[k])
			return (long)i;
	}
	return -1;
}

void kj_jump_msg_buf(struct kjump_jump *j, char *buf, size_t size)
{
	size_t n = size ? size - 1 : 0;		/* the last byte stays NUL */

	memset(buf, 0, size);
	j->msg = (uintptr_t)buf;
	j->msg_size = (uint32_t)(n < KJUMP_MSG_MAX ? n : KJUMP_MSG_MAX);
}

/* @len bytes of @text on @f, each line indented; a last newline added. */
static void kj_print_indented(FILE *f, const char *text, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);

		n = nl ? (size_t)(nl - (text + i)) : len - i;
		fprintf(f, "  %.*s\n", (int)n, text + i);
		i += n + 1;
	}
}

void kj_print_peer_msg(FILE *f, const char *who, const struct kjump_jump *j, const char *buf)
{
	size_t len = buf && j->msg ? j->msg_len : 0;

	if (j->status == KJUMP_PEER_PANICKED) {
		if (!len) {
			fprintf(f, "%s panicked; none of its log came back\n", who);
			return;
		}
		fprintf(f, "%s panicked; its last lines:\n", who);
	} else if (len) {
		fprintf(f, "%s said:\n", who);
	} else {
		return;
	}
	kj_print_indented(f, buf, len);
}

static double kj_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

void kj_print_times(const struct kjump_jump *j)
{
	printf("  total %.1f ms: freeze %.1f, devices %.1f + %.1f, cpus %.1f + %.1f, "
	       "thaw %.1f; away %.1f ms (swap %.1f + %.1f ms, %" PRIu64 " pages)\n",
	       kj_ms(j->ns_total), kj_ms(j->ns_freeze), kj_ms(j->ns_suspend),
	       kj_ms(j->ns_resume), kj_ms(j->ns_cpu_down), kj_ms(j->ns_cpu_up),
	       kj_ms(j->ns_thaw), kj_ms(j->ns_away), kj_ms(j->ns_swap_out),
	       kj_ms(j->ns_swap_in), (uint64_t)j->swapped_pages);
}

void kj_jump_error(const char *what, int err)
{
	fprintf(stderr, "%s: %s failed: %s\n", prog, what, strerror(err));
	switch (err) {
	case ENOENT:
		if (!strcmp(what, "jump"))
			fprintf(stderr, "  nothing is loaded: run '%s load --kernel ...' first\n", prog);
		else
			fprintf(stderr, "  no peer: pass --pfn or boot with kexec_jump_buf_pfn=\n");
		break;
	case EBUSY:
		fprintf(stderr, "  another jump or load is in progress\n");
		break;
	case EINVAL:
		if (!strcmp(what, "back"))
			fprintf(stderr, "  a status or message the module refuses (status 5 is "
				"the panic path's; at most %u bytes), or the peer's jump buffer "
				"is missing or corrupt (wrong pfn?): dmesg says which\n",
				KJUMP_MSG_MAX);
		else
			fprintf(stderr, "  the peer's jump buffer is missing or corrupt (wrong pfn?)\n");
		break;
	case EFAULT:
		fprintf(stderr, "  the message or its buffer is not readable or writable\n");
		break;
	case EPERM:
		fprintf(stderr, "  refused: locked down, kexec_load_disabled, or not CAP_SYS_BOOT\n");
		break;
	case EADDRINUSE:
		fprintf(stderr, "  a page of B's region was pinned for DMA since the load (VFIO, "
			"RDMA, io_uring fixed buffers): release it, or unload and load with "
			"another --region (dmesg says which page); nothing was done\n");
		break;
	case EOPNOTSUPP:
		fprintf(stderr, "  a jump cannot be correct on this machine: memory encryption, "
			"a confidential guest (SEV, TDX) or Xen PV (dmesg says which)\n");
		break;
	default:
		fprintf(stderr, "  this kernel is intact; dmesg says which step failed\n");
	}
}

static int cmd_jump(int argc, char **argv)
{
	char msg[KJUMP_MSG_MAX + 1];
	struct kjump_jump j;
	int fd;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: %s jump   (or %s -j)\n"
			       "  Freeze this kernel, jump into the loaded kernel B (at its entry\n"
			       "  the first time, where it left off after) and return here when B\n"
			       "  jumps back.\n", prog, prog);
			return 0;
		}
		kj_die_usage("jump takes no arguments");
	}
	fd = kj_open();
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	kj_jump_msg_buf(&j, msg, sizeof(msg));
	fflush(NULL);
	if (ioctl(fd, KJUMP_IOC_JUMP, &j)) {
		kj_jump_error("jump", errno);
		return 1;
	}
	if (j.status == KJUMP_PEER_PANICKED)
		printf("back in A: B panicked and cannot be re-entered: it was unloaded "
		       "('%s load' loads a new B)\n", prog);
	else
		printf("back in A: B %s, B's re-entry point 0x%" PRIx64 "\n",
		       kj_peer_status_name(j.status), (uint64_t)j.peer_entry);
	kj_print_peer_msg(stdout, "B", &j, msg);
	kj_print_times(&j);
	close(fd);
	return 0;
}

/*
 * Each place @key stands as a word of this kernel's command line, alone
 * or as KEY=VALUE: @fn with what follows the key ('=', ' ', '\n').
 */
static void kj_cmdline_each(const char *key, void (*fn)(const char *rest, void *arg), void *arg)
{
	char buf[4096], *p;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cmdline", "re");

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f))
		for (p = buf; (p = strstr(p, key)); p++)
			if ((p == buf || p[-1] == ' ') && p[klen] && strchr("= \n", p[klen]))
				fn(p + klen, arg);
	fclose(f);
}

struct kj_cmdline_arg {
	char *val;
	size_t len;
	int found;
};

static void kj_cmdline_take(const char *rest, void *arg)
{
	struct kj_cmdline_arg *a = arg;

	/* A value wants KEY=; a flag is there either way. */
	if (*rest == '=' && a->val)
		snprintf(a->val, a->len, "%.*s", (int)strcspn(rest + 1, " \n"), rest + 1);
	if (*rest == '=' || !a->val)
		a->found = 1;
}

/* KEY=VALUE from this kernel's command line (the last wins); 0 if absent. */
int kj_cmdline_value(const char *key, char *val, size_t len)
{
	struct kj_cmdline_arg a = { .val = val, .len = len };

	kj_cmdline_each(key, kj_cmdline_take, &a);
	return a.found;
}

/* Is @key on the kernel command line, alone or as key=value? */
int kj_cmdline_flag(const char *key)
{
	struct kj_cmdline_arg a = { 0 };

	kj_cmdline_each(key, kj_cmdline_take, &a);
	return a.found;
}

/* B learns A's jump buffer from its command line: kexec_jump_buf_pfn=N. */
int kj_cmdline_pfn(uint64_t *pfn)
{
	char v[32];

	if (!kj_cmdline_value("kexec_jump_buf_pfn", v, sizeof(v)))
		return 0;
	*pfn = strtoull(v, NULL, 0);
	return 1;
}

int kj_write_pfn(uint64_t pfn)
{
	FILE *f = fopen(KJUMP_SYSFS_DIR "/kexec_jump_buf_pfn", "we");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%" PRIu64 "\n", pfn) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* BACK with @status and @msg (cut to KJUMP_MSG_MAX bytes); *j the result. */
static int kj_back_j(int kfd, uint32_t status, const char *msg, struct kjump_jump *j)
{
	char text[KJUMP_MSG_MAX + 1];
	int err;

	memset(j, 0, sizeof(*j));
	j->size = sizeof(*j);
	j->flags = KJUMP_JUMP_BACK;
	j->status = status;
	if (msg && *msg) {
		size_t n = strnlen(msg, KJUMP_MSG_MAX);

		memcpy(text, msg, n);
		text[n] = 0;
		j->msg = (uintptr_t)text;
	}
	fflush(NULL);
	if (ioctl(kfd, KJUMP_IOC_JUMP, j)) {
		err = errno;
		kj_jump_error("back", err);
		return -err;
	}
	return 0;
}

int kj_back(int kfd, uint32_t status, const char *msg)
{
	struct kjump_jump j;

	return kj_back_j(kfd, status, msg, &j);
}

static int cmd_back(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "message", required_argument, NULL, 'm' },
		{ "pfn", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct kjump_status st;
	struct kjump_jump j;
	uint64_t pfn = 0;
	const char *msg = NULL;
	int c, fd, have_pfn = 0, ret;
	long status = KJUMP_PEER_RETURNED;

	while ((c = getopt_long(argc, argv, "s:m:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			status = kj_peer_status_parse(optarg);
			if (status < 0)
				kj_die_usage("--status takes a number or a name (returned, dumped, "
					     "restored, failed, no-target)");
			break;
		case 'm': msg = optarg; break;
		case 'p': pfn = strtoull(optarg, NULL, 0); have_pfn = 1; break;
		case 'h':
			printf("usage: %s back [--pfn PFN] [--status N] [--message TEXT]   (or %s -b)\n"
			       "  In B: jump back into A, whose jump buffer is at PFN (default:\n"
			       "  kexec_jump_buf_pfn= from this kernel's command line), leaving\n"
			       "  it status N (1 returned, 2 dumped, 3 restored, 4 failed,\n"
			       "  6 no-target; 5, panicked, is left by a panic only) and TEXT,\n"
			       "  which A shows (at most %u bytes; longer is cut).\n"
			       "  Returns when A jumps into this kernel again.\n", prog, prog,
			       KJUMP_MSG_MAX);
			return 0;
		default:
			return 2;
		}
	}
	fd = kj_open();
	if (kj_status(fd, &st)) {
		fprintf(stderr, "%s: status failed: %s\n", prog, strerror(errno));
		return 1;
	}
	if (!have_pfn && !(st.flags & KJUMP_STATUS_PEER)) {
		if (!kj_cmdline_pfn(&pfn)) {
			fprintf(stderr, "%s: no kexec_jump_buf_pfn= on the command line and none "
				"given: this kernel was not started by a kjump jump (use --pfn)\n",
				prog);
			return 1;
		}
		have_pfn = 1;
	}
	if (have_pfn) {
		ret = kj_write_pfn(pfn);
		if (ret) {
			fprintf(stderr, "%s: pfn %" PRIu64 " does not hold a valid jump buffer "
				"(%s)\n", prog, pfn, strerror(-ret));
			return 1;
		}
	}
	if (kj_back_j(fd, (uint32_t)status, msg, &j))
		return 1;
	printf("re-entered by A (A's re-entry point 0x%" PRIx64 ")\n", (uint64_t)j.peer_entry);
	kj_print_times(&j);
	close(fd);
	return 0;
}

static void kj_help(FILE *f)
{
	fprintf(f,
"usage: %s COMMAND [OPTIONS]\n"
"kexec jump for kernels without CONFIG_KEXEC_JUMP: load a second kernel B,\n"
"jump into it and come back.\n\n"
"commands:\n"
"  load     load kernel B (--kernel, --initrd, --append, --region)\n"
"  unload   free the loaded kernel\n"
"  status   show what is loaded\n"
"  jump     (-j) jump into the loaded kernel; returns when it jumps back\n"
"  back     (-b) in B: jump back into A\n"
"  dump     write a live, consistent vmcore of this kernel to a file and go on\n"
"  hibernate  save this kernel's memory to an image (file or device), power off\n"
"  resume   in C (early boot): check an image and resume it through kernel D\n"
"  save-image, restore-image   the halves that run in B and in D\n"
"  image-info   check a hibernation image and print its header\n"
"  disk     the device a kjump.resume= name means (UUID=, ID=, PATH=, /dev/)\n"
"  job-find, job-modules   in B: the job's disk, and the drivers A appended\n"
"  help     this text; '%s COMMAND --help' for one command\n", prog, prog);
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* The job initramfs's /init is a link to kjumpctl (jobinit.c). */
	if (getpid() == 1 && !strcmp(argv[0], "/init"))
		return kj_job_init(argc, argv);
	if (argc < 2) {
		kj_help(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		kj_help(stdout);
		return 0;
	}
	if (!strcmp(cmd, "load"))
		return cmd_load(argc - 1, argv + 1);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (!strcmp(cmd, "hibernate"))
		return cmd_hibernate(argc - 1, argv + 1);
	if (!strcmp(cmd, "resume"))
		return cmd_resume(argc - 1, argv + 1);
	if (!strcmp(cmd, "save-image"))
		return cmd_save_image(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore-image"))
		return cmd_restore_image(argc - 1, argv + 1);
	if (!strcmp(cmd, "image-info"))
		return cmd_image_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "disk"))
		return cmd_disk(argc - 1, argv + 1);
	if (!strcmp(cmd, "job-find"))
		return cmd_job_find(argc - 1, argv + 1);
	if (!strcmp(cmd, "job-modules"))
		return cmd_job_modules(argc - 1, argv + 1);
	if (!strcmp(cmd, "jump") || !strcmp(cmd, "-j"))
		return cmd_jump(argc - 1, argv + 1);
	if (!strcmp(cmd, "back") || !strcmp(cmd, "-b"))
		return cmd_back(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	kj_help(stderr);
	return 2;
}
