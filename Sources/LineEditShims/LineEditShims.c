/// LineEditShims.c: the C side of rlhf's libedit front end.
///
/// Uses libedit's native API (histedit.h): one EditLine plus one History per
/// session. The session pointer is stored in the EditLine as its client data
/// (EL_CLIENTDATA), so libedit callbacks (prompt, TAB completion) find their
/// session, and through it the Swift completer's context pointer, without any
/// global state. (The SIGINT flag lives in InterruptFlag.c, the candidate list
/// in Candidates.c.)

#define _GNU_SOURCE 1

#include "LineEditInternal.h"

#include <histedit.h>

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

/// Marks the start and end of zero-width text (escape sequences) in prompts.
#define PROMPT_IGNORE '\1'

// MARK: - Session

struct line_edit_session {
    EditLine *editor;
    History *history;
    FILE *output;
    /// Copy of the history path, or NULL when history is not persistent.
    char *history_path;
    /// Current prompt, with escape sequences wrapped in PROMPT_IGNORE.
    char *prompt;
    /// ASCII characters that end a word for completion.
    char *word_breaks;
    line_edit_completer_fn completer;
    void *completer_context;
    /// The line (and cursor offset) left behind by the last ambiguous TAB. A
    /// TAB on exactly that state is a "second TAB" and lists the candidates.
    char *ambiguous_line;
    size_t ambiguous_cursor;
};

static line_edit_session *session_of(EditLine *editor) {
    void *data = NULL;
    if (el_get(editor, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

/// libedit prompt callback (EL_PROMPT_ESC).
/// libedit calls this after installing its own signal handlers for the line (and at every
/// redisplay). Its handler for SIGINT, SIGTERM, SIGHUP and SIGQUIT puts the terminal back
/// and then signals the whole process group (`kill(0, signo)`), which reaches the parent
/// shell too; so these four go to our own handlers instead, without SA_RESTART, so the
/// read returns at once. libedit restores the actions it found when the line ends.
static void route_signals_to_us(void) {
    line_edit_route_sigint(0, NULL);
    line_edit_route_terminating_signals(0, NULL);
}

static char *prompt_text(EditLine *editor) {
    route_signals_to_us();
    line_edit_session *session = session_of(editor);
    static char empty[] = "";
    return (session != NULL && session->prompt != NULL) ? session->prompt : empty;
}

/// Copies `prompt`, wrapping every ANSI escape sequence (CSI `ESC [ ... final`,
/// OSC `ESC ] ... BEL|ESC \`, or a two-byte `ESC x`) in PROMPT_IGNORE so
/// libedit does not count it towards the prompt's width. A prompt that
/// already contains PROMPT_IGNORE is taken to be marked by the caller.
static char *mark_invisible_sequences(const char *prompt) {
    if (strchr(prompt, PROMPT_IGNORE) != NULL) return strdup(prompt);
    size_t length = strlen(prompt);
    char *marked = malloc(length * 3 + 1); // worst case: every byte an ESC
    if (marked == NULL) return NULL;
    size_t in = 0, out = 0;
    while (in < length) {
        if (prompt[in] != '\033') {
            marked[out++] = prompt[in++];
            continue;
        }
        size_t start = in++;
        if (prompt[in] == '[') {
            in++;
            while (in < length && !(prompt[in] >= 0x40 && prompt[in] <= 0x7E)) in++;
            if (in < length) in++;
        } else if (prompt[in] == ']') {
            in++;
            while (in < length && prompt[in] != '\a' &&
                   !(prompt[in] == '\033' && prompt[in + 1] == '\\')) in++;
            if (in < length) in += (prompt[in] == '\a') ? 1 : 2;
        } else if (in < length) {
            in++;
        }
        marked[out++] = PROMPT_IGNORE;
        memcpy(marked + out, prompt + start, in - start);
        out += in - start;
        marked[out++] = PROMPT_IGNORE;
    }
    marked[out] = '\0';
    return marked;
}

/// Makes multibyte input work: takes LC_CTYPE from the environment and, if
/// that leaves the plain C locale (nothing configured), switches to UTF-8.
/// Only LC_CTYPE is touched so number formatting elsewhere stays in "C".
static void prepare_locale(void) {
    const char *chosen = setlocale(LC_CTYPE, "");
    if (chosen == NULL || strcmp(chosen, "C") == 0 || strcmp(chosen, "POSIX") == 0) {
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
            setlocale(LC_CTYPE, "C.utf8") == NULL) {
            setlocale(LC_CTYPE, "UTF-8"); // macOS spelling
        }
    }
}

/// Number of characters (not bytes) in a multibyte string, in the current
/// locale; falls back to the byte count for invalid input.
static int character_count(const char *text) {
    size_t count = mbstowcs(NULL, text, 0);
    return (int)(count == (size_t)-1 ? strlen(text) : count);
}

/// Columns the string occupies on the terminal.
static size_t display_width(const char *text) {
    size_t count = mbstowcs(NULL, text, 0);
    if (count == (size_t)-1) return strlen(text);
    wchar_t *wide = malloc((count + 1) * sizeof *wide);
    if (wide == NULL) return count;
    mbstowcs(wide, text, count + 1);
    int width = wcswidth(wide, count);
    free(wide);
    return width < 0 ? count : (size_t)width;
}

static size_t terminal_columns(FILE *output) {
    struct winsize size;
    if (ioctl(fileno(output), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

/// Prints the candidates in columns, sorted down each column like readline.
static void list_candidates(line_edit_session *session, const line_edit_candidates *list) {
    size_t widest = 0;
    for (size_t i = 0; i < list->count; i++) {
        size_t width = display_width(list->items[i]);
        if (width > widest) widest = width;
    }
    size_t column_width = widest + 2;
    size_t columns = terminal_columns(session->output) / column_width;
    if (columns < 1) columns = 1;
    size_t rows = (list->count + columns - 1) / columns;

    FILE *out = session->output;
    fputc('\n', out);
    for (size_t row = 0; row < rows; row++) {
        for (size_t column = 0; column < columns; column++) {
            size_t index = column * rows + row;
            if (index >= list->count) break;
            fputs(list->items[index], out);
            size_t next = (column + 1) * rows + row;
            if (column + 1 < columns && next < list->count) {
                for (size_t pad = display_width(list->items[index]); pad < column_width; pad++) {
                    fputc(' ', out);
                }
            }
        }
        fputc('\n', out);
    }
    fflush(out);
}

/// Replaces the `word` just before the cursor with `replacement`; when
/// `finished` (a unique match) also appends a space, unless the replacement
/// ends in '/' or '=' where the user will naturally keep typing.
static int replace_word(EditLine *editor, const char *word, const char *replacement, bool finished) {
    el_deletestr(editor, character_count(word));
    if (replacement[0] != '\0' && el_insertstr(editor, replacement) == -1) return -1;
    size_t length = strlen(replacement);
    if (finished && !(length > 0 && (replacement[length - 1] == '/' || replacement[length - 1] == '='))) {
        if (el_insertstr(editor, " ") == -1) return -1;
    }
    return 0;
}

/// Forgets (or records) the state after an ambiguous TAB.
static void remember_ambiguous(line_edit_session *session, EditLine *editor, bool remember) {
    free(session->ambiguous_line);
    session->ambiguous_line = NULL;
    if (!remember) return;
    const LineInfo *info = el_line(editor);
    session->ambiguous_line = strndup(info->buffer, (size_t)(info->lastchar - info->buffer));
    session->ambiguous_cursor = (size_t)(info->cursor - info->buffer);
}

/// The TAB key (bound as "rlhf-complete"). Readline behaviour: a unique
/// candidate is inserted with a trailing space; several candidates insert
/// their common prefix if that extends the word, otherwise beep; TAB again
/// on the same line lists them all.
static unsigned char complete_command(EditLine *editor, int key) {
    (void)key;
    line_edit_session *session = session_of(editor);
    if (session == NULL || session->completer == NULL) return CC_ERROR;

    // Copy the line now: el_line's buffer is reused by later libedit calls.
    const LineInfo *info = el_line(editor);
    size_t cursor = (size_t)(info->cursor - info->buffer);
    char *line = strndup(info->buffer, (size_t)(info->lastchar - info->buffer));
    if (line == NULL) return CC_ERROR;
    bool second_tab = session->ambiguous_line != NULL && session->ambiguous_cursor == cursor &&
                      strcmp(session->ambiguous_line, line) == 0;
    line[cursor] = '\0'; // from here on `line` is the text before the cursor

    size_t word_start = cursor;
    while (word_start > 0 && strchr(session->word_breaks, line[word_start - 1]) == NULL) word_start--;
    const char *word = line + word_start;
    size_t word_length = cursor - word_start;

    line_edit_candidates list = {0};
    session->completer(session->completer_context, line, word, &list);
    line_edit_candidates_sort_unique(&list);

    unsigned char result;
    if (list.count == 0) {
        remember_ambiguous(session, editor, false);
        result = CC_ERROR;
    } else if (list.count == 1) {
        remember_ambiguous(session, editor, false);
        result = replace_word(editor, word, list.items[0], true) == 0 ? CC_REFRESH : CC_ERROR;
    } else {
        size_t common = line_edit_candidates_common_prefix(&list);
        bool extends = common > word_length && strncmp(list.items[0], word, word_length) == 0;
        if (extends) {
            char *prefix = strndup(list.items[0], common);
            result = (prefix != NULL && replace_word(editor, word, prefix, false) == 0) ? CC_REFRESH : CC_ERROR;
            free(prefix);
            remember_ambiguous(session, editor, true);
        } else if (second_tab) {
            list_candidates(session, &list);
            result = CC_REDISPLAY;
        } else {
            remember_ambiguous(session, editor, true);
            result = CC_ERROR; // beep
        }
    }
    line_edit_candidates_free(&list);
    free(line);
    return result;
}

line_edit_session *line_edit_open(const char *app_name, const char *history_path, int history_limit) {
    prepare_locale();

    line_edit_session *session = calloc(1, sizeof *session);
    if (session == NULL) return NULL;
    session->output = stdout;
    session->word_breaks = strdup(" \t\n");
    session->editor = el_init(app_name, stdin, stdout, stderr);
    session->history = history_init();
    if (session->word_breaks == NULL || session->editor == NULL || session->history == NULL) {
        line_edit_close(session);
        return NULL;
    }

    HistEvent event;
    history(session->history, &event, H_SETSIZE, history_limit < 1 ? 1 : history_limit);
    history(session->history, &event, H_SETUNIQUE, 1);
    if (history_path != NULL) {
        session->history_path = strdup(history_path);
        // A missing or unreadable file simply means "no history yet".
        if (session->history_path != NULL) history(session->history, &event, H_LOAD, session->history_path);
    }

    EditLine *editor = session->editor;
    el_set(editor, EL_CLIENTDATA, (void *)session);
    el_set(editor, EL_EDITOR, "emacs");
    // libedit's own handlers restore the terminal around ^Z/fg, resize on
    // SIGWINCH and pass SIGINT on to our handler (see line_edit_read_line).
    el_set(editor, EL_SIGNAL, 1);
    el_set(editor, EL_HIST, history, session->history);
    el_set(editor, EL_PROMPT_ESC, prompt_text, PROMPT_IGNORE);

    el_set(editor, EL_ADDFN, "rlhf-complete", "Complete the word before the cursor", complete_command);
    el_set(editor, EL_BIND, "^I", "rlhf-complete", NULL);
    // Keys readline users expect that libedit's emacs map lacks.
    el_set(editor, EL_BIND, "^R", "em-inc-search-prev", NULL);
    el_set(editor, EL_BIND, "^W", "ed-delete-prev-word", NULL);
    static const char *const home_keys[] = {"\\e[H", "\\eOH", "\\e[1~", "\\e[7~"};
    static const char *const end_keys[] = {"\\e[F", "\\eOF", "\\e[4~", "\\e[8~"};
    for (size_t i = 0; i < sizeof home_keys / sizeof *home_keys; i++) {
        el_set(editor, EL_BIND, home_keys[i], "ed-move-to-beg", NULL);
        el_set(editor, EL_BIND, end_keys[i], "ed-move-to-end", NULL);
    }
    el_set(editor, EL_BIND, "\\e[3~", "ed-delete-next-char", NULL);
    el_set(editor, EL_BIND, "\\e[1;5C", "em-next-word", NULL);
    el_set(editor, EL_BIND, "\\e[1;5D", "ed-prev-word", NULL);
    el_set(editor, EL_BIND, "\\e[1;3C", "em-next-word", NULL);
    el_set(editor, EL_BIND, "\\e[1;3D", "ed-prev-word", NULL);

    el_source(editor, NULL); // the user's ~/.editrc (or $EDITRC), if any
    return session;
}

void line_edit_close(line_edit_session *session) {
    if (session == NULL) return;
    if (session->editor != NULL) el_end(session->editor);
    if (session->history != NULL) history_end(session->history);
    free(session->history_path);
    free(session->prompt);
    free(session->word_breaks);
    free(session->ambiguous_line);
    free(session);
}

void line_edit_set_completer(line_edit_session *session, line_edit_completer_fn completer, void *context) {
    session->completer = completer;
    session->completer_context = context;
}

void line_edit_set_word_break_characters(line_edit_session *session, const char *characters) {
    char *copy = strdup(characters);
    if (copy == NULL) return;
    free(session->word_breaks);
    session->word_breaks = copy;
}

/// After a line was abandoned by a signal: put the terminal cursor after the
/// end of the input (by re-printing what follows it), optionally echo "^C",
/// and start a new line so the next prompt is clean.
static void finish_abandoned_line(line_edit_session *session, bool echo_interrupt) {
    FILE *out = session->output;
    const LineInfo *info = el_line(session->editor);
    if (info->cursor < info->lastchar) {
        fwrite(info->cursor, 1, (size_t)(info->lastchar - info->cursor), out);
    }
    if (echo_interrupt) fputs("^C", out);
    fputc('\n', out);
}

char *line_edit_read_line(line_edit_session *session, const char *prompt, line_edit_status *status) {
    *status = LINE_EDIT_EOF;

    char *marked = mark_invisible_sequences(prompt);
    if (marked != NULL) {
        free(session->prompt);
        session->prompt = marked;
    }
    remember_ambiguous(session, session->editor, false);

    struct termios terminal;
    bool have_terminal = tcgetattr(STDIN_FILENO, &terminal) == 0;

    // While editing, SIGINT must reach on_sigint and must interrupt read()
    // (no SA_RESTART); SIGTERM, SIGHUP and SIGQUIT likewise reach their
    // handler. libedit installs its own handlers inside el_gets, and
    // prompt_text (called right after) puts ours back for these four (see
    // route_signals_to_us). el_gets then returns NULL with errno EINTR and the
    // terminal out of raw mode (checked with libedit 3.1-20221030; a libedit
    // that retried the read after EINTR would only notice the signal at the
    // next key press). The terminal settings are restored below in any case.
    struct sigaction previous_sigint;
    bool routed = line_edit_route_sigint(0, &previous_sigint) == 0;
    line_edit_interrupt_flag = 0;
    fflush(session->output);

    int count = 0;
    errno = 0;
    const char *line = el_gets(session->editor, &count);
    int read_errno = errno;
    bool got_sigint = line_edit_interrupt_flag != 0;

    char *result = NULL;
    if (line_edit_termination_signal != 0) {
        finish_abandoned_line(session, false);
        *status = LINE_EDIT_TERMINATED;
    } else if (line != NULL && count > 0) {
        result = strdup(line);
        if (result != NULL) {
            result[strcspn(result, "\r\n")] = '\0';
            *status = LINE_EDIT_LINE;
        }
    } else if (got_sigint) {
        finish_abandoned_line(session, true);
        *status = LINE_EDIT_INTERRUPTED;
    } else if (count < 0 && read_errno == EINTR) {
        // Another signal cut the read short (e.g. ^Z where the shell has no
        // job control). Treat it like Ctrl-C, minus the "^C".
        finish_abandoned_line(session, false);
        *status = LINE_EDIT_INTERRUPTED;
    } else {
        // Ctrl-D on an empty line, or the terminal is gone: end the prompt's
        // line so whatever runs next starts in column 0.
        fputc('\n', session->output);
    }
    fflush(session->output);

    if (routed) sigaction(SIGINT, &previous_sigint, NULL);
    line_edit_interrupt_flag = 0;
    if (have_terminal) tcsetattr(STDIN_FILENO, TCSADRAIN, &terminal);
    return result;
}

bool line_edit_history_add(line_edit_session *session, const char *line) {
    HistEvent event;
    history(session->history, &event, H_ENTER, line);
    return session->history_path == NULL || line_edit_history_save(session);
}

bool line_edit_history_save(line_edit_session *session) {
    if (session->history_path == NULL) return false;
    HistEvent event;
    return history(session->history, &event, H_SAVE, session->history_path) != -1;
}

bool line_edit_history_load(line_edit_session *session, const char *path) {
    HistEvent event;
    return history(session->history, &event, H_LOAD, path) != -1;
}

bool line_edit_history_save_to(line_edit_session *session, const char *path) {
    HistEvent event;
    return history(session->history, &event, H_SAVE, path) != -1;
}
