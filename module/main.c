// SPDX-License-Identifier: GPL-2.0
/*
 * kjump: kexec jump for kernels built without CONFIG_KEXEC_JUMP.
 *
 * The misc device /dev/kjump and its ioctls.  Policy: root with
 * CAP_SYS_BOOT only (the node is 0600), and LOAD is refused, as
 * kexec_load(2) is, when the kernel is locked down or
 * kernel.kexec_load_disabled is set.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/security.h>
#include <linux/uaccess.h>
#include "kjump.h"

struct kjump_state_s kjump = {
	.lock = __MUTEX_INITIALIZER(kjump.lock),
};

#define KJUMP_LOAD_SIZE_VER0	offsetofend(struct kjump_load, reserved)
#define KJUMP_STATUS_SIZE_VER0	offsetofend(struct kjump_status, reserved)

/*
 * kexec_load_disabled is not exported, and is data: not in i386's kallsyms.
 * Read the sysctl the way userspace does, but through init's root, so a
 * caller in a chroot without /proc cannot make it look unset.  Unreadable
 * counts as set: refusing is the safe answer.
 */
static bool kjump_load_disabled(void)
{
	char buf[4] = "";

	if (kjump_read_init_file("proc/sys/kernel/kexec_load_disabled", buf,
				 sizeof(buf) - 1) <= 0) {
		pr_warn_ratelimited("cannot read kernel.kexec_load_disabled (is /proc mounted?)\n");
		return true;
	}
	return buf[0] != '0';
}

/* Read up to @len bytes of @path, resolved from PID 1's root. */
int kjump_read_init_file(const char *path, char *buf, size_t len)
{
	struct task_struct *init;
	struct path root = {};
	struct file *f;
	loff_t pos = 0;
	int ret;

	rcu_read_lock();
	init = pid_task(find_pid_ns(1, &init_pid_ns), PIDTYPE_PID);
	if (init)
		get_task_struct(init);
	rcu_read_unlock();
	if (!init)
		return -ESRCH;
	task_lock(init);
	if (init->fs)
		get_fs_root(init->fs, &root);
	task_unlock(init);
	put_task_struct(init);
	if (!root.mnt)
		return -ESRCH;

	f = file_open_root(&root, path, O_RDONLY, 0);
	path_put(&root);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kernel_read(f, buf, len, &pos);
	filp_close(f, NULL);
	return ret;
}

/*
 * Lockdown is one-way, and asking logs a notice each time: remember it
 * once seen, so STATUS (a query) does not fill the log.
 */
static bool kjump_locked_down(bool ask)
{
	static bool seen;

	if (!seen && ask && security_locked_down(LOCKDOWN_KEXEC))
		seen = true;
	return seen;
}

u32 kjump_refusals(void)
{
	u32 flags = 0;

	if (kjump_locked_down(false))
		flags |= KJUMP_STATUS_LOCKDOWN;
	if (kjump_load_disabled())
		flags |= KJUMP_STATUS_LOAD_DISABLED;
	return flags;
}

int kjump_may_load(void)
{
	const char *platform = kjump_arch_unsupported();
	u32 why;

	if (platform) {
		pr_warn_ratelimited("refused: %s; a jump cannot be correct here\n", platform);
		return -EOPNOTSUPP;
	}
	kjump_locked_down(true);
	why = kjump_refusals();
	if (why & KJUMP_STATUS_LOCKDOWN) {
		pr_warn_ratelimited("refused: kernel is locked down\n");
		return -EPERM;
	}
	if (why & KJUMP_STATUS_LOAD_DISABLED) {
		pr_warn_ratelimited("refused: kernel.kexec_load_disabled is set\n");
		return -EPERM;
	}
	return 0;
}

/*
 * A size-prefixed ioctl argument: at least @min bytes (EINVAL), at most
 * @max when non-zero (E2BIG), unknown trailing bytes zero (E2BIG, from
 * copy_struct_from_user).  The user's size is returned in @usize.
 */
int kjump_copy_arg(void *dst, size_t ksize, size_t min, size_t max,
		   void __user *arg, u32 *usize)
{
	if (get_user(*usize, (u32 __user *)arg))
		return -EFAULT;
	if (*usize < min)
		return -EINVAL;
	if (max && *usize > max)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, arg, *usize);
}

static int kjump_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	return 0;
}

static long kjump_ioctl_load(void __user *arg)
{
	struct kjump_load req;
	u32 size;
	int ret;

	ret = kjump_may_load();
	if (ret)
		return ret;
	ret = kjump_copy_arg(&req, sizeof(req), KJUMP_LOAD_SIZE_VER0, PAGE_SIZE, arg, &size);
	if (ret) {
		if (ret == -EINVAL)
			pr_warn_ratelimited("load: argument size %u too small\n", size);
		else if (ret == -E2BIG && size <= PAGE_SIZE)
			pr_warn_ratelimited("load: unknown trailing fields set\n");
		return ret;
	}

	ret = kjump_lock();
	if (ret)
		return ret;
	if (kjump.state != KJUMP_STATE_EMPTY) {
		pr_warn_ratelimited("load: an image is already loaded; unload it first\n");
		ret = -EBUSY;
	} else if (kjump.stage) {
		pr_warn_ratelimited("load: an image of A is staged; drop it first\n");
		ret = -EBUSY;
	} else {
		ret = kjump_image_load(&req);
		if (!ret)
			kjump.state = KJUMP_STATE_LOADED;
	}
	mutex_unlock(&kjump.lock);
	return ret;
}

static long kjump_ioctl_unload(unsigned long flags)
{
	int ret = 0;

	if (flags & ~(unsigned long)KJUMP_UNLOAD_DISCARD)
		return -EINVAL;
	ret = kjump_lock();
	if (ret)
		return ret;
	switch (kjump.state) {
	case KJUMP_STATE_EMPTY:
		ret = -ENOENT;
		break;
	case KJUMP_STATE_JUMPING:
		ret = -EBUSY;
		break;
	case KJUMP_STATE_SUSPENDED:
		if (!(flags & KJUMP_UNLOAD_DISCARD)) {
			pr_warn_ratelimited("unload: B is suspended; its state would be lost\n");
			ret = -EBUSY;
			break;
		}
		fallthrough;
	case KJUMP_STATE_LOADED:
		kjump_image_free(kjump.image);
		kjump.image = NULL;
		kjump.state = KJUMP_STATE_EMPTY;
		kjump_jump_buf_fill(kjump.jump_buf, NULL);
		pr_info("unloaded\n");
		break;
	}
	mutex_unlock(&kjump.lock);
	return ret;
}

static long kjump_ioctl_status(void __user *arg)
{
	struct kjump_status st;
	u32 size;

	if (get_user(size, (u32 __user *)arg))
		return -EFAULT;
	if (size < KJUMP_STATUS_SIZE_VER0)
		return -EINVAL;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	if (kjump_lock())
		return -ERESTARTSYS;
	st.state = kjump.state;
	st.flags = kjump_refusals();
	if (kjump.peer_buf_pfn)
		st.flags |= KJUMP_STATUS_PEER;
	st.jump_buf_pfn = kjump_jump_buf_pfn();
	st.peer_buf_pfn = kjump.peer_buf_pfn;
	st.nr_jumps = kjump.nr_jumps;
	st.region_limit = kjump_region_limit();
	st.staged_pages = kjump_stage_pages(kjump.stage);
	if (kjump.image) {
		st.nr_segments = kjump.image->nr_segments;
		st.entry = kjump.image->entry;
		st.reentry = kjump.image->reentry;
		st.region = kjump.image->region;
		st.shadow_pages = kjump.image->region_pages;
		st.list_pages = kjump.image->nr_list_pages;
	}
	mutex_unlock(&kjump.lock);

	if (copy_to_user(arg, &st, min_t(size_t, size, sizeof(st))))
		return -EFAULT;
	return 0;
}

static long kjump_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/* Capabilities can be dropped after open: check at every call. */
	if (!capable(CAP_SYS_BOOT))
		return -EPERM;

	switch (cmd) {
	case KJUMP_IOC_VERSION:
		return put_user((u32)KJUMP_ABI_VERSION, (u32 __user *)uarg);
	case KJUMP_IOC_LOAD:
		return kjump_ioctl_load(uarg);
	case KJUMP_IOC_UNLOAD:
		return kjump_ioctl_unload(arg);
	case KJUMP_IOC_STATUS:
		return kjump_ioctl_status(uarg);
	case KJUMP_IOC_JUMP:
		return kjump_ioctl_jump(uarg);
	case KJUMP_IOC_RESTORE:
		return kjump_ioctl_restore(uarg);
	case KJUMP_IOC_STAGE_MAP:
		return kjump_ioctl_stage_map(uarg);
	case KJUMP_IOC_STAGE:
		return kjump_ioctl_stage(uarg);
	case KJUMP_IOC_STAGE_DROP:
		return kjump_ioctl_stage_drop();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kjump_fops = {
	.owner		= THIS_MODULE,
	.open		= kjump_open,
	.unlocked_ioctl	= kjump_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kjump_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kjump",
	.fops	= &kjump_fops,
	.mode	= 0600,
};

static int __init kjump_init(void)
{
	int ret;

	ret = kjump_symbols_init();
	if (ret)
		return ret;
	ret = kjump_jump_buf_init();
	if (ret)
		return ret;
	ret = kjump_sysfs_init();
	if (ret)
		goto err_jump_buf;
	ret = misc_register(&kjump_misc);
	if (ret)
		goto err_sysfs;
	pr_info("ready: ABI %u, kexec_jump_buf_pfn 0x%lx\n",
		KJUMP_ABI_VERSION, kjump_jump_buf_pfn());
	return 0;

err_sysfs:
	kjump_sysfs_uninit();
err_jump_buf:
	kjump_jump_buf_uninit();
	return ret;
}

static void __exit kjump_exit(void)
{
	misc_deregister(&kjump_misc);
	kjump_sysfs_uninit();
	/* Nothing sets a peer now: its panic path goes first, then the rest. */
	kjump_peer_drop();
	kjump_image_free(kjump.image);
	kjump.image = NULL;
	kjump_restore_unmap();
	kjump_stage_free(kjump.stage);
	kjump.stage = NULL;
	kjump_jump_buf_uninit();
}

module_init(kjump_init);
module_exit(kjump_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kexec jump for kernels built without CONFIG_KEXEC_JUMP");
MODULE_AUTHOR("kjump developers");
MODULE_VERSION(KJUMP_VERSION);
