// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol resolution: the one place kjump reaches past the exported API.
 *
 * kallsyms_lookup_name() itself is no longer exported (5.7+), so its address
 * is taken from a kprobe registered on it.  Every other symbol is resolved
 * once, at module load, and a missing one refuses the load with its name:
 * failing later, half way into a jump, would strand the machine.
 * Only text symbols are looked up: i386's Debian kernel has no
 * CONFIG_KALLSYMS_ALL, so data symbols are not there to find.
 *
 * None of them is called through a pointer.  With CONFIG_X86_KERNEL_IBT
 * objtool seals the ENDBR of every function whose address the kernel never
 * takes, and these are such functions: an indirect call to them is a #CP
 * on a CPU with IBT on.  Each gets a static call instead, set here once:
 * on x86_64 its call sites are patched into direct calls, on i386 they
 * call a trampoline that jumps directly; neither needs an ENDBR.
 */
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <asm/cpufeature.h>
#include "kjump.h"
#include "compat.h"

DEFINE_STATIC_CALL_NULL(kjump_sc_kallsyms_lookup_name, kallsyms_lookup_name);
DEFINE_STATIC_CALL_NULL(kjump_sc_freeze_processes, freeze_processes);
DEFINE_STATIC_CALL_NULL(kjump_sc_thaw_processes, thaw_processes);
DEFINE_STATIC_CALL_NULL(kjump_sc_suspend_console, kjump_suspend_console_fn);
DEFINE_STATIC_CALL_NULL(kjump_sc_resume_console, kjump_resume_console_fn);
DEFINE_STATIC_CALL_NULL(kjump_sc_freeze_secondary_cpus, freeze_secondary_cpus);
DEFINE_STATIC_CALL_NULL(kjump_sc_thaw_secondary_cpus, thaw_secondary_cpus);
DEFINE_STATIC_CALL_NULL(kjump_sc_save_processor_state, save_processor_state);
DEFINE_STATIC_CALL_NULL(kjump_sc_restore_processor_state, restore_processor_state);
#ifdef CONFIG_X86_IO_APIC
DEFINE_STATIC_CALL_NULL(kjump_sc_clear_IO_APIC, clear_IO_APIC);
DEFINE_STATIC_CALL_NULL(kjump_sc_restore_boot_irq_mode, restore_boot_irq_mode);
#endif

/* Diagnostic: a further symbol the load must find (tests the refusal). */
static char *require_symbol;
module_param(require_symbol, charp, 0400);
MODULE_PARM_DESC(require_symbol, "extra symbol to resolve at load (diagnostic)");

struct kjump_sym_entry {
	const char *name;
	struct static_call_key *key;
	void *tramp;
};

/*
 * The table form of static_call_update(kjump_sc_n, address); _AS for a
 * function whose kernel name differs between versions (compat.h).
 */
#define KJUMP_SYM_AS(key, sym) \
	{ __stringify(sym), &STATIC_CALL_KEY(kjump_sc_##key), \
	  STATIC_CALL_TRAMP_ADDR(kjump_sc_##key) }
#define KJUMP_SYM(n) \
	{ #n, &STATIC_CALL_KEY(kjump_sc_##n), STATIC_CALL_TRAMP_ADDR(kjump_sc_##n) }
static const struct kjump_sym_entry kjump_sym_table[] = {
	KJUMP_SYM(freeze_processes),
	KJUMP_SYM(thaw_processes),
	KJUMP_SYM_AS(suspend_console, kjump_suspend_console_fn),
	KJUMP_SYM_AS(resume_console, kjump_resume_console_fn),
	KJUMP_SYM(freeze_secondary_cpus),
	KJUMP_SYM(thaw_secondary_cpus),
#ifdef CONFIG_X86_64
	/* Exported on i386 only. */
	KJUMP_SYM(save_processor_state),
	KJUMP_SYM(restore_processor_state),
#endif
#ifdef CONFIG_X86_IO_APIC
	KJUMP_SYM(clear_IO_APIC),
	KJUMP_SYM(restore_boot_irq_mode),
#endif
};

static unsigned long kjump_lookup(const char *name)
{
	return static_call(kjump_sc_kallsyms_lookup_name)(name);
}

/*
 * kallsyms_lookup_name()'s start.  On an IBT kernel the kprobe sits past
 * the function's ENDBR (or the NOP that sealed it), as
 * arch_adjust_kprobe_addr() put it: step back over it, so the direct call
 * lands where the kernel's own do (a call-depth thunk goes before it).
 */
static unsigned long kjump_find_lookup(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	if (ENDBR_INSN_SIZE && kjump_is_endbr(*(u32 *)(addr - ENDBR_INSN_SIZE)))
		addr -= ENDBR_INSN_SIZE;
	return addr;
}

int kjump_symbols_init(void)
{
	unsigned long addr;
	unsigned int i;

	/* x86 always has static calls; the generic ones call through a pointer. */
	if (!IS_ENABLED(CONFIG_HAVE_STATIC_CALL) && cpu_feature_enabled(X86_FEATURE_IBT)) {
		pr_err("CET indirect branch tracking (IBT) is on and this kernel has no static calls to reach unexported functions directly; boot with ibt=off to use kjump\n");
		return -EOPNOTSUPP;
	}

	addr = kjump_find_lookup();
	if (!addr) {
		pr_err("cannot find kallsyms_lookup_name (needs CONFIG_KPROBES)\n");
		return -ENOENT;
	}
	static_call_update(kjump_sc_kallsyms_lookup_name, (void *)addr);
	/* The step back over the ENDBR, checked by the function itself. */
	if (kjump_lookup("kallsyms_lookup_name") != addr) {
		pr_err("kallsyms_lookup_name does not start where its kprobe says; this kernel is not supported\n");
		return -ENOENT;
	}

	for (i = 0; i < ARRAY_SIZE(kjump_sym_table); i++) {
		const struct kjump_sym_entry *e = &kjump_sym_table[i];

		addr = kjump_lookup(e->name);
		if (!addr) {
			pr_err("kernel symbol %s not found; this kernel is not supported\n",
			       e->name);
			return -ENOENT;
		}
		__static_call_update(e->key, e->tramp, (void *)addr);
	}
#ifdef CONFIG_X86_32
	static_call_update(kjump_sc_save_processor_state, save_processor_state);
	static_call_update(kjump_sc_restore_processor_state, restore_processor_state);
#endif
	if (require_symbol && !kjump_lookup(require_symbol)) {
		pr_err("kernel symbol %s not found; this kernel is not supported\n",
		       require_symbol);
		return -ENOENT;
	}
	if (cpu_feature_enabled(X86_FEATURE_IBT))
		pr_info("IBT on: resolved kernel functions are called directly, %s\n",
			IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE) ?
			"from patched static call sites" : "through static call trampolines");
	return 0;
}
