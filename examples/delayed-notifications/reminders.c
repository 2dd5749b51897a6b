/* reminders.c — reminders delivered at their due time, over Rill's job queue.
 *
 *   reminders [-u URL] [-w workers]
 *
 * Schedules a handful of reminders with QPUSH ... DELAY ms (the server keeps
 * them in its delayed set and arms one timer for the earliest; no client
 * polls), then runs worker loops (librill's rill_worker_run: QFETCH BLOCK,
 * handler, QACK) that print each reminder as it arrives with how late it is
 * against its due time.  One reminder's first delivery "fails" (the phone
 * is off) and is retried 200 ms later with QNACK DELAY.
 */
#include <rill/rill.h>
#include <rill/rill_helpers.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long t0;
static const char *url = "tcp://127.0.0.1:7379";
static volatile int stop;
static int delivered, total;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* payload: "<due unix ms>|<text>" */
static int remind(const rill_job *job, char *error, size_t errlen, void *arg)
{
    int worker = (int)(long)arg;
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)job->payload_len, job->payload);
    char *bar = strchr(buf, '|');
    if (!bar) return RILL_JOB_ACK;
    *bar = 0;
    long long due = atoll(buf), now = now_ms();
    if (strstr(bar + 1, "dentist") && job->attempt == 1) {
        printf("[+%5lld ms] worker %d: \"%s\" could not be delivered (phone off), retry in 200 ms\n", now - t0, worker,
               bar + 1);
        snprintf(error, errlen, "phone off");
        return RILL_JOB_RETRY;
    }
    printf("[+%5lld ms] worker %d: \"%s\" (due +%lld ms, attempt %lld, %lld ms late)\n", now - t0, worker, bar + 1,
           due - t0, job->attempt, now - due);
    fflush(stdout);
    pthread_mutex_lock(&mu);
    if (++delivered == total) stop = 1;
    pthread_mutex_unlock(&mu);
    return RILL_JOB_ACK;
}

static void *worker_main(void *arg)
{
    rill_client *c;
    if (rill_connect(url, 2000, &c) != RILL_OK) {
        fprintf(stderr, "reminders: cannot connect to %s\n", url);
        stop = 1;
        return NULL;
    }
    const char *queues[] = {"reminders"};
    rill_worker_opts o = {.queues = queues, .nqueues = 1, .block_ms = 100, .lease_ms = 5000, .retry_delay_ms = 200,
                          .stop = &stop};
    int rc = rill_worker_run(c, &o, remind, arg);
    if (rc != RILL_OK) fprintf(stderr, "reminders: worker: %s: %s\n", rill_strerror(rc), rill_errstr(c));
    rill_close(c);
    return NULL;
}

int main(int argc, char **argv)
{
    int workers = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-u")) url = argv[i + 1];
        else if (!strcmp(argv[i], "-w")) workers = atoi(argv[i + 1]);
    }
    if (workers < 1 || workers > 64) workers = 2;
    static const struct { int delay_ms; const char *text; } plan[] = {
        {1500, "stand-up meeting"}, {300, "take the pizza out"}, {900, "call the dentist"},
        {600, "water the plants"},  {1200, "stretch"},            {0, "welcome!"},
    };
    total = (int)(sizeof plan / sizeof *plan);
    rill_client *c;
    if (rill_connect(url, 2000, &c) != RILL_OK) {
        fprintf(stderr, "reminders: cannot connect to %s\n", url);
        return 1;
    }
    rill_reply *r;
    rill_commandf(c, &r, "DEL reminders");
    rill_reply_free(r);
    t0 = now_ms();
    for (int i = 0; i < total; i++) {
        char payload[128];
        snprintf(payload, sizeof payload, "%lld|%s", t0 + plan[i].delay_ms, plan[i].text);
        if (rill_commandf(c, &r, "QPUSH reminders %s DELAY %d", payload, plan[i].delay_ms) != RILL_OK ||
            rill_reply_type(r) == RILL_REPLY_ERROR) {
            fprintf(stderr, "reminders: QPUSH: %s\n", r ? rill_reply_string(r, NULL) : rill_errstr(c));
            return 1;
        }
        printf("scheduled \"%s\" in %d ms (job %s)\n", plan[i].text, plan[i].delay_ms, rill_reply_string(r, NULL));
        rill_reply_free(r);
    }
    rill_close(c);
    pthread_t th[64];
    for (long i = 0; i < workers; i++) pthread_create(&th[i], NULL, worker_main, (void *)(i + 1));
    for (int i = 0; i < workers; i++) pthread_join(th[i], NULL);
    printf("all %d reminders delivered\n", delivered);
    return delivered == total ? 0 : 1;
}
