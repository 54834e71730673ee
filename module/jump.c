// SPDX-License-Identifier: GPL-2.0
/*
 * The jump: mainline's preserve-context path of kernel_kexec(), around the
 * stub, and its exact reverse with PMSG_RESTORE.  Each step that fails
 * unwinds the ones before it and the ioctl returns the error, this kernel
 * intact.  The same sequence serves A jumping into B and a B (or D)
 * jumping back into A: only the target and the pages to swap differ.
 */
#include <linux/cpu.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/pm.h>
#include <linux/suspend.h>
#include <linux/syscore_ops.h>
#include <linux/uaccess.h>
#include "kjump.h"

#define KJUMP_JUMP_SIZE_VER0	offsetofend(struct kjump_jump, reserved)

static u64 kjump_lap(u64 *t)
{
	u64 now = ktime_get_ns(), d = now - *t;

	*t = now;
	return d;
}

int kjump_pm_jump(struct kjump_ctx *c, unsigned long head, unsigned long entry,
		  struct kjump_jump *res, struct kjump_savemap *map, unsigned long *peer)
{
	struct kjump_stub_stats st = {};
	unsigned long cleared = 0;
	unsigned int sleep_flags;
	u64 t = ktime_get_ns();
	int ret;

	sleep_flags = lock_system_sleep();
	ret = kjump_sym.freeze_processes();
	if (ret) {
		pr_warn("jump: cannot freeze processes (%d)\n", ret);
		goto err_unlock;
	}
	res->ns_freeze = kjump_lap(&t);
	kjump_sym.suspend_console();
	ret = dpm_suspend_start(PMSG_FREEZE);
	if (ret) {
		pr_warn("jump: devices refused to freeze (%d)\n", ret);
		goto err_resume_devices;
	}
	ret = dpm_suspend_end(PMSG_FREEZE);
	if (ret) {
		pr_warn("jump: late device freeze failed (%d)\n", ret);
		goto err_resume_devices;
	}
	res->ns_suspend = kjump_lap(&t);
	ret = kjump_sym.freeze_secondary_cpus(0);
	if (ret) {
		pr_warn("jump: cannot take secondary CPUs offline (%d)\n", ret);
		goto err_enable_cpus;
	}
	kjump_arch_park_cpus();
	res->ns_cpu_down = kjump_lap(&t);
	local_irq_disable();
	ret = syscore_suspend();
	if (ret) {
		pr_warn("jump: syscore suspend failed (%d)\n", ret);
		goto err_enable_irqs;
	}

	/* Last moment: only this CPU runs, nothing allocates or frees. */
	if (map)
		kjump_savemap_fill(map, kjump.image, kjump.jump_buf);

	/* Timekeeping is suspended from here to syscore_resume(). */
	*peer = kjump_arch_jump(c, head, entry, &st);
	if (map && kjump.jump_buf->status == KJUMP_PEER_RESTORED)
		cleared = kjump_clear_free_pages();

	syscore_resume();
err_enable_irqs:
	local_irq_enable();
	t = ktime_get_ns();
err_enable_cpus:
	kjump_sym.thaw_secondary_cpus();
	res->ns_cpu_up = kjump_lap(&t);
	dpm_resume_start(PMSG_RESTORE);
err_resume_devices:
	dpm_resume_end(PMSG_RESTORE);
	res->ns_resume = kjump_lap(&t);
	kjump_sym.resume_console();
	kjump_sym.thaw_processes();
	res->ns_thaw = kjump_lap(&t);
err_unlock:
	unlock_system_sleep(sleep_flags);

	if (cleared)
		pr_info("resume: %lu free pages cleared (init_on_free or page poisoning)\n",
			cleared);
	res->ns_away = kjump_cycles_to_ns(st.away);
	res->ns_swap_out = kjump_cycles_to_ns(st.swap_out);
	res->ns_swap_in = kjump_cycles_to_ns(st.swap_in);
	res->swapped_pages = st.swapped;
	return ret;
}

/* A into B: the loaded image, at its entry or where it last left. */
static int kjump_jump_into(struct kjump_jump *res)
{
	struct kjump_image *image = kjump.image;
	struct kjump_jump_buf *jb = kjump.jump_buf;
	struct kjump_savemap *map = NULL;
	unsigned long entry, peer = 0;
	int ret;

	if (res->flags & KJUMP_JUMP_SAVEMAP) {
		map = kjump_savemap_alloc(image);
		if (IS_ERR(map))
			return PTR_ERR(map);
	}
	entry = image->reentry ? image->reentry : image->entry;
	kjump_jump_buf_fill(jb, image);
	ret = kjump_pm_jump(&image->ctx, image->head, entry, res, map, &peer);
	if (map) {
		pr_info("jump: save map of %lu pages handed to the peer\n",
			kjump_savemap_saved(map));
		kjump_savemap_free(map);
	}
	if (ret)
		return ret;

	kjump.nr_jumps++;
	image->reentry = peer;
	res->peer_entry = peer;
	res->status = jb->status;
	if (kjump_jump_buf_check(jb, PAGE_SIZE)) {
		pr_warn("jump: the peer left a corrupt jump buffer; ignoring its status\n");
		res->status = KJUMP_PEER_NONE;
	}
	pr_info("back from the peer: status %u, re-entry 0x%lx, %llu pages swapped\n",
		res->status, peer, res->swapped_pages);
	/*
	 * Resumed from an image: the B that saved it is gone (its memory was
	 * never saved, D ran there since), so the image goes too.
	 */
	if (res->status == KJUMP_PEER_RESTORED) {
		pr_info("resumed from a hibernation image; B is gone, unloading it\n");
		kjump.image = NULL;
		kjump_image_free(image);
		image = NULL;
	}
	kjump_jump_buf_fill(jb, image);
	return 0;
}

/*
 * B or D back into the kernel whose jump buffer is our peer.  Our own jump
 * context is built on first use; it maps the peer's control area and entry
 * explicitly, since they lie outside our RAM.
 */
static int kjump_jump_back(struct kjump_jump *res)
{
	struct kjump_alloc alloc = { .held = LIST_HEAD_INIT(alloc.held) };
	struct kjump_jump_buf *jb;
	unsigned long entry, peer = 0;
	phys_addr_t extra[3];
	int ret;

	if (res->status > KJUMP_PEER_FAILED)
		return -EINVAL;
	jb = memremap(PFN_PHYS(kjump.peer_buf_pfn), PAGE_SIZE, MEMREMAP_WB);
	if (!jb)
		return -EINVAL;
	ret = kjump_jump_buf_check(jb, PAGE_SIZE);
	if (ret || !jb->entry || jb->arch != (IS_ENABLED(CONFIG_X86_64) ?
					      KJUMP_ARCH_X86_64 : KJUMP_ARCH_I386)) {
		pr_warn_ratelimited("back: pfn 0x%lx holds no usable jump buffer\n",
				    kjump.peer_buf_pfn);
		ret = -EINVAL;
		goto out_unmap;
	}
	entry = kjump.peer_reentry ? kjump.peer_reentry : jb->entry;

	if (!kjump.peer_ctx) {
		struct kjump_ctx *c = kzalloc(sizeof(*c), GFP_KERNEL);

		if (!c) {
			ret = -ENOMEM;
			goto out_unmap;
		}
		extra[0] = jb->control;
		extra[1] = jb->entry;
		extra[2] = PFN_PHYS(kjump.peer_buf_pfn);
		ret = kjump_ctx_init(c, &alloc, extra, ARRAY_SIZE(extra));
		kjump_alloc_done(&alloc);
		if (ret) {
			kjump_ctx_free(c);
			kfree(c);
			goto out_unmap;
		}
		kjump.peer_ctx = c;
	}

	jb->status = res->status ? res->status : KJUMP_PEER_RETURNED;
	kjump_jump_buf_seal(jb);
	ret = kjump_pm_jump(kjump.peer_ctx, 0, entry, res, NULL, &peer);
	if (!ret) {
		kjump.peer_reentry = peer;
		kjump.nr_jumps++;
		res->peer_entry = peer;
		res->status = KJUMP_PEER_NONE;
		pr_info("re-entered by the peer (re-entry 0x%lx)\n", peer);
	}
out_unmap:
	memunmap(jb);
	return ret;
}

long kjump_ioctl_jump(void __user *arg)
{
	struct kjump_jump res;
	u64 t0 = ktime_get_ns();
	bool back, staged;
	u32 size;
	int ret;

	ret = kjump_may_load();
	if (ret)
		return ret;
	ret = kjump_copy_arg(&res, sizeof(res), KJUMP_JUMP_SIZE_VER0, 0, arg, &size);
	if (ret)
		return ret;
	if (res.flags & ~KJUMP_JUMP_FLAGS_MASK || res.pad ||
	    memchr_inv(res.reserved, 0, sizeof(res.reserved)))
		return -EINVAL;
	if (!(res.flags & KJUMP_JUMP_BACK) && res.status)
		return -EINVAL;
	if ((res.flags & KJUMP_JUMP_BACK) && (res.flags & KJUMP_JUMP_SAVEMAP))
		return -EINVAL;
	staged = res.flags & KJUMP_JUMP_STAGED;
	if (staged && res.flags != KJUMP_JUMP_STAGED)
		return -EINVAL;

	back = res.flags & KJUMP_JUMP_BACK;
	if (!mutex_trylock(&kjump.lock)) {
		pr_warn_ratelimited("jump: another jump or load is in progress\n");
		return -EBUSY;
	}
	if (kjump.state == KJUMP_STATE_JUMPING) {
		ret = -EBUSY;
	} else if (staged) {
		if (!kjump.stage) {
			pr_warn_ratelimited("jump: nothing staged\n");
			ret = -ENOENT;
		} else {
			kjump.state = KJUMP_STATE_JUMPING;
			ret = kjump_stage_jump(&res);
			kjump.state = KJUMP_STATE_EMPTY;
		}
	} else if (back && !kjump.peer_buf_pfn) {
		pr_warn_ratelimited("back: no peer: write its kexec_jump_buf_pfn first\n");
		ret = -ENOENT;
	} else if (!back && kjump.state == KJUMP_STATE_EMPTY) {
		pr_warn_ratelimited("jump: nothing loaded\n");
		ret = -ENOENT;
	} else {
		enum kjump_state prev = kjump.state;

		kjump.state = KJUMP_STATE_JUMPING;
		ret = back ? kjump_jump_back(&res) : kjump_jump_into(&res);
		/*
		 * A's image waits suspended after a jump into it (unless a
		 * resume from an image dropped it); BACK changes nothing.
		 */
		if (ret || back)
			kjump.state = prev;
		else
			kjump.state = kjump.image ? KJUMP_STATE_SUSPENDED : KJUMP_STATE_EMPTY;
	}
	mutex_unlock(&kjump.lock);
	if (ret)
		return ret;

	res.ns_total = ktime_get_ns() - t0;
	if (copy_to_user(arg, &res, min_t(size_t, size, sizeof(res))))
		return -EFAULT;
	return 0;
}
