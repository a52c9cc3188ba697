// One persistent worker thread beside the caller: the two halves of a job run at once.
//
// The worker is started on first use and lives as long as the process. A job is posted by bumping
// `posted`; the worker spins a while for it (so that the next job of a pass, a few microseconds later,
// starts at once) and then sleeps on a condition variable. Half 1 of job n is claimed by whichever of
// the worker and the caller (done with half 0) first moves `claimed` from n - 1 to n, so a worker that
// is asleep or descheduled on a busy machine never holds the caller up. Only one job runs at a time:
// a caller that finds the worker taken (a nested call, another thread) runs both halves itself. Which
// thread runs a half never changes what the half computes.
#include "RLHFKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define RELAX() _mm_pause()
#elif defined(__aarch64__)
#define RELAX() __asm__ __volatile__("yield")
#else
#define RELAX() ((void)0)
#endif

/// Polls before the worker sleeps, and before a caller waiting for the worker starts yielding.
enum { SPINS = 4000 };

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int usable;                       // the worker runs (and there are two processors or more)
static atomic_int taken;                 // a job holds the worker
static atomic_ulong posted, claimed, finished;  // jobs posted, whose half 1 is claimed, is done
static atomic_int sleeping;              // the worker waits on `wake`
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static void (*job_body)(void *, long);
static void *job_context;

static void *worker_main(void *unused) {
    (void)unused;
    unsigned long seen = 0;
    for (;;) {
        int spins = 0;
        unsigned long job;
        while ((job = atomic_load_explicit(&posted, memory_order_acquire)) == seen) {
            if (++spins < SPINS) {
                RELAX();
                continue;
            }
            pthread_mutex_lock(&lock);
            atomic_store(&sleeping, 1);
            while (atomic_load(&posted) == seen) pthread_cond_wait(&wake, &lock);
            atomic_store(&sleeping, 0);
            pthread_mutex_unlock(&lock);
        }
        seen = job;
        unsigned long expected = job - 1;
        if (atomic_compare_exchange_strong(&claimed, &expected, job)) {
            job_body(job_context, 1);
            atomic_store_explicit(&finished, job, memory_order_release);
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
    if (!usable || !atomic_compare_exchange_strong(&taken, &free, 1)) {
        body(context, 0);
        body(context, 1);
        return;
    }
    job_body = body;
    job_context = context;
    unsigned long job = atomic_fetch_add(&posted, 1) + 1;
    if (atomic_load(&sleeping)) {
        pthread_mutex_lock(&lock);
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
    }
    body(context, 0);
    unsigned long expected = job - 1;
    if (atomic_compare_exchange_strong(&claimed, &expected, job)) {
        body(context, 1);  // the worker has not started it: no waiting
    } else {
        int spins = 0;
        while (atomic_load_explicit(&finished, memory_order_acquire) != job) {
            if (++spins < SPINS) {
                RELAX();
            } else {
                sched_yield();
            }
        }
    }
    atomic_store(&taken, 0);
}
