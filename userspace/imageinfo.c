// SPDX-License-Identifier: GPL-2.0
/*
 * kjumpctl image-info FILE [OFFSET]: what a hibernation image's header
 * says, as KEY=VALUE lines a shell can read, after the checks resume
 * makes before it trusts the header (the chunks are not read).  Opens
 * FILE read-only and changes nothing: for people looking at an image, and
 * for the test harness, which reads images only through it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kjumpctl.h"
#include "image/image.h"

static void kjh_help_image_info(FILE *f)
{
	fprintf(f,
"usage: %s image-info FILE [OFFSET]\n"
"Check the hibernation image at byte OFFSET (default 0) of FILE, a file or\n"
"a block device, and print its header as KEY=VALUE lines.  state= is\n"
"'image' for an image resume would accept the header of, 'used' for one\n"
"resumed already, 'none' for no image, 'damaged' (with why=) otherwise.\n"
"Exit status 0 for 'image', 1 otherwise.  Nothing is written.\n", prog);
}

static void kjh_print_header(const struct kjh_header *h)
{
	const char *arch = h->arch == KJUMP_ARCH_X86_64 ? "x86_64" :
			   h->arch == KJUMP_ARCH_I386 ? "i386" : "unknown";

	printf("version=%u\narch=%s\nheader_size=%" PRIu64 "\nimage_size=%" PRIu64 "\n"
	       "created=%" PRIu64 "\njump_buf_pfn=%" PRIu64 "\nregion=0x%llx+0x%llx,"
	       "0x%llx+0x%llx\nnr_ram=%u\nnr_extents=%u\nnr_ranges=%" PRIu64 "\n"
	       "nr_pages=%" PRIu64 "\nnr_chunks=%" PRIu64 "\ndata_bytes=%" PRIu64 "\n"
	       "release=%.68s\nmachine=%.40s\n", h->version, arch, h->header_size,
	       h->image_size, h->created, h->jump_buf_pfn,
	       (unsigned long long)h->region.low_start, (unsigned long long)h->region.low_size,
	       (unsigned long long)h->region.start, (unsigned long long)h->region.size,
	       h->nr_ram, h->nr_extents, h->nr_ranges, h->nr_pages, h->nr_chunks,
	       h->data_bytes, h->release, h->machine);
}

int cmd_image_info(int argc, char **argv)
{
	static struct kjh_io io;
	struct kjh_header *h = NULL, *raw;
	struct kjh_range *r = NULL;
	char why[256] = "", *end;
	uint64_t off = 0;
	int ret;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		kjh_help_image_info(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3) {
		kjh_help_image_info(stderr);
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		off = strtoull(argv[2], &end, 0);
		if (errno || *end || end == argv[2] || off % 512) {
			fprintf(stderr, "%s: image-info: OFFSET '%s' is not a multiple of 512 "
				"bytes\n", prog, argv[2]);
			return 2;
		}
	}
	io.fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (io.fd < 0) {
		fprintf(stderr, "%s: image-info: cannot open %s: %s\n", prog, argv[1],
			strerror(errno));
		return 1;
	}
	ret = kjh_read_header(&io, off, &h, &r, why, sizeof(why));
	if (!ret) {
		printf("state=image\n");
		kjh_print_header(h);
	} else {
		printf("state=%s\nwhy=%s\n", ret == 1 ? "used" : ret == -ENOENT ? "none" :
		       "damaged", why);
		/* What the header says, for a look at a damaged or used one. */
		raw = calloc(1, KJH_PAGE);
		if (raw && pread(io.fd, raw, KJH_PAGE, (off_t)off) == (ssize_t)KJH_PAGE &&
		    ret != -ENOENT)
			kjh_print_header(raw);
		free(raw);
	}
	free(h);
	free(r);
	close(io.fd);
	return ret ? 1 : 0;
}
