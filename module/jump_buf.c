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
#include <linux/utsname.h>
#include <linux/uuid.h>
#include "compat.h"
#include "kjump.h"

#define KJUMP_JUMP_BUF_MIN_SIZE	offsetof(struct kjump_jump_buf, reserved)

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
	kjump_jump_buf_seal(jb);
}

int kjump_jump_buf_init(void)
{
	struct kjump_jump_buf *jb;

	BUILD_BUG_ON(sizeof(*jb) > PAGE_SIZE);
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

/*
 * Make this kernel a peer (B or D) of the kernel whose jump buffer is at
 * @pfn.  That page is not RAM to us (it lies outside our region), so it is
 * mapped with memremap; anything that is not a valid jump buffer is refused.
 */
int kjump_set_peer(unsigned long pfn)
{
	struct kjump_jump_buf *jb;
	phys_addr_t phys = PFN_PHYS(pfn);
	int ret;

	kjump_restore_unmap();		/* RESTORE's window was the old peer's */
	if (!pfn) {
		kjump.peer_buf_pfn = 0;
		kjump.peer_nr_ram = 0;
		return 0;
	}
	/*
	 * A peer's jump buffer lies outside our RAM (our region is all we
	 * have); a pfn of our own RAM is not one, and memremap would warn.
	 */
	if (PFN_PHYS(pfn) >> PAGE_SHIFT != pfn ||
	    region_intersects(phys, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EINVAL;
	jb = memremap(phys, PAGE_SIZE, MEMREMAP_WB);
	if (!jb)
		return -EINVAL;
	ret = kjump_jump_buf_check(jb, PAGE_SIZE);
	if (!ret) {
		kjump.peer_buf_pfn = pfn;
		kjump.peer_nr_ram = 0;
		if (jb->size >= offsetofend(struct kjump_jump_buf, ram)) {
			kjump.peer_nr_ram = min_t(u32, jb->nr_ram, KJUMP_JB_MAX_RAM);
			memcpy(kjump.peer_ram, jb->ram, sizeof(kjump.peer_ram));
		}
	}
	memunmap(jb);
	return ret;
}
