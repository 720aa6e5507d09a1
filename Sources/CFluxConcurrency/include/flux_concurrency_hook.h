#ifndef FLUX_CONCURRENCY_HOOK_H
#define FLUX_CONCURRENCY_HOOK_H

/// The address of the Swift runtime's `swift_task_enqueueGlobal_hook`: the function, if set, that receives every job
/// Swift concurrency would hand to its global executor. Reached by linking rather than `dlsym`, because a flux binary
/// built with the static Swift runtime and without exported symbols has no dynamic symbol to look up.
void **flux_concurrency_enqueue_global_hook(void);

#endif
