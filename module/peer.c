// SPDX-License-Identifier: GPL-2.0
/*
 * This kernel as a peer (B or D) of the kernel whose jump buffer it was
 * given (kexec_jump_buf_pfn): the way back is prepared when the peer is
 * set, its jump buffer mapped for as long as it is the peer, its control
 * area and jump tables built, so that BACK, and the panic path, only use
 * them.
 *
 * The panic path.  panic() has stopped the other CPUs (each halts in
 * stop_this_cpu(), interrupts off, its local APIC disabled, marked
 * offline) and calls the panic notifiers.  Ours, first in line, writes the
 * last lines of the log into the peer's jump buffer with status PANICKED,
 * seals it and jumps straight to the peer's entry through the stub, with
 * none of the rest of the sequence: no devices to suspend (this kernel is
 * dying), no CPU state to save (nothing ever comes back to it).  The peer
 * resumes as from any return: its stub swaps its region back, it restores
 * its CPU state, then syscore_resume() its IO-APIC and local APIC, its
 * devices resume with PMSG_RESTORE (which resets what we left running),
 * and it brings its secondary CPUs up with INIT/SIPI, wherever ours were.
 * It drops the image, which cannot be re-entered.  docs/protocol.md says
 * more, and what is not covered.
 *
 * Nothing on the panic path sleeps, takes a lock, is traced (Kbuild) or
 * may be probed; it calls the kernel's functions directly, never through
 * a pointer that may lack its ENDBR: the kallsyms-resolved
 * save_processor_state() and clear_IO_APIC() of the normal jump are left
 * out.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kmsg_dump.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/slab.h>
#include <asm/irqflags.h>
#include <asm/nmi.h>
#include "kjump.h"

/*
 * The CPU the peer must be resumed on: the one it jumped from.  That one
 * booted this kernel, its CPU 0, and every jump since kept CPU 0
 * (freeze_secondary_cpus(0)).  Resumed on another, the peer would run as
 * its CPU 0 on the APIC of one of its secondaries, and send itself INIT
 * when it brings that secondary up.
 */
#define KJUMP_PANIC_CPU		0

/* Log gathered at a panic (static: the allocator is off limits there). */
#define KJUMP_PANIC_LOG		8192
static char kjump_panic_log[KJUMP_PANIC_LOG];
static char kjump_panic_msg[KJUMP_MSG_MAX];
static const char kjump_panic_line[] = "Kernel panic - not syncing";

static atomic_t kjump_panicking = ATOMIC_INIT(0);
static unsigned long kjump_panic_entry;
/* A panic on another CPU asks CPU 0 to jump: 1 asked, 2 taken. */
static int kjump_handoff;
/* NMIs our handler saw on each CPU during a hand-over: what the failure says. */
static atomic_t kjump_handoff_nmis[2];
/* A panic on another CPU than CPU 0 left the others running for us. */
static bool kjump_stop_deferred;

/* Where the line holding @pos starts. */
static size_t kjump_line_start(const char *buf, size_t pos)
{
	while (pos && buf[pos - 1] != '\n')
		pos--;
	return pos;
}

/*
 * Where the text from @from to @len is cut to fit @room: the first line
 * start that leaves at most @room bytes, or, when the last line alone is
 * longer, its last @room bytes.
 */
static size_t kjump_tail(const char *buf, size_t from, size_t len, size_t room)
{
	size_t s;

	if (len - from <= room)
		return from;
	for (s = len - room; s < len; s++)
		if (buf[s - 1] == '\n')
			return s;
	return len - room;
}

static long kjump_find_last(const char *buf, size_t len, const char *s, size_t n)
{
	size_t p;

	if (len < n)
		return -1;
	for (p = len - n + 1; p--; )
		if (!memcmp(buf + p, s, n))
			return p;
	return -1;
}

/*
 * The message: the last lines of the log that fit, whole lines.  When the
 * panic's own line ("Kernel panic - not syncing: REASON", usually followed
 * by a stack dump longer than the message) is not among them, it goes
 * first and the end of the log fills the rest.
 */
static u32 kjump_panic_text(const char *reason)
{
	struct kmsg_dump_iter iter;
	char *log = kjump_panic_log, *msg = kjump_panic_msg;
	size_t len = 0, head = 0, from = 0, t, pe;
	long p;

	kmsg_dump_rewind(&iter);
	kmsg_dump_get_buffer(&iter, false, log, KJUMP_PANIC_LOG, &len);
	len = min_t(size_t, len, KJUMP_PANIC_LOG);
	t = kjump_tail(log, 0, len, KJUMP_MSG_MAX);
	p = kjump_find_last(log, len, kjump_panic_line, sizeof(kjump_panic_line) - 1);
	if (p < 0 || p < t) {
		if (p >= 0) {
			from = kjump_line_start(log, p);
			for (pe = p; pe < len && log[pe] != '\n'; pe++)
				;
			pe = min(pe + 1, len);
			head = min_t(size_t, pe - from, KJUMP_MSG_MAX);
			memcpy(msg, log + from, head);
			from = pe;
		} else {
			head = scnprintf(msg, KJUMP_MSG_MAX, "%s: %s\n", kjump_panic_line,
					 reason ? reason : "");
		}
		t = kjump_tail(log, from, len, KJUMP_MSG_MAX - head);
	}
	memcpy(msg + head, log + t, len - t);
	return head + len - t;
}

/*
 * On CPU 0: park the others and jump.  A stopped CPU halts on our stack
 * and text, in the region the peer's stub is about to give back to the
 * peer's data; INIT puts it in wait-for-SIPI, where it runs nothing and
 * ignores NMIs, as every CPU the peer does not use was before its jump.
 * The peer's INIT/SIPI takes it from there.
 */
static void kjump_panic_jump(void)
{
	kjump_arch_park_others();
	kjump_arch_jump_dying(kjump.peer_ctx, kjump_panic_entry);
	/* Nothing re-enters a panicked kernel; if anything does, stay here. */
	for (;;)
		native_halt();
}

/*
 * smp_ops.stop_other_cpus while this kernel has a peer.  A panic on
 * another CPU than CPU 0 stops the others before our notifier runs, first
 * with an interrupt, then, for a CPU that had interrupts off for a second,
 * with an NMI; stopped in that NMI, CPU 0 halts with NMIs blocked, and no
 * hand-over reaches it again.  So a panic's stop (smp_send_stop: wait 0,
 * an oops in progress) is left to our notifier, which gives CPU 0 the jump
 * while it still runs, or, failing that, stops them as panic() would have.
 * Reboot and power-off (wait 1) stop the CPUs as usual.
 */
static void kjump_stop_other_cpus(int wait)
{
	if (!wait && READ_ONCE(oops_in_progress) && READ_ONCE(kjump.peer_armed) &&
	    raw_smp_processor_id() != KJUMP_PANIC_CPU && !atomic_read(&kjump_panicking)) {
		WRITE_ONCE(kjump_stop_deferred, true);
		return;
	}
	kjump_arch_stop_cpus(wait);
}

/* A panic that does not go back: stop the CPUs the panic left running. */
static void kjump_stop_now(void)
{
	if (READ_ONCE(kjump_stop_deferred)) {
		WRITE_ONCE(kjump_stop_deferred, false);
		kjump_arch_stop_cpus(0);
	}
}

/*
 * CPU 0, running or stopped, woken by the NMI a panic on another CPU sent it.  Called
 * for every NMI while this kernel has a peer: cheap when not asked.
 */
static int kjump_panic_nmi(unsigned int type, struct pt_regs *regs)
{
	if (READ_ONCE(kjump_handoff) != 1)
		return NMI_DONE;
	atomic_inc(&kjump_handoff_nmis[smp_processor_id() == KJUMP_PANIC_CPU]);
	if (smp_processor_id() != KJUMP_PANIC_CPU || cmpxchg(&kjump_handoff, 1, 2) != 1)
		return NMI_DONE;
	kjump_panic_jump();
	return NMI_HANDLED;
}

static int kjump_panic_notify(struct notifier_block *nb, unsigned long event, void *data)
{
	struct kjump_jump_buf *jb = READ_ONCE(kjump.peer_jb);
	unsigned int i;
	u32 len;

	/* Once: a panic inside this path must not come back into it. */
	if (atomic_xchg(&kjump_panicking, 1))
		return NOTIFY_DONE;
	if (!READ_ONCE(kjump.peer_armed) || !jb || !READ_ONCE(kjump.peer_ctx)) {
		kjump_stop_now();
		return NOTIFY_DONE;
	}
	/* D's RESTORE overwrote the peer's memory: it is no way back. */
	if (kjump.restored_pages) {
		pr_emerg("panic: RESTORE wrote the peer's memory; not going back to it\n");
		kjump_stop_now();
		return NOTIFY_DONE;
	}
	if (kjump_jump_buf_check(jb, PAGE_SIZE) || !kjump_jump_buf_usable(jb)) {
		pr_emerg("panic: the peer's jump buffer is damaged; not going back to it\n");
		kjump_stop_now();
		return NOTIFY_DONE;
	}
	kjump_panic_entry = kjump.peer_reentry ? kjump.peer_reentry : jb->entry;
	len = kjump_panic_text(data);
	jb->status = KJUMP_PEER_PANICKED;
	kjump_jump_buf_put_msg(jb, kjump_panic_msg, len);
	kjump_jump_buf_seal(jb);
	pr_emerg("panic: jumping back to the peer with status panicked and %u bytes of this log\n",
		 len);
	if (smp_processor_id() == KJUMP_PANIC_CPU)
		kjump_panic_jump();

	/*
	 * Another CPU panicked: CPU 0 must jump.  It still runs (its stop was
	 * left to us), or, when something else stopped it, halts in
	 * stop_this_cpu(), interrupts off, marked offline; an NMI reaches it
	 * either way (a disabled APIC takes NMIs), but the NMI entry drops
	 * NMIs of CPUs marked offline: mark it online again.  If it does not
	 * take the jump within a second (it is inside an NMI for good, say),
	 * give up and let panic() go on.
	 */
	cpumask_set_cpu(KJUMP_PANIC_CPU, &__cpu_online_mask);
	WRITE_ONCE(kjump_handoff, 1);
	smp_mb();	/* the online bit and the request before the NMI */
	kjump_arch_nmi_cpu(KJUMP_PANIC_CPU);
	for (i = 0; i < 1000 && READ_ONCE(kjump_handoff) == 1; i++)
		mdelay(1);
	if (cmpxchg(&kjump_handoff, 1, 0) != 1) {
		/* Taken: CPU 0 parks this one with INIT before it jumps. */
		for (;;)
			native_halt();
	}
	if (!READ_ONCE(kjump_stop_deferred))
		cpumask_clear_cpu(KJUMP_PANIC_CPU, &__cpu_online_mask);
	pr_emerg("panic: CPU %d did not take the jump back (kjump's NMI handler ran %d times there, %d elsewhere; it was %s); not going back to the peer\n",
		 KJUMP_PANIC_CPU, atomic_read(&kjump_handoff_nmis[1]),
		 atomic_read(&kjump_handoff_nmis[0]),
		 READ_ONCE(kjump_stop_deferred) ? "running" : "stopped");
	kjump_stop_now();
	return NOTIFY_DONE;
}

NOKPROBE_SYMBOL(kjump_line_start);
NOKPROBE_SYMBOL(kjump_tail);
NOKPROBE_SYMBOL(kjump_find_last);
NOKPROBE_SYMBOL(kjump_panic_text);
NOKPROBE_SYMBOL(kjump_stop_other_cpus);
NOKPROBE_SYMBOL(kjump_stop_now);
NOKPROBE_SYMBOL(kjump_panic_jump);
NOKPROBE_SYMBOL(kjump_panic_nmi);
NOKPROBE_SYMBOL(kjump_panic_notify);

/*
 * Test hook (scenario-roundtrip): keep CPU 0 busy for @ms, interrupts off,
 * as when a panic elsewhere finds it in a long critical section: the stop
 * interrupt waits, the stop NMI comes.  Only while this kernel has a peer.
 */
static void kjump_busy(void *ms)
{
	mdelay((unsigned long)ms);
}

static int kjump_selftest_busy_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (ret)
		return ret;
	if (ms > 10000)
		return -ERANGE;
	if (!READ_ONCE(kjump.peer_armed))
		return -ENXIO;
	return smp_call_function_single(KJUMP_PANIC_CPU, kjump_busy,
					(void *)(unsigned long)ms, 0);
}

static const struct kernel_param_ops kjump_selftest_busy_ops = {
	.set = kjump_selftest_busy_set,
};
module_param_cb(selftest_busy_cpu0_ms, &kjump_selftest_busy_ops, NULL, 0200);
MODULE_PARM_DESC(selftest_busy_cpu0_ms,
		 "keep CPU 0 busy this long, interrupts off, while a peer (diagnostic)");

/* First: the other notifiers report the machine's death, and it lives on. */
static struct notifier_block kjump_panic_nb = {
	.notifier_call = kjump_panic_notify,
	.priority = INT_MAX,
};

static int kjump_panic_arm(void)
{
	int ret;

	/*
	 * First: when panic() had to stop CPU 0 by NMI, its stop callback
	 * (NMI_LOCAL too) would halt CPU 0 again before ours ran.
	 */
	ret = register_nmi_handler(NMI_LOCAL, kjump_panic_nmi, NMI_FLAG_FIRST, "kjump");
	if (ret)
		return ret;
	ret = atomic_notifier_chain_register(&panic_notifier_list, &kjump_panic_nb);
	if (ret) {
		unregister_nmi_handler(NMI_LOCAL, "kjump");
		return ret;
	}
	kjump_arch_stop_hook(kjump_stop_other_cpus);
	WRITE_ONCE(kjump.peer_armed, true);
	return 0;
}

static void kjump_panic_disarm(void)
{
	if (!kjump.peer_armed)
		return;
	WRITE_ONCE(kjump.peer_armed, false);
	kjump_arch_stop_unhook(kjump_stop_other_cpus);
	atomic_notifier_chain_unregister(&panic_notifier_list, &kjump_panic_nb);
	unregister_nmi_handler(NMI_LOCAL, "kjump");
}

/* Under kjump.lock: this kernel is nobody's peer any more. */
void kjump_peer_drop(void)
{
	kjump_panic_disarm();
	if (kjump.peer_ctx) {
		kjump_ctx_free(kjump.peer_ctx);
		kfree(kjump.peer_ctx);
		kjump.peer_ctx = NULL;
	}
	if (kjump.peer_jb) {
		memunmap(kjump.peer_jb);
		kjump.peer_jb = NULL;
	}
	kjump.peer_buf_pfn = 0;
	kjump.peer_nr_ram = 0;
}

/*
 * How we jump back: a control area and jump tables of our own that map the
 * peer's control area, entry and jump buffer explicitly, since they lie
 * outside our RAM.
 */
static struct kjump_ctx *kjump_peer_ctx(const struct kjump_jump_buf *jb, unsigned long pfn)
{
	struct kjump_alloc alloc = { .held = LIST_HEAD_INIT(alloc.held) };
	phys_addr_t extra[3] = { jb->control, jb->entry, PFN_PHYS(pfn) };
	struct kjump_ctx *c = kzalloc(sizeof(*c), GFP_KERNEL);
	int ret;

	if (!c)
		return ERR_PTR(-ENOMEM);
	ret = kjump_ctx_init(c, &alloc, extra, ARRAY_SIZE(extra));
	kjump_alloc_done(&alloc);
	if (ret) {
		kjump_ctx_free(c);
		kfree(c);
		return ERR_PTR(ret);
	}
	return c;
}

/*
 * Under kjump.lock: make this kernel a peer (B or D) of the kernel whose
 * jump buffer is at @pfn, 0 for none.  That page is not RAM to us (it lies
 * outside our region), so it is mapped with memremap, and kept mapped;
 * anything that is not a valid jump buffer is refused and the old peer
 * stays.  A buffer with an entry (one a jump came from) gets its way back
 * built and the panic path armed; a failure there leaves no peer.
 */
int kjump_set_peer(unsigned long pfn)
{
	struct kjump_jump_buf *jb;
	struct kjump_ctx *c = NULL;
	phys_addr_t phys = PFN_PHYS(pfn);
	int ret;

	kjump_restore_unmap();		/* RESTORE's window was the old peer's */
	if (!pfn) {
		kjump_peer_drop();
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
	if (ret)
		goto err_unmap;
	if (kjump_jump_buf_usable(jb)) {
		c = kjump_peer_ctx(jb, pfn);
		if (IS_ERR(c)) {
			ret = PTR_ERR(c);
			goto err_unmap;
		}
	}

	if (pfn != kjump.peer_buf_pfn)
		kjump.peer_reentry = 0;		/* another kernel's */
	kjump_peer_drop();
	kjump.peer_buf_pfn = pfn;
	kjump.peer_jb = jb;
	kjump.peer_ctx = c;
	if (jb->size >= offsetofend(struct kjump_jump_buf, ram)) {
		kjump.peer_nr_ram = min_t(u32, jb->nr_ram, KJUMP_JB_MAX_RAM);
		memcpy(kjump.peer_ram, jb->ram, sizeof(kjump.peer_ram));
	}
	if (c) {
		ret = kjump_panic_arm();
		if (ret) {
			pr_warn("cannot register for panics (%d); no peer set\n", ret);
			kjump_peer_drop();
		}
	}
	return ret;

err_unmap:
	memunmap(jb);
	return ret;
}
