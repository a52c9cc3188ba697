// One persistent worker thread beside the caller: the parts (chunks) of a job run on both at once.
//
// The worker is started on first use and lives as long as the process. A job is posted by bumping
// `posted`; the worker spins a short while for it (on Linux 100 µs while the machine has a processor for
// every runnable thread, else 20 µs, so that the next job of a pass, a few microseconds later, starts at once;
// yielding the processor every 32 polls while it finds itself on the caller's, so that a caller descheduled
// there runs) and then sleeps: on a futex on Linux, on a condition variable elsewhere, so an idle process
// leaves the second core to others within about a tenth of a millisecond.
//
// A job is `chunks` calls body(context, 0), ..., body(context, chunks - 1). The caller takes chunk 0 at
// once; every further chunk goes to whichever of the caller and the worker next moves the claim word (the
// job's number, its chunk count and the next chunk, in one 64-bit word) on by one, until none is left.
// The thread that finishes first takes more, so a worker that wakes late, is descheduled on a busy
// machine or works from a colder cache does fewer chunks instead of holding the caller up; a worker
// that never comes leaves every chunk to the caller. The caller returns when every chunk is done. Only
// one job runs at a time: a caller that finds the worker taken (a nested call, another thread) runs
// every chunk itself, in order. Which thread runs a chunk never changes what the chunk computes (its
// work is fixed by its index), so no result depends on timing or on the number of threads.
//
// Each word written by one side and read by the other has a cache line of its own (the job's post, the
// claim word, the worker's count of finished chunks, the sleeping flag, the caller's lock, the caller's
// processor), so spinning on one never slows writes to another.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // sched_getcpu
#endif
#include "RLHFKernels.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#define RELAX() _mm_pause()
#elif defined(__aarch64__)
#define RELAX() __asm__ __volatile__("yield")
#else
#define RELAX() ((void)0)
#endif

/// How long the worker polls for the next job before it sleeps on a busy machine (more runnable threads than
/// processors) or when it cannot tell (the count unreadable, or not Linux), and a caller waiting for the worker's
/// chunks polls before it starts yielding the processor. The jobs of a training step come a few microseconds
/// apart; 20 µs used less processor time than 50 µs (the old 4000 pauses, 58 µs here) for the same iteration
/// time in alternated `rlhf bench --quick` runs on the loaded 2-core machine.
enum { SPIN_NANOSECONDS = 20000 };
/// How long the worker polls for the next job while the machine has a processor for every runnable thread: there
/// the polling takes a processor nobody else wants, and a worker that slept through a gap of 20 to 100 µs between
/// two jobs (the Swift work between kernels) wakes too late to share the next. On the 2-core Intel Xeon (model
/// 207, AVX-512) of README's "Speed", 2026-12-02, `rlhf bench` runs alternated with the build before: with the
/// machine otherwise quiet the pipeline took a median of 2.61 s against 2.75 s with 20 µs (eight runs each, paired
/// ratios' median 0.952); with one other process spinning on a core (so the worker polled 20 µs) 3.32 against
/// 3.30 s (six runs each, median 1.03). Polling 100 µs whatever the load had cost a median of 13% there (four
/// paired runs).
enum { IDLE_MACHINE_SPIN_NANOSECONDS = 100000 };
/// How often the worker looks again at whether the machine is busy (1 ms).
enum { BUSY_CHECK_NANOSECONDS = 1000000 };
/// Polls between two readings of the clock while spinning.
enum { POLLS_PER_CLOCK = 32 };

/// Room for a cache line (128 bytes: Apple's arm64 lines, and two of x86-64's adjacent-line prefetch pair).
#define LINE 128

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int usable;  // the worker runs (and there are two processors or more)

/// The job: written by the caller before `posted` is bumped (release), read by the worker after.
static struct {
    _Alignas(LINE) atomic_uint posted;  // jobs posted; the futex word on Linux
    void (*body)(void *, long);
    void *context;
} post;
/// Each alone in a struct of its own: a struct's size rounds up to its alignment, so nothing else the
/// compiler or linker places nearby can share its line (an aligned bare static only starts a line).
/// The claim word: job number << 32 | chunk count << 16 | next chunk to run. A worker that still looks
/// at an older job fails to move it on (the job number differs), so it never runs a later job's chunk
/// with an earlier job's body; and a claim that succeeds leaves a chunk unfinished, so the caller has
/// not yet written the next job's body when the worker reads it.
static struct { _Alignas(LINE) atomic_ullong value; } claim;
/// Written by the worker, read by the caller waiting for the worker's chunks.
static struct {
    _Alignas(LINE) atomic_uint finished;  // chunks of the current job the worker has finished
    atomic_long parts;                    // chunks the worker has run since the start, for tests
} done;
static struct { _Alignas(LINE) atomic_int value; } sleeping;   // the worker sleeps or is about to
static struct { _Alignas(LINE) atomic_int value; } taken;      // a caller holds the worker
/// The processor the caller last posted a job from or finished one on (Linux; -1 elsewhere and before the first
/// post), read by the worker while it waits: a hint only (the caller may have moved since).
static struct { _Alignas(LINE) atomic_int value; } callerCore = {-1};
/// 1 on a caller's thread while its job is posted to the worker (for tests: not when it runs every chunk).
static _Thread_local int posting;

/// Most chunks in one job (the claim word's field).
enum { MOST_CHUNKS = 0xffff };

#if !defined(__linux__)
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
#endif

/// The processor this thread runs on (Linux; -1 elsewhere).
static int current_core(void) {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

/// Whether the worker, waiting for the next job, runs on the processor the caller was last seen on: on a busy
/// machine the two threads often share one core, and then the caller is not running while the worker polls (it
/// waits for the core, mostly within its last chunk of the job, or in the work between jobs). A private build
/// timing each job's chunks found the worker idle ~25 µs at the end of most jobs in such windows (the whole
/// spin, the caller descheduled beside it) and every second job run by the caller alone; the worker then yields
/// the core instead. On cores of their own the two meet here only when the caller has moved since (a hint, no
/// bit depends on it) and the worker polls as before (a yield on
/// every poll cost 0.3 s of the pipeline in alternated runs in a quieter window: a yield to another process's
/// thread gave the core away for ~0.2 ms).
static int sharing_callers_core(void) {
    int caller = atomic_load_explicit(&callerCore.value, memory_order_relaxed);
    return caller >= 0 && current_core() == caller;
}

long rlhf_runnable_threads(const char *loadavg) {
    // "0.52 0.58 0.59 3/197 12345": the fourth field is runnable/all threads.
    const char *slash = strchr(loadavg, '/');
    if (!slash) return -1;
    const char *start = slash;
    while (start > loadavg && start[-1] >= '0' && start[-1] <= '9') start--;
    if (start == slash) return -1;
    return strtol(start, 0, 10);
}

/// Whether the machine has more runnable threads than this process may use processors (Linux: /proc/loadavg's
/// count, which includes this thread, read again when BUSY_CHECK_NANOSECONDS have passed since the last look,
/// against the processors of this thread's affinity mask; always 1 elsewhere, or when the count cannot be read or
/// is below 1, as some sandboxes' fixed "0/0" lines are). Called by the worker thread alone, which alone touches
/// these statics. A hint: no result depends on it, only how long the worker polls.
static int machine_busy(long long now) {
#if defined(__linux__)
    static int descriptor = -2, busy = 1;
    static long long checked;
    static long processors;
    if (checked != 0 && now - checked < BUSY_CHECK_NANOSECONDS) return busy;
    checked = now;
    if (descriptor == -2) {
        descriptor = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
        cpu_set_t allowed;
        processors = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed)
                                                                         : sysconf(_SC_NPROCESSORS_ONLN);
    }
    char text[128];
    ssize_t length = descriptor >= 0 ? pread(descriptor, text, sizeof text - 1, 0) : -1;
    if (length <= 0) return busy = 1;
    text[length] = 0;
    long runnable = rlhf_runnable_threads(text);
    busy = runnable < 1 || runnable > processors;
    return busy;
#else
    (void)now;
    return 1;
#endif
}

static long long nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/// Polls `word` until it holds `value` (`equal` 1) or differs from it (`equal` 0), or SPIN_NANOSECONDS
/// pass; returns 1 when it did, 0 when the time ran out. With `yielding` (the worker waiting for the next job),
/// polls IDLE_MACHINE_SPIN_NANOSECONDS instead while the machine is not busy (`machine_busy`), and yields the
/// processor at each reading of the clock when it runs on the processor the caller was last seen on
/// (`sharing_callers_core`).
static int spin_for(atomic_uint *word, unsigned value, int equal, int yielding) {
    long long deadline = 0;
    for (int polls = 0;; polls++) {
        if ((atomic_load_explicit(word, memory_order_acquire) == value) == equal) return 1;
        if (polls % POLLS_PER_CLOCK == 0) {
            long long now = nanoseconds();
            if (deadline == 0) {
                int idle = yielding && !machine_busy(now);
                deadline = now + (idle ? IDLE_MACHINE_SPIN_NANOSECONDS : SPIN_NANOSECONDS);
            } else if (now >= deadline) {
                return 0;
            } else if (yielding && sharing_callers_core()) {
                sched_yield();
            }
        }
        RELAX();
    }
}

/// Sleeps until `posted` differs from `seen`. The worker raises `sleeping` before each look at `posted`
/// and the caller, after bumping `posted`, takes `sleeping` down and wakes the worker when it was up (all
/// sequentially consistent), so either the worker sees the new job or the caller wakes it; a job posted
/// while the worker is still waking mostly finds `sleeping` down and makes no system call (one posted just
/// as a woken worker raises the flag again for its next look makes one harmless extra wake).
static void sleep_until_posted(unsigned seen) {
#if defined(__linux__)
    for (;;) {
        atomic_store(&sleeping.value, 1);
        if (atomic_load(&post.posted) != seen) break;
        // Returns at once when the word no longer holds `seen`; wakes spuriously at times: the loop looks again.
        syscall(SYS_futex, &post.posted, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
    }
#else
    pthread_mutex_lock(&lock);
    for (;;) {
        atomic_store(&sleeping.value, 1);
        if (atomic_load(&post.posted) != seen) break;
        pthread_cond_wait(&wake, &lock);
    }
    pthread_mutex_unlock(&lock);
#endif
    atomic_store(&sleeping.value, 0);
}

static void wake_worker(void) {
#if defined(__linux__)
    syscall(SYS_futex, &post.posted, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#else
    pthread_mutex_lock(&lock);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
#endif
}

/// Moves job `job`'s claim word on by one chunk; returns the chunk claimed, or -1 when none is left or
/// the word belongs to another job.
static long claim_chunk(unsigned job) {
    unsigned long long word = atomic_load_explicit(&claim.value, memory_order_acquire);
    for (;;) {
        if ((unsigned)(word >> 32) != job) return -1;
        unsigned long long next = word & 0xffff, chunks = (word >> 16) & 0xffff;
        if (next >= chunks) return -1;
        if (atomic_compare_exchange_weak_explicit(&claim.value, &word, word + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            return (long)next;
        }
    }
}

static void *worker_main(void *unused) {
    (void)unused;
    unsigned seen = 0;
    for (;;) {
        if (!spin_for(&post.posted, seen, 0, 1)) sleep_until_posted(seen);
        unsigned job = atomic_load_explicit(&post.posted, memory_order_acquire);
        seen = job;
        // A claimed chunk holds the caller (it waits for `finished`), so the job's body and context stay as
        // posted while this thread reads them.
        for (long chunk; (chunk = claim_chunk(job)) >= 0;) {
            post.body(post.context, chunk);
            atomic_fetch_add_explicit(&done.parts, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&done.finished, 1, memory_order_release);
        }
    }
    return 0;
}

static void start_worker(void) {
    const char *threads = getenv("RLHF_THREADS");
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || (threads && strcmp(threads, "1") == 0)) return;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 8u << 20);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    usable = pthread_create(&thread, &attributes, worker_main, 0) == 0;
    pthread_attr_destroy(&attributes);
}

void rlhf_pool_run_chunks(void (*body)(void *context, long chunk), void *context, long chunks) {
    if (chunks <= 0) return;
    pthread_once(&started, start_worker);
    int free = 0;
    if (chunks == 1 || chunks > MOST_CHUNKS || !usable
        || !atomic_compare_exchange_strong(&taken.value, &free, 1)) {
        for (long chunk = 0; chunk < chunks; chunk++) body(context, chunk);
        return;
    }
    post.body = body;
    post.context = context;
    atomic_store_explicit(&done.finished, 0, memory_order_relaxed);
    unsigned job = atomic_load_explicit(&post.posted, memory_order_relaxed) + 1;
    // Chunk 0 is the caller's from the start.
    atomic_store_explicit(&claim.value, (unsigned long long)job << 32 | (unsigned long long)chunks << 16 | 1,
                          memory_order_relaxed);
    atomic_store_explicit(&callerCore.value, current_core(), memory_order_relaxed);
    atomic_fetch_add(&post.posted, 1);  // publishes the body, the context, the count and the claim word
    posting = 1;
    if (atomic_load(&sleeping.value) && atomic_exchange(&sleeping.value, 0)) wake_worker();  // one wake per sleep
    long mine = 0;
    for (long chunk = 0; chunk >= 0; chunk = claim_chunk(job)) {
        body(context, chunk);
        mine++;
    }
    unsigned theirs = (unsigned)(chunks - mine);
    if (!spin_for(&done.finished, theirs, 1, 0)) {
        // The worker was descheduled within a chunk: let it run.
        while (atomic_load_explicit(&done.finished, memory_order_acquire) != theirs) sched_yield();
    }
    atomic_store_explicit(&callerCore.value, current_core(), memory_order_relaxed);  // where it goes on from
    posting = 0;
    atomic_store(&taken.value, 0);
}

void rlhf_pool_run_two(void (*body)(void *context, long part), void *context) {
    rlhf_pool_run_chunks(body, context, 2);
}

int rlhf_pool_worker_runs(void) {
    pthread_once(&started, start_worker);
    return usable;
}

long rlhf_pool_worker_halves(void) { return atomic_load(&done.parts); }

int rlhf_pool_posted_here(void) { return posting; }

long rlhf_chunk_start(long chunk, long chunks, long units, long step) {
    if (step < 1) step = 1;
    long steps = (units + step - 1) / step, start = chunks > 0 ? steps * chunk / chunks * step : units;
    return chunk >= chunks || start > units ? units : start;
}
