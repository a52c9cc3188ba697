/// LineEditShims: a small, non-variadic C surface over libedit for Swift.
///
/// libedit's native API is mostly variadic (`el_set`, `el_get`, `history`) and
/// its callbacks are C function pointers, neither of which Swift can use
/// directly. This header exposes a handful of plain functions instead. It does
/// not include any libedit header, so Swift code importing this module sees
/// only opaque pointers.
///
/// Threading: every function here must be called from one thread (the thread
/// that owns the terminal). Only the interrupt-flag functions are safe to call
/// from anywhere.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Line editing session

/// One libedit editor plus its history list. Opaque to Swift (`OpaquePointer`).
typedef struct line_edit_session line_edit_session;

/// A growable list of completion candidates, owned by the shim. A completer
/// fills it with `line_edit_candidates_add`; the shim copies every string.
typedef struct line_edit_candidates line_edit_candidates;

/// The completion callback. Called when the user presses TAB.
///
/// - `context`: the pointer given to `line_edit_set_completer`, untouched.
/// - `line_before_cursor`: UTF-8 text of the line from its start up to the
///   cursor.
/// - `word`: UTF-8 text of the word being completed: the end of
///   `line_before_cursor` back to the last word-break character.
/// - `out`: where to add candidates (full replacement words, not suffixes).
typedef void (*line_edit_completer_fn)(void *_Nullable context,
                                       const char *_Nonnull line_before_cursor,
                                       const char *_Nonnull word,
                                       line_edit_candidates *_Nonnull out);

/// Adds one candidate (a NUL-terminated UTF-8 string; copied) to `out`.
void line_edit_candidates_add(line_edit_candidates *_Nonnull out,
                              const char *_Nonnull candidate);

/// Creates a session for the terminal on stdin/stdout.
///
/// Sets the `LC_CTYPE` locale from the environment (falling back to a UTF-8
/// locale when none is configured) so libedit decodes multibyte input, then
/// creates the editor in emacs mode with libedit's signal handling on, binds
/// TAB to completion, Home/End/Delete, Ctrl-arrows, ^R (history search) and
/// ^W (delete previous word), reads `~/.editrc` (lines may be prefixed with
/// `app_name:`), and loads history from `history_path` if that file exists.
///
/// - `app_name`: program name used by libedit for `.editrc` matching.
/// - `history_path`: history file to load now and save after every added line;
///   may be NULL for no persistent history.
/// - `history_limit`: maximum number of remembered lines (at least 1).
///
/// Returns NULL if libedit could not be initialised. Call only when stdin is
/// a terminal.
line_edit_session *_Nullable line_edit_open(const char *_Nonnull app_name,
                                            const char *_Nullable history_path,
                                            int history_limit);

/// Frees the session (libedit puts back the terminal settings it found at
/// `line_edit_open`). History is not saved here: `line_edit_history_add`
/// already saves after every line.
void line_edit_close(line_edit_session *_Nullable session);

/// Installs the completion callback and its context pointer (may be NULL).
/// Passing a NULL callback turns completion off (TAB then just beeps).
void line_edit_set_completer(line_edit_session *_Nonnull session,
                             line_edit_completer_fn _Nullable completer,
                             void *_Nullable context);

/// Sets the characters that separate words for completion. The default is
/// space, tab and newline. Only ASCII characters are meaningful.
void line_edit_set_word_break_characters(line_edit_session *_Nonnull session,
                                         const char *_Nonnull characters);

/// How a call to `line_edit_read_line` ended.
typedef enum line_edit_status {
    /// A line was entered; the returned string holds it.
    LINE_EDIT_LINE = 0,
    /// End of input: Ctrl-D on an empty line, or the terminal went away.
    LINE_EDIT_EOF = 1,
    /// Ctrl-C (or another signal) abandoned the line. The shim has already
    /// moved to a fresh output line (echoing `^C` for Ctrl-C); the caller
    /// should simply prompt again.
    LINE_EDIT_INTERRUPTED = 2,
    /// SIGTERM, SIGHUP or SIGQUIT arrived (see `line_edit_termination`): the terminal
    /// is restored and the caller should end the process with 128 + the signal.
    LINE_EDIT_TERMINATED = 3,
} line_edit_status;

/// Reads one line with editing, completion and history browsing.
///
/// `prompt` is shown before the input; ANSI escape sequences in it (colours)
/// are automatically marked as zero-width. While reading, SIGINT is routed to
/// the shim's handler, so Ctrl-C never kills the process here. The terminal
/// settings found on entry are restored on return, whatever happened.
///
/// The interrupt flag (see below) is cleared on entry and again on return: a
/// Ctrl-C at the prompt is reported through `*status` only, never left
/// pending for the next command.
///
/// Returns a malloc'd UTF-8 string without the trailing newline when
/// `*status` is `LINE_EDIT_LINE` (free it with `free`), and NULL otherwise.
/// The line is NOT added to history; see `line_edit_history_add`.
char *_Nullable line_edit_read_line(line_edit_session *_Nonnull session,
                                    const char *_Nonnull prompt,
                                    line_edit_status *_Nonnull status);

/// Appends `line` to the history list (a line equal to the previous entry is
/// skipped) and, if the session has a history path, rewrites that file.
/// Returns false only if saving the file failed.
bool line_edit_history_add(line_edit_session *_Nonnull session,
                           const char *_Nonnull line);

/// Writes the history list to the session's history path now. Returns false
/// if there is no path or the write failed.
bool line_edit_history_save(line_edit_session *_Nonnull session);

/// Loads history lines from `path` (libedit's format, first line `_HiStOrY_V2_`)
/// into a session opened without a history path. Returns false if it failed.
bool line_edit_history_load(line_edit_session *_Nonnull session, const char *_Nonnull path);

/// Writes the history list to `path` (which the caller then renames into
/// place). Returns false if the write failed.
bool line_edit_history_save_to(line_edit_session *_Nonnull session, const char *_Nonnull path);

// MARK: - Ctrl-C as a flag

/// Installs a process-wide SIGINT handler that only sets a flag (readable with
/// `line_edit_interrupted`), so Ctrl-C during a long command does not kill the
/// process; SIGTERM, SIGHUP and SIGQUIT set the same flag and are remembered
/// (`line_edit_termination`), so the command stops at its last whole step and the
/// caller then ends the process. Uses SA_RESTART so ordinary system calls are not
/// disturbed. Idempotent. `line_edit_read_line` works with or without it.
void line_edit_install_interrupt_flag(void);

/// Puts back the SIGINT disposition that was in place before
/// `line_edit_install_interrupt_flag`. No effect if it was not installed.
void line_edit_uninstall_interrupt_flag(void);

/// True if SIGINT arrived since the flag was last cleared.
/// Async-signal-safe; callable from any thread.
bool line_edit_interrupted(void);

/// Clears the interrupt flag. Callable from any thread.
void line_edit_clear_interrupted(void);

/// Sets the interrupt flag, as Ctrl-C does (for a Ctrl-C seen at a prompt that must stop
/// what is running, such as a lesson's pause).
void line_edit_set_interrupted(void);

/// The first of SIGTERM, SIGHUP, SIGQUIT received since start (0: none). Not cleared:
/// the caller ends the process with 128 + this number once the running command stops.
int line_edit_termination(void);

#ifdef __cplusplus
}
#endif
