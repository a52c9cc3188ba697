/// InterruptFlag.c: Ctrl-C as a flag. While a long command runs, SIGINT only sets
/// `line_edit_interrupt_flag`; Swift polls it between whole steps. The globals here
/// are what a signal handler needs by nature.

#include "LineEditInternal.h"

#include <stdbool.h>
#include <string.h>

/// Set by the SIGINT handler, cleared by `line_edit_clear_interrupted`.
volatile sig_atomic_t line_edit_interrupt_flag = 0;

/// Whether `line_edit_install_interrupt_flag` is in effect, and what it
/// replaced. Touched only from the main thread, never from the handler.
static bool flag_installed = false;
static struct sigaction flag_previous_action;

static void on_sigint(int signo) {
    (void)signo;
    line_edit_interrupt_flag = 1;
}

/// Installs `on_sigint` for SIGINT with the given sa_flags, saving the old
/// action in `previous`.
int line_edit_route_sigint(int flags, struct sigaction *previous) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(SIGINT, &action, previous);
}

void line_edit_install_interrupt_flag(void) {
    if (flag_installed) return;
    if (line_edit_route_sigint(SA_RESTART, &flag_previous_action) == 0) flag_installed = true;
}

void line_edit_uninstall_interrupt_flag(void) {
    if (!flag_installed) return;
    sigaction(SIGINT, &flag_previous_action, NULL);
    flag_installed = false;
}

bool line_edit_interrupted(void) { return line_edit_interrupt_flag != 0; }

void line_edit_clear_interrupted(void) { line_edit_interrupt_flag = 0; }
