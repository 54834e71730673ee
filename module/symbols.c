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
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/suspend.h>
#include "kjump.h"

struct kjump_syms kjump_sym;

/* Diagnostic: a further symbol the load must find (tests the refusal). */
static char *require_symbol;
module_param(require_symbol, charp, 0400);
MODULE_PARM_DESC(require_symbol, "extra symbol to resolve at load (diagnostic)");

struct kjump_sym_entry {
	const char *name;
	void **slot;
};

#define KJUMP_SYM(n) { #n, (void **)&kjump_sym.n }
static const struct kjump_sym_entry kjump_sym_table[] = {
	KJUMP_SYM(freeze_processes),
	KJUMP_SYM(thaw_processes),
	KJUMP_SYM(suspend_console),
	KJUMP_SYM(resume_console),
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

typedef unsigned long (*kjump_lookup_fn)(const char *name);

static kjump_lookup_fn kjump_find_lookup(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	kjump_lookup_fn fn;

	if (register_kprobe(&kp) < 0)
		return NULL;
	fn = (kjump_lookup_fn)kp.addr;
	unregister_kprobe(&kp);
	return fn;
}

int kjump_symbols_init(void)
{
	kjump_lookup_fn lookup = kjump_find_lookup();
	unsigned int i;

	if (!lookup) {
		pr_err("cannot find kallsyms_lookup_name (needs CONFIG_KPROBES)\n");
		return -ENOENT;
	}

	for (i = 0; i < ARRAY_SIZE(kjump_sym_table); i++) {
		unsigned long addr = lookup(kjump_sym_table[i].name);

		if (!addr) {
			pr_err("kernel symbol %s not found; this kernel is not supported\n",
			       kjump_sym_table[i].name);
			return -ENOENT;
		}
		*kjump_sym_table[i].slot = (void *)addr;
	}
#ifdef CONFIG_X86_32
	kjump_sym.save_processor_state = save_processor_state;
	kjump_sym.restore_processor_state = restore_processor_state;
#endif
	if (require_symbol && !lookup(require_symbol)) {
		pr_err("kernel symbol %s not found; this kernel is not supported\n",
		       require_symbol);
		return -ENOENT;
	}
	return 0;
}
