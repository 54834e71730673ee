// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/kjump: what the tools and a peer kernel need to find.
 *
 *   kexec_jump_buf_pfn  read: the jump buffer in effect (the peer's when
 *                       this kernel is a B or D, else our own); write (root,
 *                       CAP_SYS_BOOT): make this kernel the peer of the
 *                       kernel whose jump buffer is at that pfn, 0 to clear
 *   state               empty | loaded | jumping | suspended
 *   region              low and main range, "0xSTART-0xEND" each, or "none"
 *   abi_version         KJUMP_ABI_VERSION
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include "../module/kjump.h"

static struct kobject *kjump_kobj;

static ssize_t kexec_jump_buf_pfn_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	unsigned long pfn;

	/* Lockless, as state is: readable while a jump holds the lock. */
	pfn = READ_ONCE(kjump.peer_buf_pfn);
	if (!pfn)
		pfn = kjump_jump_buf_pfn();
	return sysfs_emit(buf, "%lu\n", pfn);
}

static ssize_t kexec_jump_buf_pfn_store(struct kobject *kobj,
					struct kobj_attribute *attr,
					const char *buf, size_t count)
{
	unsigned long pfn;
	int ret;

	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	ret = kstrtoul(buf, 0, &pfn);
	if (ret)
		return ret;
	ret = kjump_lock();
	if (ret)
		return ret;
	if (kjump.stage) {
		/* C resumes A itself: it is nobody's peer meanwhile */
		pr_warn_ratelimited("an image of A is staged; drop it first\n");
		ret = -EBUSY;
	} else {
		ret = kjump_set_peer(pfn);
	}
	mutex_unlock(&kjump.lock);
	if (ret == -EINVAL)
		pr_warn_ratelimited("pfn 0x%lx holds no valid jump buffer\n", pfn);
	return ret ? ret : count;
}

static const char * const kjump_state_names[] = {
	[KJUMP_STATE_EMPTY] = "empty",
	[KJUMP_STATE_LOADED] = "loaded",
	[KJUMP_STATE_JUMPING] = "jumping",
	[KJUMP_STATE_SUSPENDED] = "suspended",
};

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", kjump_state_names[READ_ONCE(kjump.state)]);
}

static ssize_t region_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct kjump_region r;
	ssize_t len = 0;

	if (kjump_lock())
		return -ERESTARTSYS;
	if (kjump.image)
		r = kjump.image->region;
	else
		memset(&r, 0, sizeof(r));
	mutex_unlock(&kjump.lock);

	if (!r.size)
		return sysfs_emit(buf, "none\n");
	if (r.low_size)
		len += sysfs_emit_at(buf, len, "0x%llx-0x%llx ", r.low_start,
				     r.low_start + r.low_size - 1);
	len += sysfs_emit_at(buf, len, "0x%llx-0x%llx\n", r.start,
			     r.start + r.size - 1);
	return len;
}

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", KJUMP_ABI_VERSION);
}

static struct kobj_attribute kjump_attr_pfn = __ATTR_RW_MODE(kexec_jump_buf_pfn, 0644);
static struct kobj_attribute kjump_attr_state = __ATTR_RO(state);
static struct kobj_attribute kjump_attr_region = __ATTR_RO(region);
static struct kobj_attribute kjump_attr_abi = __ATTR_RO(abi_version);

static struct attribute *kjump_attrs[] = {
	&kjump_attr_pfn.attr,
	&kjump_attr_state.attr,
	&kjump_attr_region.attr,
	&kjump_attr_abi.attr,
	NULL,
};

static const struct attribute_group kjump_attr_group = {
	.attrs = kjump_attrs,
};

int kjump_sysfs_init(void)
{
	int ret;

	kjump_kobj = kobject_create_and_add("kjump", kernel_kobj);
	if (!kjump_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(kjump_kobj, &kjump_attr_group);
	if (ret) {
		kobject_put(kjump_kobj);
		kjump_kobj = NULL;
	}
	return ret;
}

void kjump_sysfs_uninit(void)
{
	sysfs_remove_group(kjump_kobj, &kjump_attr_group);
	kobject_put(kjump_kobj);
	kjump_kobj = NULL;
}
