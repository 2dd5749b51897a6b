/* queue_test.c — unit tests for broker/types/queue.c: ordering by priority
 * and due time, leases and their expiry, retries and the dead set, TTL,
 * backoff arithmetic, idempotent IDs, listing positions, dup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define NOW 1000000LL

static qjob *push(queue *q, const char *id, long long prio, long long due)
{
    qjob_opts o;
    q_opts_default(&o, NOW);
    o.priority = prio;
    o.due = due;
    return q_add(q, id, strlen(id), "p", 1, &o, NOW);
}

static qjob *find(queue *q, const char *id)
{
    sbuf k = sbuf_new(id, strlen(id));
    qjob *j = q_find(q, k);
    sbuf_free(k);
    return j;
}

/* order lists a state's IDs as "a,b,c". */
static const char *order(queue *q, int state)
{
    static char buf[4096];
    buf[0] = 0;
    for (qjob *j = q_first(q, state); j; j = q_next(j)) {
        if (buf[0]) strcat(buf, ",");
        strncat(buf, j->id, sbuf_len(j->id));
    }
    return buf;
}

/* indexes_sorted: every state's index in strictly increasing position
 * order (waiting: priority descending), each job found by its ID and
 * linked back to the job before it. */
static int indexes_sorted(queue *q)
{
    for (int s = 0; s < QS_NSTATES; s++) {
        const qjob *prev = NULL;
        for (qjob *j = q_first(q, s); j; prev = j, j = q_next(j)) {
            if (j->state != s || q_find(q, j->id) != j || j->prev != prev) return 0;
            if (!prev) continue;
            q_pos a, b;
            q_job_pos(prev, &a);
            q_job_pos(j, &b);
            int lt = s == QS_WAITING ? a.k0 > b.k0 : a.k0 < b.k0;
            if (a.k0 != b.k0) {
                if (!lt) return 0;
            } else if (a.k1 != b.k1) {
                if (a.k1 > b.k1) return 0;
            } else if (a.seq >= b.seq) {
                return 0;
            }
        }
    }
    return 1;
}

/* One allocation per job: ID and payload are views with the right bytes;
 * the ID table grows and shrinks and finds every job throughout. */
static void test_id_table_and_views(void **st)
{
    queue *q = q_new();
    char id[32], pl[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "job-%d", i);
        int n = snprintf(pl, sizeof pl, "payload %d", i * 7);
        qjob_opts o;
        q_opts_default(&o, NOW);
        q_add(q, id, strlen(id), pl, (size_t)n, &o, NOW);
    }
    assert_int_equal(q_len(q), 5000);
    size_t full = q_mem(q);
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "job-%d", i);
        qjob *j = q_find_len(q, id, strlen(id));
        assert_non_null(j);
        int n = snprintf(pl, sizeof pl, "payload %d", i * 7);
        assert_int_equal(sbuf_len(j->payload), n);
        assert_memory_equal(j->payload, pl, (size_t)n);
        assert_int_equal(j->payload[n], 0);
        assert_int_equal(sbuf_len(j->id), strlen(id));
        if (i % 10) q_remove(q, j, QR_ACKED);
    }
    assert_int_equal(q_len(q), 500);
    assert_true(q_mem(q) < full / 4);
    assert_null(q_find_len(q, "job-1", 5));
    assert_non_null(q_find_len(q, "job-10", 6));
    assert_true(indexes_sorted(q));
    /* empty ID and empty payload */
    qjob_opts o;
    q_opts_default(&o, NOW);
    qjob *e = q_add(q, "", 0, "", 0, &o, NOW);
    assert_ptr_equal(q_find_len(q, "", 0), e);
    assert_int_equal(sbuf_len(e->payload), 0);
    q_free(q);
}

/* Tokens: one per fetch, above every token a job holds, kept by dup and
 * restore; an explicit enqueue time is kept. */
static void test_lease_tokens(void **st)
{
    queue *q = q_new();
    qjob *a = push(q, "a", 0, NOW);
    qjob *b = push(q, "b", 0, NOW);
    uint64_t t = q_token_next(q);
    q_lease(q, a, 5, t, NOW + 100);
    q_lease(q, b, 5, t, NOW + 100);          /* one fetch: one token */
    assert_int_equal(a->lease, t);
    assert_int_equal(b->lease, t);
    assert_int_equal(q_token_next(q), t + 1);
    q_lease(q, push(q, "c", 0, NOW), 6, 40, NOW + 100);   /* replayed token */
    assert_int_equal(q_token_next(q), 41);
    queue *d = q_dup(q);
    assert_int_equal(q_token_next(d), 41);
    assert_int_equal(find(d, "a")->lease, t);
    assert_true(indexes_sorted(d));
    q_free(d);
    qjob_opts o;
    q_opts_default(&o, NOW);
    o.enq = NOW - 5000;
    assert_int_equal(q_add(q, "old", 3, "p", 1, &o, NOW)->enq_ms, NOW - 5000);
    q_free(q);
}

/* Generated IDs ("<ms>-<seq>" of the job's own seq) live in the seq
 * window, others in the ID table; both find every live job while jobs
 * come and go in any order, laggards move out of the window, and the
 * window shrinks back when the queue drains. */
static void test_seq_window(void **st)
{
    enum { N = 20000 };
    static char live[N + 1];
    static char gen[N + 1];     /* job with this seq has a generated ID */
    memset(live, 0, sizeof live);
    queue *q = q_new();
    qjob_opts o;
    q_opts_default(&o, NOW);
    char id[48];
    srand(7);
    uint64_t laggard = 0;
    for (int i = 0; i < N; i++) {
        uint64_t seq = q_next_seq(q);
        int kind = rand() % 10;
        if (kind == 0) snprintf(id, sizeof id, "p%d", i);                                 /* producer ID */
        else if (kind == 1) snprintf(id, sizeof id, "%lld-0%llu", NOW, (unsigned long long)seq); /* not canonical */
        else snprintf(id, sizeof id, "%lld-%llu", NOW, (unsigned long long)seq);
        qjob *j = q_add(q, id, strlen(id), "p", 1, &o, NOW);
        assert_int_equal(j->seq, seq);
        assert_int_equal(j->inwin, kind >= 2);
        live[seq] = 1;
        gen[seq] = kind >= 2;
        if (i == N / 2) laggard = seq;
        /* the oldest job acked (the usual case), except the laggard */
        if (rand() % 3 == 0) {
            qjob *h = q_first(q, QS_WAITING);
            if (h && h->seq == laggard) h = q_next(h);
            if (h) {
                live[h->seq] = 0;
                q_remove(q, h, QR_ACKED);
            }
        }
        /* acks out of order */
        if (i > 50 && rand() % 4) {
            uint64_t k = seq - 40 + (uint64_t)(rand() % 30);
            if (k != laggard && k < seq && live[k]) {
                qjob *x = q_first(q, QS_WAITING);
                for (; x && x->seq != k; x = q_next(x)) {}
                assert_non_null(x);
                q_remove(q, x, QR_ACKED);
                live[k] = 0;
            }
        }
        if (i % 1000 == 999) {
            size_t n = 0;
            for (qjob *x = q_first(q, QS_WAITING); x; x = q_next(x), n++)
                assert_ptr_equal(q_find(q, x->id), x);
            assert_int_equal(n, q_len(q));
        }
    }
    /* the laggard was pushed out of the window into the ID table */
    qjob *l = NULL;
    for (qjob *x = q_first(q, QS_WAITING); x; x = q_next(x))
        if (x->seq == laggard) l = x;
    assert_non_null(l);
    if (gen[laggard]) assert_int_equal(l->inwin, 0);
    assert_ptr_equal(q_find(q, l->id), l);
    /* a generated-looking ID that is not there: no false hit */
    snprintf(id, sizeof id, "%lld-%llu", NOW + 1, (unsigned long long)(q_next_seq(q) - 1));
    assert_null(q_find_len(q, id, strlen(id)));
    assert_null(q_find_len(q, "5-", 2));
    assert_null(q_find_len(q, "-5", 2));
    assert_null(q_find_len(q, "1-99999999999999999999999", 25));
    /* drain: memory goes back down */
    size_t big = q_mem(q);
    qjob *x;
    while ((x = q_first(q, QS_WAITING))) q_remove(q, x, QR_ACKED);
    assert_int_equal(q_len(q), 0);
    assert_true(q_mem(q) < big / 4);
    assert_true(q_mem(q) < 4096);
    /* and it works again from there */
    snprintf(id, sizeof id, "%lld-%llu", NOW, (unsigned long long)q_next_seq(q));
    qjob *y = q_add(q, id, strlen(id), "p", 1, &o, NOW);
    assert_int_equal(y->inwin, 1);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), y);
    q_free(q);
}

/* A seq jump (a restored or replayed NEXTSEQ) does not stretch the window. */
static void test_seq_window_jump(void **st)
{
    queue *q = q_new();
    qjob_opts o;
    q_opts_default(&o, NOW);
    char id[48];
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "1-%llu", (unsigned long long)q_next_seq(q));
        q_add(q, id, strlen(id), "p", 1, &o, NOW);
    }
    q_set_next_seq(q, 1000000000000ULL);
    snprintf(id, sizeof id, "1-%llu", (unsigned long long)q_next_seq(q));
    qjob *j = q_add(q, id, strlen(id), "p", 1, &o, NOW);
    assert_int_equal(j->inwin, 1);
    assert_true(q_mem(q) < 100000);
    for (int i = 1; i <= 100; i++) {
        snprintf(id, sizeof id, "1-%d", i);
        assert_non_null(q_find_len(q, id, strlen(id)));
    }
    assert_ptr_equal(q_find_len(q, id, strlen(id)), find(q, "1-100"));
    q_free(q);
}

static void test_empty(void **st)
{
    queue *q = q_new();
    assert_int_equal(q_len(q), 0);
    assert_null(q_first(q, QS_WAITING));
    assert_true(q_next_event(q) == LLONG_MAX);
    assert_true(q_oldest_waiting_due(q) == LLONG_MAX);
    assert_null(find(q, "x"));
    q_free(q);
}

static void test_priority_then_fifo(void **st)
{
    queue *q = q_new();
    push(q, "a", 0, NOW);
    push(q, "b", 5, NOW);
    push(q, "c", 0, NOW);
    push(q, "d", 5, NOW);
    push(q, "e", -3, NOW);
    push(q, "f", 0, NOW - 10);   /* became due earlier: ahead within its priority */
    assert_string_equal(order(q, QS_WAITING), "b,d,f,a,c,e");
    assert_int_equal(q_count(q, QS_WAITING), 6);
    assert_true(q_oldest_waiting_due(q) == NOW - 10);
    q_free(q);
}

static void test_extreme_priorities(void **st)
{
    queue *q = q_new();
    push(q, "lo", LLONG_MIN, NOW - 5);
    push(q, "hi", LLONG_MAX, NOW);
    push(q, "mid", 0, NOW - 1);
    assert_string_equal(order(q, QS_WAITING), "hi,mid,lo");
    assert_true(q_oldest_waiting_due(q) == NOW - 5);
    q_free(q);
}

static void test_delayed_promote(void **st)
{
    queue *q = q_new();
    push(q, "late", 0, NOW + 300);
    push(q, "soon", 0, NOW + 100);
    push(q, "now", 0, NOW);
    assert_string_equal(order(q, QS_DELAYED), "soon,late");
    assert_true(q_next_event(q) == NOW + 100);
    assert_int_equal(q_promote(q, NOW + 99), 0);
    assert_int_equal(q_promote(q, NOW + 100), 1);
    assert_string_equal(order(q, QS_WAITING), "now,soon");
    assert_true(q_next_event(q) == NOW + 300);
    assert_int_equal(q_promote(q, NOW + 1000), 1);
    assert_string_equal(order(q, QS_WAITING), "now,soon,late");
    assert_true(q_next_event(q) == LLONG_MAX);
    q_free(q);
}

static void test_lease_and_expiry(void **st)
{
    queue *q = q_new();
    qjob *a = push(q, "a", 0, NOW);
    qjob *b = push(q, "b", 0, NOW);
    q_lease(q, a, 7, q_token_next(q), NOW + 500);
    q_lease(q, b, 8, q_token_next(q), NOW + 200);
    assert_int_equal(a->attempt, 1);
    assert_int_equal(a->consumer, 7);
    assert_int_equal(a->lease, 1);
    assert_int_equal(b->lease, 2);
    assert_int_equal(q_token_next(q), 3);
    assert_string_equal(order(q, QS_LEASED), "b,a");
    assert_true(q_next_event(q) == NOW + 200);
    /* the expired lease: back to waiting, due at the lease end */
    qjob *j = q_first(q, QS_LEASED);
    assert_ptr_equal(j, b);
    q_retry(q, j, j->lease_until, NOW + 250, "lease expired", 13);
    assert_int_equal(b->state, QS_WAITING);
    assert_int_equal(b->lease, 2);              /* the last lease's token stays */
    assert_memory_equal(b->error, "lease expired", 13);
    q_lease(q, b, 9, q_token_next(q), NOW + 900);
    assert_int_equal(b->attempt, 2);
    q_extend(q, a, NOW + 1000);
    assert_string_equal(order(q, QS_LEASED), "b,a");
    assert_int_equal(q_stats(q)->delivered, 3);
    assert_int_equal(q_stats(q)->retried, 1);
    q_remove(q, a, QR_ACKED);
    assert_int_equal(q_stats(q)->acked, 1);
    assert_null(find(q, "a"));
    q_free(q);
}

static void test_dead_and_requeue(void **st)
{
    queue *q = q_new();
    qjob_opts o;
    q_opts_default(&o, NOW);
    o.maxattempts = 2;
    qjob *j = q_add(q, "j", 1, "x", 1, &o, NOW);
    q_lease(q, j, 1, q_token_next(q), NOW + 10);
    assert_false(q_exhausted(j));
    q_retry(q, j, NOW + 50, NOW, "e1", 2);
    assert_int_equal(j->state, QS_DELAYED);
    q_promote(q, NOW + 50);
    q_lease(q, j, 1, q_token_next(q), NOW + 100);
    assert_true(q_exhausted(j));
    q_bury(q, j, NOW + 60, "boom", 4);
    assert_int_equal(j->state, QS_DEAD);
    assert_int_equal(j->dead_at, NOW + 60);
    assert_memory_equal(j->error, "boom", 4);
    assert_int_equal(q_count(q, QS_DEAD), 1);
    assert_int_equal(q_stats(q)->deadlettered, 1);
    assert_true(q_next_event(q) == LLONG_MAX);
    q_requeue(q, j, NOW + 70, NOW + 70);
    assert_int_equal(j->state, QS_WAITING);
    assert_int_equal(j->attempt, 0);
    q_free(q);
}

static void test_ttl(void **st)
{
    queue *q = q_new();
    qjob_opts o;
    q_opts_default(&o, NOW);
    o.deadline = NOW + 30;
    qjob *a = q_add(q, "a", 1, "x", 1, &o, NOW);
    o.deadline = NOW + 10;
    o.due = NOW + 100;
    qjob *b = q_add(q, "b", 1, "x", 1, &o, NOW);
    o.deadline = 0;
    o.due = NOW;
    q_add(q, "c", 1, "x", 1, &o, NOW);
    assert_ptr_equal(q_ttl_first(q), b);
    assert_true(q_next_event(q) == NOW + 10);
    q_remove(q, b, QR_EXPIRED);
    assert_ptr_equal(q_ttl_first(q), a);
    q_lease(q, a, 3, q_token_next(q), NOW + 1000);
    assert_true(q_next_event(q) == NOW + 30);   /* the TTL comes before the lease end */
    q_bury(q, a, NOW + 5, NULL, 0);                /* a dead job no longer expires */
    assert_null(q_ttl_first(q));
    assert_int_equal(q_stats(q)->expired, 1);
    q_free(q);
}

static void test_backoff(void **st)
{
    qjob j;
    memset(&j, 0, sizeof j);
    j.bkind = QB_FIXED;
    j.bbase = 250;
    j.attempt = 7;
    assert_int_equal(q_backoff(&j, 0), 250);
    j.bkind = QB_EXP;
    j.bbase = 100;
    long long want[] = {100, 200, 400, 800, 1600};
    for (int i = 0; i < 5; i++) {
        j.attempt = i + 1;
        assert_int_equal(q_backoff(&j, 0), want[i]);
    }
    j.bmax = 1000;
    j.attempt = 5;
    assert_int_equal(q_backoff(&j, 0), 1000);       /* capped */
    j.attempt = 1000000;                            /* no overflow, capped */
    assert_int_equal(q_backoff(&j, 0), 1000);
    j.bmax = 0;
    assert_int_equal(q_backoff(&j, 0), Q_BACKOFF_LIMIT);
    j.bbase = 0;
    assert_int_equal(q_backoff(&j, 123), 0);
    /* jitter: within [d/2, d] */
    j.bbase = 1000;
    j.bmax = 0;
    j.attempt = 1;
    j.jitter = 1;
    for (uint64_t r = 0; r < 5000; r += 7) {
        long long d = q_backoff(&j, r * 2654435761u);
        assert_true(d >= 500 && d <= 1000);
    }
    assert_int_equal(q_backoff(&j, 0), 1000);
    assert_int_equal(q_backoff(&j, 500), 500);
}

static void test_idempotent_ids(void **st)
{
    queue *q = q_new();
    push(q, "same", 0, NOW);
    assert_non_null(find(q, "same"));
    /* the command layer checks q_find before q_add: a second enqueue of an
     * existing ID leaves the first job untouched */
    qjob *j = find(q, "same");
    assert_int_equal(j->seq, 1);
    assert_int_equal(q_len(q), 1);
    assert_int_equal(q_stats(q)->enqueued, 1);
    q_remove(q, j, QR_ACKED);
    push(q, "same", 0, NOW);                       /* gone: the ID may be used again */
    assert_int_equal(find(q, "same")->seq, 2);
    /* binary IDs */
    q_add(q, "a\0b", 3, "", 0, &(qjob_opts){.due = NOW}, NOW);
    sbuf k = sbuf_new("a\0b", 3);
    assert_non_null(q_find(q, k));
    sbuf_free(k);
    q_free(q);
}

static void test_seek_positions(void **st)
{
    queue *q = q_new();
    char id[16];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "j%02d", i);
        push(q, id, i % 3, NOW + (i % 5));
    }
    q_promote(q, NOW + 10);
    /* walking by positions visits every job once, in order */
    int seen = 0;
    qjob *j = q_first(q, QS_WAITING);
    qjob *prev = NULL;
    while (j) {
        q_pos p;
        q_job_pos(j, &p);
        assert_ptr_equal(q_seek(q, QS_WAITING, &p), j);
        if (prev) assert_true(prev->priority > j->priority ||
                              (prev->priority == j->priority && (prev->due < j->due ||
                              (prev->due == j->due && prev->seq < j->seq))));
        prev = j;
        j = q_next(j);
        seen++;
    }
    assert_int_equal(seen, 50);
    q_free(q);
}

static void test_dup_and_restore(void **st)
{
    queue *q = q_new();
    push(q, "w", 1, NOW);
    push(q, "d", 0, NOW + 100);
    qjob *l = push(q, "l", 0, NOW);
    q_lease(q, l, 4, q_token_next(q), NOW + 50);
    qjob *x = push(q, "x", 0, NOW);
    q_lease(q, x, 4, q_token_next(q), NOW + 50);
    q_bury(q, x, NOW, "err", 3);
    queue *d = q_dup(q);
    for (int s = 0; s < QS_NSTATES; s++) assert_string_equal(order(q, s), order(d, s));
    assert_int_equal(q_next_seq(d), q_next_seq(q));
    assert_memory_equal(q_stats(d), q_stats(q), sizeof(q_counters));
    qjob *dx = find(d, "x");
    assert_memory_equal(dx->error, "err", 3);
    assert_true(q_mem(d) > 0);
    q_free(q);
    q_free(d);
}

/* Random operations against a brute-force model of the fetch order. */
static void test_random_against_model(void **st)
{
    queue *q = q_new();
    srand(7);
    enum { N = 3000 };
    static int alive[N];
    memset(alive, 0, sizeof alive);
    char id[16];
    long long now = NOW;
    for (int round = 0; round < 20000; round++) {
        int k = rand() % N;
        snprintf(id, sizeof id, "%d", k);
        qjob *j = find(q, id);
        int op = rand() % 7;
        if (!j && op < 3) {
            push(q, id, rand() % 4, now + (rand() % 3 ? 0 : rand() % 50));
            alive[k] = 1;
        } else if (j && op == 0) {
            q_remove(q, j, QR_DELETED);
            alive[k] = 0;
        } else if (j && op == 1 && j->state == QS_WAITING) {
            q_lease(q, j, 1, q_token_next(q), now + rand() % 40);
        } else if (j && op == 2 && j->state == QS_LEASED) {
            q_retry(q, j, now + rand() % 20, now, NULL, 0);
        } else if (j && op == 4 && j->state == QS_LEASED) {
            q_extend(q, j, now + rand() % 60);
        } else if (j && op == 5 && j->state != QS_DEAD) {
            q_bury(q, j, now, "e", 1);
        } else if (j && op == 6 && j->state == QS_DEAD) {
            q_requeue(q, j, now + (rand() % 2 ? 0 : rand() % 30), now);
        }
        now += rand() % 3;
        q_promote(q, now);
        if (round % 97 == 0) {
            /* the waiting head is the max by (priority, -due, -seq) among waiting */
            qjob *best = NULL;
            size_t n = 0;
            for (int s = 0; s < QS_NSTATES; s++)
                for (qjob *x = q_first(q, s); x; x = q_next(x)) {
                    n++;
                    if (s != QS_WAITING) continue;
                    if (!best || x->priority > best->priority ||
                        (x->priority == best->priority && (x->due < best->due ||
                        (x->due == best->due && x->seq < best->seq))))
                        best = x;
                }
            assert_int_equal(n, q_len(q));
            assert_ptr_equal(best, q_first(q, QS_WAITING));
            assert_true(indexes_sorted(q));
        }
    }
    size_t live = 0;
    for (int i = 0; i < N; i++) live += alive[i];
    assert_int_equal(live, q_len(q));
    q_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_priority_then_fifo),
        cmocka_unit_test(test_extreme_priorities),
        cmocka_unit_test(test_delayed_promote),
        cmocka_unit_test(test_lease_and_expiry),
        cmocka_unit_test(test_dead_and_requeue),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_idempotent_ids),
        cmocka_unit_test(test_seek_positions),
        cmocka_unit_test(test_dup_and_restore),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_id_table_and_views),
        cmocka_unit_test(test_lease_tokens),
        cmocka_unit_test(test_seq_window),
        cmocka_unit_test(test_seq_window_jump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
