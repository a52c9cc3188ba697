/// Candidates.c: the list of completions the Swift completer fills, sorted and
/// de-duplicated as readline does, and their longest common prefix.

#include "LineEditInternal.h"

#include <stdlib.h>
#include <string.h>


void line_edit_candidates_add(line_edit_candidates *out, const char *candidate) {
    if (out->count == out->capacity) {
        size_t capacity = out->capacity ? out->capacity * 2 : 16;
        char **grown = realloc(out->items, capacity * sizeof *grown);
        if (grown == NULL) return;
        out->items = grown;
        out->capacity = capacity;
    }
    char *copy = strdup(candidate);
    if (copy != NULL) out->items[out->count++] = copy;
}

void line_edit_candidates_free(line_edit_candidates *list) {
    for (size_t i = 0; i < list->count; i++) free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = list->capacity = 0;
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/// Sorts the list and drops duplicates, as readline does before it decides
/// between "unique match" and "ambiguous".
void line_edit_candidates_sort_unique(line_edit_candidates *list) {
    if (list->count < 2) return;
    qsort(list->items, list->count, sizeof *list->items, compare_strings);
    size_t kept = 1;
    for (size_t i = 1; i < list->count; i++) {
        if (strcmp(list->items[i], list->items[kept - 1]) == 0) {
            free(list->items[i]);
        } else {
            list->items[kept++] = list->items[i];
        }
    }
    list->count = kept;
}

/// Length in bytes of the longest common prefix of all candidates, shortened
/// if needed so it never ends inside a UTF-8 sequence.
size_t line_edit_candidates_common_prefix(const line_edit_candidates *list) {
    if (list->count == 0) return 0;
    const char *first = list->items[0];
    size_t length = strlen(first);
    for (size_t i = 1; i < list->count; i++) {
        size_t j = 0;
        while (j < length && list->items[i][j] == first[j]) j++;
        length = j;
    }
    // first[length] is the first byte left out; if it continues a multibyte
    // character, back off to that character's start.
    while (length > 0 && ((unsigned char)first[length] & 0xC0) == 0x80) length--;
    return length;
}
