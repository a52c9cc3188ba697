// One persistent worker thread beside the caller: the two halves of a job run at once.
//
// The worker is started on first use and lives as long as the process. A job is posted by bumping
// `posted`; the worker spins a short while for it (20 µs, so that the next job of a pass, a few
// microseconds later, starts at once) and then sleeps: on a futex on Linux, on a condition variable
// elsewhere, so an idle process leaves the second core to others within microseconds. Half 1 of job n is
// claimed by whichever of the worker and the caller (done with half 0) first moves `claimed` from n - 1
// to n, so a worker that is asleep or descheduled on a busy machine never holds the caller up. Only one
// job runs at a time: a caller that finds the worker taken (a nested call, another thread) runs both halves
// itself. Which thread runs a half never changes what the half computes.
//
// Each word written by one side and read by the other has a cache line of its own (the job's post, the
// claim, the finish, the sleeping flag, the caller's lock), so spinning on one never slows writes to another.
#include "RLHFKernels.h"

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

/// How long the worker polls for the next job before it sleeps, and a caller waiting for the worker's half
/// polls before it starts yielding the processor. The jobs of a training step come a few microseconds apart;
/// 20 µs used less processor time than 50 µs (the old 4000 pauses, 58 µs here) for the same iteration time
/// in alternated `rlhf bench --quick` runs on the loaded 2-core machine.
enum { SPIN_NANOSECONDS = 20000 };
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
static struct { _Alignas(LINE) atomic_uint value; } claimed;   // the last job whose half 1 is claimed
/// Written by the worker, read by the caller waiting for its half.
static struct {
    _Alignas(LINE) atomic_uint finished;  // the last job whose half 1 the worker has finished
    atomic_long halves;                   // halves the worker has run, for tests
} done;
static struct { _Alignas(LINE) atomic_int value; } sleeping;   // the worker sleeps or is about to
static struct { _Alignas(LINE) atomic_int value; } taken;      // a caller holds the worker
/// 1 on a caller's thread while its job is posted to the worker (for tests: not when it runs both halves).
static _Thread_local int posting;

#if !defined(__linux__)
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
#endif

static long long nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/// Polls `word` until it holds `value` (`equal` 1) or differs from it (`equal` 0), or SPIN_NANOSECONDS
/// pass; returns 1 when it did, 0 when the time ran out.
static int spin_for(atomic_uint *word, unsigned value, int equal) {
    long long deadline = 0;
    for (int polls = 0;; polls++) {
        if ((atomic_load_explicit(word, memory_order_acquire) == value) == equal) return 1;
        if (polls % POLLS_PER_CLOCK == 0) {
            long long now = nanoseconds();
            if (deadline == 0) {
                deadline = now + SPIN_NANOSECONDS;
            } else if (now >= deadline) {
                return 0;
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

static void *worker_main(void *unused) {
    (void)unused;
    unsigned seen = 0;
    for (;;) {
        if (!spin_for(&post.posted, seen, 0)) sleep_until_posted(seen);
        unsigned job = atomic_load_explicit(&post.posted, memory_order_acquire);
        seen = job;
        unsigned expected = job - 1;
        // Claimed: the caller waits for `finished`, so the job's body and context stay as posted.
        if (atomic_compare_exchange_strong(&claimed.value, &expected, job)) {
            post.body(post.context, 1);
            atomic_fetch_add_explicit(&done.halves, 1, memory_order_relaxed);
            atomic_store_explicit(&done.finished, job, memory_order_release);
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

void rlhf_pool_run_two(void (*body)(void *context, long part), void *context) {
    pthread_once(&started, start_worker);
    int free = 0;
    if (!usable || !atomic_compare_exchange_strong(&taken.value, &free, 1)) {
        body(context, 0);
        body(context, 1);
        return;
    }
    post.body = body;
    post.context = context;
    unsigned job = atomic_fetch_add(&post.posted, 1) + 1;
    posting = 1;
    if (atomic_load(&sleeping.value) && atomic_exchange(&sleeping.value, 0)) wake_worker();  // one wake per sleep
    body(context, 0);
    unsigned expected = job - 1;
    if (atomic_compare_exchange_strong(&claimed.value, &expected, job)) {
        body(context, 1);  // the worker has not started it: no waiting
    } else if (!spin_for(&done.finished, job, 1)) {
        // The worker was descheduled within its half: let it run.
        while (atomic_load_explicit(&done.finished, memory_order_acquire) != job) sched_yield();
    }
    posting = 0;
    atomic_store(&taken.value, 0);
}

int rlhf_pool_worker_runs(void) {
    pthread_once(&started, start_worker);
    return usable;
}

long rlhf_pool_worker_halves(void) { return atomic_load(&done.halves); }

int rlhf_pool_posted_here(void) { return posting; }
