#!/usr/bin/python3
# drgn-check.py WHAT VMLINUX DUMP PID:NAME...: open a dump with drgn (Debian
# 12's python3-drgn) as a user would and print two TAP lines: the named
# processes found by walking A's tasks (for_each_task), and the slab
# caches walked (for_each_slab_cache; the named processes' task_structs
# among the allocated objects of the task_struct cache).  WHAT names the
# dump in the lines.
import sys

import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.slab import (
    find_slab_cache,
    for_each_slab_cache,
    slab_cache_for_each_allocated_object,
)

what, vmlinux, dump = sys.argv[1:4]
want = {int(p): n for p, n in (a.split(":", 1) for a in sys.argv[4:])}


def tap(ok, text):
    print(("ok" if ok else "not ok") + f" - host: drgn {drgn.__version__} on {what}: {text}")


prog = drgn.Program()
try:
    prog.set_core_dump(dump)
    prog.load_debug_info([vmlinux])
    tasks = {}
    for t in for_each_task(prog):
        tasks[t.pid.value_()] = (t.comm.string_().decode(errors="replace"), t.value_())
except Exception as e:  # drgn.FaultError, ValueError, ...
    tap(False, f"cannot walk the tasks: {e}")
    tap(False, "slab caches not walked")
    sys.exit(0)

missing = [f"{p}:{n}" for p, n in want.items() if tasks.get(p, ("",))[0] != n]
tap(want and not missing,
    f"for_each_task finds the {len(want)} named processes among {len(tasks)} tasks"
    + (f" (missing: {' '.join(missing)})" if missing else ""))

try:
    caches = {c.name.string_().decode(): c for c in for_each_slab_cache(prog)}
    cache = find_slab_cache(prog, "task_struct")
    objs = {o.value_() for o in slab_cache_for_each_allocated_object(cache, "struct task_struct")}
    named = {tasks[p][1] for p in want if p in tasks}
    tap(len(caches) > 20 and named and named <= objs,
        f"{len(caches)} slab caches; the named processes' task_structs are among the "
        f"{len(objs)} allocated in the task_struct cache")
except Exception as e:
    if "PG_slab" in str(e):
        # 6.10 dropped PG_slab for a page type; Debian 12's drgn predates it.
        print(f"ok - host: # SKIP drgn {drgn.__version__} on {what}: slab caches: this drgn "
              f"predates the kernel's slab page type ({e})")
    else:
        tap(False, f"cannot walk the slab caches: {e}")
