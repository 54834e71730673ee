// SPDX-License-Identifier: GPL-2.0
/*
 * The jump buffer: one page of this kernel telling a peer how to come back.
 * Its pfn is kexec_jump_buf_pfn.  Layout and checksum: docs/protocol.md.
 */
#include <linux/crc32.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/utsname.h>
#include <linux/uuid.h>
#include "compat.h"
#include "kjump.h"

/*
 * The smallest size a jump buffer may declare: version 1's fixed fields,
 * magic through pad (216 bytes).  What follows (the message words, the
 * save map, the RAM list) is used only when size reaches it.
 */
#define KJUMP_JUMP_BUF_MIN_SIZE	offsetofend(struct kjump_jump_buf, pad)
/* The message words, and the text after the struct in the same page. */
#define KJUMP_JUMP_BUF_MSG_SIZE	offsetofend(struct kjump_jump_buf, msg_crc)

/*
 * The panic path (peer.c) checks and seals the peer's buffer and writes
 * its message: this file is built without tracing (Kbuild), and those
 * functions are not to be probed (below).
 */
static u32 kjump_crc(const struct kjump_jump_buf *jb, size_t size)
{
	u32 crc;

	crc = crc32_le(~0U, (const u8 *)jb, offsetof(struct kjump_jump_buf, checksum));
	crc = crc32_le(crc, (const u8 *)"\0\0\0\0", sizeof(jb->checksum));
	crc = crc32_le(crc, (const u8 *)&jb->arch,
		       size - offsetof(struct kjump_jump_buf, arch));
	return ~crc;
}

void kjump_jump_buf_seal(struct kjump_jump_buf *jb)
{
	jb->checksum = kjump_crc(jb, jb->size);
}

int kjump_jump_buf_check(const struct kjump_jump_buf *jb, size_t avail)
{
	if (jb->magic != KJUMP_JUMP_BUF_MAGIC)
		return -EINVAL;
	if (jb->version != KJUMP_JUMP_BUF_VERSION)
		return -EINVAL;
	if (jb->size < KJUMP_JUMP_BUF_MIN_SIZE || jb->size > avail)
		return -EINVAL;
	if (jb->checksum != kjump_crc(jb, jb->size))
		return -EINVAL;
	return 0;
}

/* A checked buffer a kernel of our architecture can jump back through. */
bool kjump_jump_buf_usable(const struct kjump_jump_buf *jb)
{
	return jb->entry && jb->control &&
	       jb->arch == (IS_ENABLED(CONFIG_X86_64) ? KJUMP_ARCH_X86_64 : KJUMP_ARCH_I386);
}

/* Room for a message: the words inside size, the struct short of the text. */
static bool kjump_jump_buf_has_msg(const struct kjump_jump_buf *jb)
{
	return jb->size >= KJUMP_JUMP_BUF_MSG_SIZE && jb->size <= KJUMP_JB_MSG_OFFSET;
}

/*
 * Leave @len bytes of @text (at most KJUMP_MSG_MAX) as the peer's message
 * in the page of @jb, which must be mapped whole; @len 0 clears it.  The
 * caller seals.  False if the buffer has no room for one.
 */
bool kjump_jump_buf_put_msg(struct kjump_jump_buf *jb, const char *text, u32 len)
{
	if (!kjump_jump_buf_has_msg(jb))
		return false;
	len = min_t(u32, len, KJUMP_MSG_MAX);
	memcpy((u8 *)jb + KJUMP_JB_MSG_OFFSET, text, len);
	jb->msg_len = len;
	jb->msg_crc = ~crc32_le(~0U, (u8 *)jb + KJUMP_JB_MSG_OFFSET, len);
	return true;
}

/* The panic path (peer.c) runs these: none of them may be probed. */
NOKPROBE_SYMBOL(kjump_crc);
NOKPROBE_SYMBOL(kjump_jump_buf_seal);
NOKPROBE_SYMBOL(kjump_jump_buf_check);
NOKPROBE_SYMBOL(kjump_jump_buf_usable);
NOKPROBE_SYMBOL(kjump_jump_buf_has_msg);
NOKPROBE_SYMBOL(kjump_jump_buf_put_msg);

/*
 * The peer's message in a checked @jb, copied to @text (KJUMP_MSG_MAX
 * bytes): its length, or -EINVAL if it is out of bounds or damaged.
 */
int kjump_jump_buf_get_msg(const struct kjump_jump_buf *jb, char *text)
{
	const u8 *src = (const u8 *)jb + KJUMP_JB_MSG_OFFSET;
	u32 len;

	if (!kjump_jump_buf_has_msg(jb))
		return 0;
	len = jb->msg_len;
	if (!len)
		return 0;
	if (len > KJUMP_MSG_MAX)
		return -EINVAL;
	memcpy(text, src, len);
	/* Checked on the copy: what was checked is what is handed out. */
	if (~crc32_le(~0U, text, len) != jb->msg_crc)
		return -EINVAL;
	return len;
}

/* boot_id lives in a static of random.c: read it the way userspace does. */
static void kjump_read_boot_id(u64 id[2])
{
	char buf[UUID_STRING_LEN + 1] = "";
	uuid_t uuid;

	if (kjump_read_init_file("proc/sys/kernel/random/boot_id", buf,
				 UUID_STRING_LEN) == UUID_STRING_LEN &&
	    !uuid_parse(buf, &uuid))
		memcpy(id, &uuid, sizeof(uuid));
}

static int kjump_add_ram(struct resource *res, void *arg)
{
	struct kjump_jump_buf *jb = arg;

	if (jb->nr_ram == KJUMP_JB_MAX_RAM)
		return -ENOSPC;
	jb->ram[jb->nr_ram].start = res->start;
	jb->ram[jb->nr_ram].end = res->end + 1;
	jb->nr_ram++;
	return 0;
}

void kjump_jump_buf_fill(struct kjump_jump_buf *jb,
			 const struct kjump_image *image)
{
	/* A peer that restores our memory may write only where we have RAM. */
	jb->nr_ram = 0;
	if (walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				0, -1, jb, kjump_add_ram))
		pr_warn_once("more than %d System RAM ranges: a restore covers the first\n",
			     KJUMP_JB_MAX_RAM);
	jb->savemap = 0;
	jb->savemap_pfns = 0;
	if (image) {
		jb->region = image->region;
		jb->region_pages = image->region_pages;
		jb->shadow_list = image->head & PAGE_MASK;
		jb->control = page_to_phys(image->ctx.ctrl);
		jb->entry = kjump_ctx_reentry(&image->ctx);
	} else {
		memset(&jb->region, 0, sizeof(jb->region));
		jb->region_pages = 0;
		jb->shadow_list = 0;
		jb->control = 0;
		jb->entry = 0;
	}
	jb->nr_jumps = kjump.nr_jumps;
	jb->status = KJUMP_PEER_NONE;
	jb->msg_len = 0;		/* no message: a CRC32 of nothing is 0 */
	jb->msg_crc = 0;
	kjump_jump_buf_seal(jb);
}

int kjump_jump_buf_init(void)
{
	struct kjump_jump_buf *jb;

	BUILD_BUG_ON(sizeof(*jb) > PAGE_SIZE);
	BUILD_BUG_ON(KJUMP_JUMP_BUF_MIN_SIZE != 216);	/* version 1's, fixed */
	/* The message text follows the struct in the same page. */
	BUILD_BUG_ON(sizeof(*jb) > KJUMP_JB_MSG_OFFSET);
	BUILD_BUG_ON(KJUMP_JB_MSG_OFFSET + KJUMP_MSG_MAX > PAGE_SIZE);
	/*
	 * Lowmem (i386: the stub reaches it physically), and in ZONE_DMA if
	 * it can: far below any region, so that C, resuming a hibernation
	 * image, can load D into the region A used without its own jump
	 * buffer being in the way.
	 */
	jb = (void *)get_zeroed_page(GFP_KERNEL | GFP_DMA | __GFP_NOWARN);
	if (!jb)
		jb = (void *)get_zeroed_page(GFP_KERNEL);
	if (!jb)
		return -ENOMEM;
	jb->magic = KJUMP_JUMP_BUF_MAGIC;
	jb->version = KJUMP_JUMP_BUF_VERSION;
	jb->size = sizeof(*jb);
	jb->arch = IS_ENABLED(CONFIG_X86_64) ? KJUMP_ARCH_X86_64 : KJUMP_ARCH_I386;
	jb->page_size = PAGE_SIZE;
	jb->vmcoreinfo = paddr_vmcoreinfo_note();
	jb->vmcoreinfo_size = VMCOREINFO_NOTE_SIZE;
	kjump_read_boot_id(jb->boot_id);
	strscpy(jb->release, init_utsname()->release, sizeof(jb->release));
	kjump_jump_buf_fill(jb, NULL);
	kjump.jump_buf = jb;
	return 0;
}

void kjump_jump_buf_uninit(void)
{
	free_page((unsigned long)kjump.jump_buf);
	kjump.jump_buf = NULL;
}

unsigned long kjump_jump_buf_pfn(void)
{
	return PHYS_PFN(virt_to_phys(kjump.jump_buf));
}
