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
#include <linux/slab.h>
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
	ret = static_call(kjump_sc_freeze_processes)();
	if (ret) {
		pr_warn("jump: cannot freeze processes (%d)\n", ret);
		goto err_unlock;
	}
	res->ns_freeze = kjump_lap(&t);
	static_call(kjump_sc_suspend_console)();
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
	ret = static_call(kjump_sc_freeze_secondary_cpus)(0);
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
	static_call(kjump_sc_thaw_secondary_cpus)();
	res->ns_cpu_up = kjump_lap(&t);
	dpm_resume_start(PMSG_RESTORE);
err_resume_devices:
	dpm_resume_end(PMSG_RESTORE);
	res->ns_resume = kjump_lap(&t);
	static_call(kjump_sc_resume_console)();
	static_call(kjump_sc_thaw_processes)();
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

/*
 * A into B: the loaded image, at its entry or where it last left.  The
 * peer's message, if any and @msg, is copied to @msg (KJUMP_MSG_MAX bytes)
 * and its length left in res->msg_len.
 */
static int kjump_jump_into(struct kjump_jump *res, char *msg)
{
	struct kjump_image *image = kjump.image;
	struct kjump_jump_buf *jb = kjump.jump_buf;
	struct kjump_savemap *map = NULL;
	unsigned long entry, peer = 0;
	int ret;

	/* Pins taken since the LOAD. */
	ret = kjump_region_check_pins(image, "jump");
	if (ret)
		return ret;
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
	} else if (msg) {
		int n = kjump_jump_buf_get_msg(jb, msg);

		if (n < 0)
			pr_warn("jump: the peer's message (%u bytes) is damaged; ignoring it\n",
				jb->msg_len);
		else
			res->msg_len = n;
	}
	pr_info("back from the peer: status %u, re-entry 0x%lx, %llu pages swapped\n",
		res->status, peer, res->swapped_pages);
	/*
	 * Resumed from an image: the B that saved it is gone (its memory was
	 * never saved, D ran there since), so the image goes too.  A B that
	 * panicked cannot be re-entered either: it jumped back from its panic
	 * path, its CPU state unsaved.  The region's pages go back to A; B's
	 * CPUs, which were halted in them, were reset by A's INIT/SIPI when
	 * A brought its own CPUs back up.
	 */
	if (res->status == KJUMP_PEER_RESTORED || res->status == KJUMP_PEER_PANICKED) {
		if (res->status == KJUMP_PEER_RESTORED)
			pr_info("resumed from a hibernation image; B is gone, unloading it\n");
		else
			pr_info("the peer panicked and cannot be re-entered; unloading it\n");
		kjump.image = NULL;
		kjump_image_free(image);
		image = NULL;
	}
	kjump_jump_buf_fill(jb, image);
	return 0;
}

/*
 * B or D back into the kernel whose jump buffer is our peer, leaving it
 * res->status and @len bytes of @msg.  The jump buffer's mapping and our
 * jump context were prepared when the peer was set (peer.c).
 */
static int kjump_jump_back(struct kjump_jump *res, const char *msg, u32 len)
{
	struct kjump_jump_buf *jb = kjump.peer_jb;
	unsigned long entry, peer = 0;
	int ret;

	if (!jb || kjump_jump_buf_check(jb, PAGE_SIZE) || !kjump_jump_buf_usable(jb) ||
	    !kjump.peer_ctx) {
		pr_warn_ratelimited("back: pfn 0x%lx holds no usable jump buffer\n",
				    kjump.peer_buf_pfn);
		return -EINVAL;
	}
	entry = kjump.peer_reentry ? kjump.peer_reentry : jb->entry;

	jb->status = res->status ? res->status : KJUMP_PEER_RETURNED;
	if (!kjump_jump_buf_put_msg(jb, msg, len) && len)
		pr_warn("back: the peer's jump buffer has no room for a message; leaving the status only\n");
	kjump_jump_buf_seal(jb);
	ret = kjump_pm_jump(kjump.peer_ctx, 0, entry, res, NULL, &peer);
	if (!ret) {
		kjump.peer_reentry = peer;
		kjump.nr_jumps++;
		res->peer_entry = peer;
		res->status = KJUMP_PEER_NONE;
		pr_info("re-entered by the peer (re-entry 0x%lx)\n", peer);
	}
	return ret;
}

/*
 * The message's checks, before anything else: with BACK, the text to leave
 * (NUL-terminated, at most KJUMP_MSG_MAX bytes) is copied in now; without,
 * the caller's buffer is cleared now, so that a bad one fails before the
 * jump.  *kbuf gets a kernel buffer of KJUMP_MSG_MAX + 1 bytes, or NULL.
 */
static int kjump_jump_msg_in(struct kjump_jump *res, bool back, char **kbuf, u32 *len)
{
	void __user *umsg = u64_to_user_ptr(res->msg);
	char *buf;
	long n;

	*kbuf = NULL;
	*len = 0;
	res->msg_len = 0;
	if (!res->msg || (!back && !res->msg_size))
		return 0;
	if (res->msg != (unsigned long)res->msg)	/* 32-bit kernel */
		return -EFAULT;
	buf = kmalloc(KJUMP_MSG_MAX + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (back) {
		n = strncpy_from_user(buf, umsg, KJUMP_MSG_MAX + 1);
		if (n < 0 || n > KJUMP_MSG_MAX) {
			kfree(buf);
			if (n > KJUMP_MSG_MAX)
				pr_warn_ratelimited("back: message longer than %u bytes\n",
						    KJUMP_MSG_MAX);
			return n < 0 ? -EFAULT : -EINVAL;
		}
		*len = n;
	} else if (clear_user(umsg, min_t(u32, res->msg_size, KJUMP_MSG_MAX))) {
		kfree(buf);
		return -EFAULT;
	}
	*kbuf = buf;
	return 0;
}

long kjump_ioctl_jump(void __user *arg)
{
	struct kjump_jump res;
	u64 t0 = ktime_get_ns();
	bool back, staged;
	char *msg = NULL;
	u32 size, msg_len;
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
	back = res.flags & KJUMP_JUMP_BACK;
	staged = res.flags & KJUMP_JUMP_STAGED;
	if (!back && res.status)
		return -EINVAL;
	if (back && (res.flags & KJUMP_JUMP_SAVEMAP))
		return -EINVAL;
	if (staged && res.flags != KJUMP_JUMP_STAGED)
		return -EINVAL;
	/* PANICKED is the panic path's own: no process is left to ask for it. */
	if (back && (res.status > KJUMP_PEER_NO_TARGET || res.status == KJUMP_PEER_PANICKED))
		return -EINVAL;
	/* msg_size sizes A's buffer for the peer's text; C gets no text back. */
	if ((back && res.msg_size) || (staged && (res.msg || res.msg_size)))
		return -EINVAL;
	ret = kjump_jump_msg_in(&res, back, &msg, &msg_len);
	if (ret)
		return ret;

	/*
	 * Behind a LOAD, or a STATUS that holds the lock for a moment: wait,
	 * interruptibly, as every other caller does (a trylock failed jumps
	 * whenever a reader was inside).
	 */
	ret = kjump_lock();
	if (ret) {
		kfree(msg);
		return ret;
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
		ret = back ? kjump_jump_back(&res, msg, msg_len) : kjump_jump_into(&res, msg);
		/*
		 * A's image waits suspended after a jump into it (unless a
		 * resume from an image, or B's panic, dropped it); BACK
		 * changes nothing.
		 */
		if (ret || back)
			kjump.state = prev;
		else
			kjump.state = kjump.image ? KJUMP_STATE_SUSPENDED : KJUMP_STATE_EMPTY;
	}
	mutex_unlock(&kjump.lock);
	if (ret) {
		kfree(msg);
		return ret;
	}

	/* The jump happened: a message that cannot be handed out is dropped. */
	if (!back && msg) {
		res.msg_len = min(res.msg_len, res.msg_size);
		if (res.msg_len && copy_to_user(u64_to_user_ptr(res.msg), msg, res.msg_len)) {
			pr_warn("jump: cannot copy the peer's message out; dropped\n");
			res.msg_len = 0;
		}
	}
	kfree(msg);
	res.ns_total = ktime_get_ns() - t0;
	if (copy_to_user(arg, &res, min_t(size_t, size, sizeof(res))))
		return -EFAULT;
	return 0;
}
