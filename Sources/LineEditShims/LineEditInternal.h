/// LineEditInternal.h: what the shim's C files share with each other (not with Swift).
#pragma once

#include "LineEditShims.h"

#include <signal.h>
#include <stddef.h>

/// Set by the SIGINT handler (InterruptFlag.c), read and cleared by the session.
extern volatile sig_atomic_t line_edit_interrupt_flag;

/// The first terminating signal (SIGTERM, SIGHUP, SIGQUIT) received, or 0 (InterruptFlag.c).
extern volatile sig_atomic_t line_edit_termination_signal;

/// Routes SIGTERM, SIGHUP and SIGQUIT to the handler that records the signal and sets the
/// interrupt flag, with the given sa_flags; saves the old actions in `previous` if not NULL.
void line_edit_route_terminating_signals(int flags, struct sigaction previous[3]);

/// Installs the flag-setting SIGINT handler with the given sa_flags, saving the
/// old action in `previous` (InterruptFlag.c).
int line_edit_route_sigint(int flags, struct sigaction *previous);

/// A growable list of completion candidates (Candidates.c).
struct line_edit_candidates {
    char **items;
    size_t count;
    size_t capacity;
};

void line_edit_candidates_free(line_edit_candidates *list);
void line_edit_candidates_sort_unique(line_edit_candidates *list);
size_t line_edit_candidates_common_prefix(const line_edit_candidates *list);
