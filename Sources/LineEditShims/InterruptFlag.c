/// InterruptFlag.c: Ctrl-C as a flag. While a long command runs, SIGINT only sets
/// `line_edit_interrupt_flag`; Swift polls it between whole steps. The globals here
/// are what a signal handler needs by nature.

#include "LineEditInternal.h"

#include <stdbool.h>
#include <string.h>

/// Set by the SIGINT handler, cleared by `line_edit_clear_interrupted`.
volatile sig_atomic_t line_edit_interrupt_flag = 0;

/// The first of SIGTERM, SIGHUP, SIGQUIT that arrived (0: none). Never cleared: the
/// process is to end once the running command has stopped at its last whole step.
volatile sig_atomic_t line_edit_termination_signal = 0;

/// The signals that end the process (after the running command stops) rather than
/// only interrupt it.
const int line_edit_terminating_signals[3] = {SIGTERM, SIGHUP, SIGQUIT};

/// Whether `line_edit_install_interrupt_flag` is in effect, and what it
/// replaced. Touched only from the main thread, never from the handler.
static bool flag_installed = false;
static struct sigaction flag_previous_action;
static struct sigaction termination_previous_actions[3];

static void on_sigint(int signo) {
    (void)signo;
    line_edit_interrupt_flag = 1;
}

/// SIGTERM, SIGHUP, SIGQUIT: stop the running command as Ctrl-C does, and remember the
/// signal so the process ends with 128 + its number. Only this process is concerned.
static void on_terminating_signal(int signo) {
    if (line_edit_termination_signal == 0) line_edit_termination_signal = signo;
    line_edit_interrupt_flag = 1;
}

static int route(int signo, void (*handler)(int), int flags, struct sigaction *previous) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(signo, &action, previous);
}

/// Installs `on_sigint` for SIGINT with the given sa_flags, saving the old
/// action in `previous`.
int line_edit_route_sigint(int flags, struct sigaction *previous) {
    return route(SIGINT, on_sigint, flags, previous);
}

void line_edit_route_terminating_signals(int flags, struct sigaction previous[3]) {
    for (int i = 0; i < 3; i++) {
        route(line_edit_terminating_signals[i], on_terminating_signal, flags, previous ? &previous[i] : NULL);
    }
}

void line_edit_install_interrupt_flag(void) {
    if (flag_installed) return;
    if (line_edit_route_sigint(SA_RESTART, &flag_previous_action) != 0) return;
    line_edit_route_terminating_signals(SA_RESTART, termination_previous_actions);
    // A parent may start us with these signals blocked (the mask is inherited across exec):
    // unblock them, or they would wait for ever and neither stop a command nor end rlhf.
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGINT);
    for (int i = 0; i < 3; i++) sigaddset(&handled, line_edit_terminating_signals[i]);
    sigprocmask(SIG_UNBLOCK, &handled, NULL);
    flag_installed = true;
}

void line_edit_uninstall_interrupt_flag(void) {
    if (!flag_installed) return;
    sigaction(SIGINT, &flag_previous_action, NULL);
    for (int i = 0; i < 3; i++) sigaction(line_edit_terminating_signals[i], &termination_previous_actions[i], NULL);
    flag_installed = false;
}

int line_edit_termination(void) { return line_edit_termination_signal; }

bool line_edit_interrupted(void) { return line_edit_interrupt_flag != 0; }

void line_edit_clear_interrupted(void) { line_edit_interrupt_flag = 0; }

void line_edit_set_interrupted(void) { line_edit_interrupt_flag = 1; }
