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

/* jid: j's ID as a NUL-terminated string (one of 4 static buffers). */
static const char *jid(const qjob *j, size_t *len)
{
    static q_idbuf ring[4];
    static int k;
    q_idbuf *b = &ring[k++ & 3];
    size_t n;
    const char *p = q_jid(j, b, &n);
    if (len) *len = n;
    return p;
}

/* refind: the job q finds under j's ID. */
static qjob *refind(queue *q, const qjob *j)
{
    size_t n;
    const char *id = jid(j, &n);
    return q_find_len(q, id, n);
}

/* order lists a state's IDs as "a,b,c". */
static const char *order(queue *q, int state)
{
    static char buf[4096];
    buf[0] = 0;
    for (qjob *j = q_first(q, state); j; j = q_next(j)) {
        if (buf[0]) strcat(buf, ",");
        strcat(buf, jid(j, NULL));
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
            if (j->state != s || refind(q, j) != j || j->prev != prev) return 0;
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
        assert_int_equal(sbuf_len(q_payload(j)), n);
        assert_memory_equal(q_payload(j), pl, (size_t)n);
        assert_int_equal(q_payload(j)[n], 0);
        size_t idlen;
        assert_string_equal(jid(j, &idlen), id);
        assert_int_equal(idlen, strlen(id));
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
    assert_int_equal(sbuf_len(q_payload(e)), 0);
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
                assert_ptr_equal(refind(q, x), x);
            assert_int_equal(n, q_len(q));
        }
    }
    /* the laggard was pushed out of the window into the ID table */
    qjob *l = NULL;
    for (qjob *x = q_first(q, QS_WAITING); x; x = q_next(x))
        if (x->seq == laggard) l = x;
    assert_non_null(l);
    if (gen[laggard]) assert_int_equal(l->inwin, 0);
    assert_ptr_equal(refind(q, l), l);
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
    q_retry(q, j, q_lease_until(j), NOW + 250, "lease expired", 13);
    assert_int_equal(b->state, QS_WAITING);
    assert_int_equal(b->lease, 2);              /* the last lease's token stays */
    assert_memory_equal(q_error(b), "lease expired", 13);
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
    assert_int_equal(q_dead_at(j), NOW + 60);
    assert_memory_equal(q_error(j), "boom", 4);
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
    qjob_ext e = q_ext_default;
    qjob j;
    memset(&j, 0, sizeof j);
    j.ext = &e;
    e.bkind = QB_FIXED;
    e.bbase = 250;
    j.attempt = 7;
    assert_int_equal(q_backoff(&j, 0), 250);
    e.bkind = QB_EXP;
    e.bbase = 100;
    long long want[] = {100, 200, 400, 800, 1600};
    for (int i = 0; i < 5; i++) {
        j.attempt = i + 1;
        assert_int_equal(q_backoff(&j, 0), want[i]);
    }
    e.bmax = 1000;
    j.attempt = 5;
    assert_int_equal(q_backoff(&j, 0), 1000);       /* capped */
    j.attempt = 1000000;                            /* no overflow, capped */
    assert_int_equal(q_backoff(&j, 0), 1000);
    e.bmax = 0;
    assert_int_equal(q_backoff(&j, 0), Q_BACKOFF_LIMIT);
    e.bbase = 0;
    assert_int_equal(q_backoff(&j, 123), 0);
    /* jitter: within [d/2, d] */
    e.bbase = 1000;
    e.bmax = 0;
    j.attempt = 1;
    e.jitter = 1;
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
    assert_memory_equal(q_error(dx), "err", 3);
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

/* fields_equal: every field two jobs have, alike (q_fields), with the
 * same ID, payload and error text. */
static void assert_same_job(const qjob *a, const qjob *b)
{
    qjob_fields fa, fb;
    memset(&fa, 0, sizeof fa);
    memset(&fb, 0, sizeof fb);
    q_fields(a, &fa);
    q_fields(b, &fb);
    assert_memory_equal(&fa, &fb, sizeof fa);
    size_t la, lb;
    const char *ia = jid(a, &la), *ib = jid(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ia, ib, la);
    assert_int_equal(sbuf_len(q_payload(a)), sbuf_len(q_payload(b)));
    assert_memory_equal(q_payload(a), q_payload(b), sbuf_len(q_payload(a)));
    assert_int_equal(q_error(a) != NULL, q_error(b) != NULL);
    if (q_error(a)) assert_string_equal(q_error(a), q_error(b));
}

/* Plain jobs have no side allocation; a job with any option but the
 * defaults has one, and every field round-trips through q_fields,
 * q_restore and q_dup in every state. */
static void test_side_allocation(void **st)
{
    queue *q = q_new();
    qjob *plain = push(q, "plain", 0, NOW);
    assert_null(plain->ext);
    assert_int_equal(q_opt(plain)->bkind, QB_EXP);
    assert_int_equal(q_opt(plain)->bbase, 1000);
    assert_int_equal(q_opt(plain)->bmax, 300000);
    assert_int_equal(q_deadline(plain), 0);
    assert_null(q_error(plain));
    size_t m0 = q_mem(q);
    /* each option alone brings the side allocation */
    for (int k = 0; k < 6; k++) {
        char id[8];
        snprintf(id, sizeof id, "o%d", k);
        qjob_opts o;
        q_opts_default(&o, NOW);
        if (k == 0) o.maxattempts = 3;
        if (k == 1) o.bkind = QB_FIXED;
        if (k == 2) o.jitter = 1;
        if (k == 3) o.bbase = 5;
        if (k == 4) o.bmax = 0;
        if (k == 5) o.deadline = NOW + 500;
        qjob *j = q_add(q, id, strlen(id), "x", 1, &o, NOW);
        assert_non_null(j->ext);
        assert_int_equal(q_opt(j)->maxattempts, o.maxattempts);
        assert_int_equal(q_opt(j)->bkind, o.bkind);
        assert_int_equal(q_opt(j)->jitter, o.jitter);
        assert_int_equal(q_opt(j)->bbase, o.bbase);
        assert_int_equal(q_opt(j)->bmax, o.bmax);
        assert_int_equal(q_deadline(j), o.deadline);
    }
    assert_true(q_mem(q) > m0);
    assert_ptr_equal(q_ttl_first(q), find(q, "o5"));
    /* a job with everything, in each state */
    qjob_opts o;
    q_opts_default(&o, NOW);
    o.priority = -7;
    o.maxattempts = 2;
    o.bkind = QB_FIXED;
    o.bbase = 40;
    o.bmax = 90;
    o.jitter = 1;
    o.deadline = NOW + 9000;
    o.enq = NOW - 3;
    qjob *w = q_add(q, "all-w", 5, "pw", 2, &o, NOW);
    qjob *l = q_add(q, "all-l", 5, "pl", 2, &o, NOW);
    q_lease(q, l, 77, q_token_next(q), NOW + 300);
    qjob *dd = q_add(q, "all-d", 5, "pd", 2, &o, NOW);
    q_lease(q, dd, 78, q_token_next(q), NOW + 300);
    q_bury(q, dd, NOW + 1, "boom", 4);
    o.due = NOW + 100;
    qjob *dl = q_add(q, "all-y", 5, "py", 2, &o, NOW);
    assert_int_equal(dl->state, QS_DELAYED);
    /* a plain job that failed: an error text brings a side allocation with the defaults */
    qjob *pf = push(q, "plain-failed", 3, NOW);
    q_lease(q, pf, 9, q_token_next(q), NOW + 10);
    q_retry(q, pf, NOW + 20, NOW, "oops", 4);
    assert_non_null(pf->ext);
    assert_int_equal(q_opt(pf)->bbase, 1000);
    assert_int_equal(q_opt(pf)->bmax, 300000);
    assert_int_equal(q_deadline(pf), 0);
    assert_int_equal(q_backoff(pf, 0), 1000);
    assert_true(indexes_sorted(q));

    queue *d = q_dup(q);
    const char *ids[] = {"plain", "o0", "o1", "o2", "o3", "o4", "o5", "all-w", "all-l", "all-d", "all-y", "plain-failed"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        qjob *a = find(q, ids[i]), *b = find(d, ids[i]);
        assert_non_null(a);
        assert_non_null(b);
        assert_same_job(a, b);
        assert_int_equal(a->ext == NULL, b->ext == NULL);   /* plain stays plain */
        /* and through q_restore from its fields, as a snapshot load does */
        queue *r = q_new();
        qjob_fields f;
        q_fields(a, &f);
        sbuf err = q_error(a);
        size_t idlen;
        const char *id = jid(a, &idlen);
        qjob *c = q_restore(r, &f, id, idlen, q_payload(a), sbuf_len(q_payload(a)), err, err ? sbuf_len(err) : 0);
        assert_same_job(a, c);
        assert_ptr_equal(refind(r, a), c);
        q_free(r);
    }
    for (int s = 0; s < QS_NSTATES; s++) assert_string_equal(order(q, s), order(d, s));
    assert_int_equal(q_mem(d), q_mem(q));
    assert_ptr_equal(q_ttl_first(d), find(d, "o5"));
    qjob *x = find(d, "all-l");
    assert_int_equal(q_lease_until(x), NOW + 300);
    assert_int_equal(x->consumer, 77);
    x = find(d, "all-d");
    assert_int_equal(q_dead_at(x), NOW + 1);
    assert_int_equal(q_lease_until(x), 0);
    assert_string_equal(q_error(x), "boom");
    q_free(d);

    /* removing jobs with side allocations frees them (ASan checks), and
     * q_mem counts a side allocation and its error text while they live */
    const char *gone[] = {"o0", "o1", "o2", "o3", "o4", "o5", "all-w", "all-l", "all-d", "all-y", "plain-failed"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) q_remove(q, find(q, gone[i]), QR_DELETED);
    assert_null(q_ttl_first(q));
    size_t m1 = q_mem(q);                         /* its tables have grown since m0 */
    qjob *t = q_add(q, "t", 1, "x", 1, &o, NOW);
    assert_true(q_mem(q) > m1);
    q_lease(q, t, 1, q_token_next(q), NOW + 1);
    q_retry(q, t, NOW, NOW, "a longer error text than before", 31);
    q_remove(q, t, QR_ACKED);
    assert_int_equal(q_mem(q), m1);
    (void)w;
    q_free(q);
}

/* The lease end and the time of death share one field: each reads 0
 * outside its state, through every transition. */
static void test_shared_until(void **st)
{
    queue *q = q_new();
    qjob_opts o;
    q_opts_default(&o, NOW);
    o.maxattempts = 2;
    qjob *j = q_add(q, "j", 1, "p", 1, &o, NOW);
    assert_int_equal(q_lease_until(j), 0);
    assert_int_equal(q_dead_at(j), 0);
    q_lease(q, j, 5, q_token_next(q), NOW + 100);
    assert_int_equal(q_lease_until(j), NOW + 100);
    assert_int_equal(q_dead_at(j), 0);
    assert_int_equal(q_next_event(q), NOW + 100);
    q_extend(q, j, NOW + 250);
    assert_int_equal(q_lease_until(j), NOW + 250);
    q_retry(q, j, NOW + 40, NOW, NULL, 0);             /* delayed: neither */
    assert_int_equal(j->state, QS_DELAYED);
    assert_int_equal(q_lease_until(j), 0);
    assert_int_equal(q_dead_at(j), 0);
    assert_int_equal(j->due, NOW + 40);
    q_promote(q, NOW + 40);
    q_lease(q, j, 6, q_token_next(q), NOW + 500);
    q_bury(q, j, NOW + 60, "x", 1);
    assert_int_equal(q_dead_at(j), NOW + 60);
    assert_int_equal(q_lease_until(j), 0);
    assert_int_equal(j->due, NOW + 40);                /* kept while dead */
    assert_int_equal(q_next_event(q), LLONG_MAX);      /* a dead job sets no timer */
    q_requeue(q, j, NOW + 70, NOW + 65);
    assert_int_equal(q_dead_at(j), 0);
    assert_int_equal(q_lease_until(j), 0);
    assert_int_equal(q_next_event(q), NOW + 70);
    /* a restored waiting job given a lease end or a death time keeps neither */
    qjob_fields f;
    q_fields(j, &f);
    f.state = QS_WAITING;
    f.seq = 99;
    f.lease_until = NOW + 5;
    f.dead_at = NOW + 6;
    qjob *r = q_restore(q, &f, "r", 1, "", 0, NULL, 0);
    assert_int_equal(q_lease_until(r), 0);
    assert_int_equal(q_dead_at(r), 0);
    f.state = QS_LEASED;
    f.seq = 100;
    qjob *rl = q_restore(q, &f, "rl", 2, "", 0, NULL, 0);
    assert_int_equal(q_lease_until(rl), NOW + 5);
    assert_int_equal(q_dead_at(rl), 0);
    f.state = QS_DEAD;
    f.seq = 101;
    qjob *rd = q_restore(q, &f, "rd", 2, "", 0, NULL, 0);
    assert_int_equal(q_lease_until(rd), 0);
    assert_int_equal(q_dead_at(rd), NOW + 6);
    assert_true(indexes_sorted(q));
    q_free(q);
}

/* A job whose ID is "<enq_ms>-<seq>" of its own fields stores no ID: it
 * is formatted on demand, found through the window, the ID table (after
 * leaving the window) and dup; anything not exactly that shape is stored. */
static void test_generated_ids_not_stored(void **st)
{
    queue *q = q_new(), *p = q_new();
    qjob_opts o;
    q_opts_default(&o, NOW);
    char id[64];
    snprintf(id, sizeof id, "%lld-1", NOW);
    qjob *g = q_add(q, id, strlen(id), "payload", 7, &o, NOW);
    assert_int_equal(g->genid, 1);
    assert_string_equal(jid(g, NULL), id);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), g);
    assert_int_equal(sbuf_len(q_payload(g)), 7);
    assert_memory_equal(q_payload(g), "payload", 8);
    /* the same ID enqueued at another time costs its bytes */
    o.enq = NOW - 1;
    qjob *s = q_add(p, id, strlen(id), "payload", 7, &o, NOW);
    o.enq = 0;
    assert_int_equal(s->genid, 0);
    assert_int_equal(s->inwin, 1);
    assert_true(q_mem(q) + 16 < q_mem(p));
    assert_ptr_equal(q_find_len(p, id, strlen(id)), s);
    /* near misses are not found and not derived */
    const char *miss[] = {"1000001-1", "999999-1", "01000000-1", "1000000-01", "1000000-2", "1000000-1x", "-1"};
    for (size_t i = 0; i < sizeof miss / sizeof *miss; i++) assert_null(q_find_len(q, miss[i], strlen(miss[i])));
    /* the right shape with another enqueue time, or with a leading zero: stored */
    o.enq = NOW - 5;
    snprintf(id, sizeof id, "%lld-2", NOW);
    qjob *e = q_add(q, id, strlen(id), "", 0, &o, NOW);
    assert_int_equal(e->genid, 0);
    assert_int_equal(e->inwin, 1);
    assert_string_equal(jid(e, NULL), id);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), e);
    o.enq = 0;
    snprintf(id, sizeof id, "0%lld-3", NOW);
    qjob *z = q_add(q, id, strlen(id), "", 0, &o, NOW);
    assert_int_equal(z->genid, 0);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), z);
    snprintf(id, sizeof id, "%lld-3", NOW);
    assert_null(q_find_len(q, id, strlen(id)));
    /* the largest times format and parse back */
    o.enq = LLONG_MAX;
    snprintf(id, sizeof id, "%lld-4", LLONG_MAX);
    qjob *big = q_add(q, id, strlen(id), "b", 1, &o, NOW);
    assert_int_equal(big->genid, 1);
    assert_string_equal(jid(big, NULL), id);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), big);
    o.enq = 0;
    /* no ID given: the queue derives "<enqueued-at>-<seq>" */
    uint64_t nseq = q_next_seq(q);
    qjob *n = q_add(q, NULL, 0, "n", 1, &o, NOW + 3);
    assert_int_equal(n->genid, 1);
    assert_int_equal(n->inwin, 1);
    snprintf(id, sizeof id, "%lld-%llu", NOW + 3, (unsigned long long)nseq);
    assert_string_equal(jid(n, NULL), id);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), n);
    /* ... and for a time it cannot write that way, stores what it made */
    o.enq = -5;
    nseq = q_next_seq(q);
    qjob *neg = q_add(q, NULL, 0, "n", 1, &o, NOW);
    assert_int_equal(neg->genid, 0);
    snprintf(id, sizeof id, "-5-%llu", (unsigned long long)nseq);
    assert_string_equal(jid(neg, NULL), id);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), neg);
    o.enq = 0;
    nseq = q_next_seq(q);
    qjob *zero = q_add(q, NULL, 0, "n", 1, &o, 0);
    assert_int_equal(zero->genid, 0);
    snprintf(id, sizeof id, "0-%llu", (unsigned long long)nseq);
    assert_string_equal(jid(zero, NULL), id);
    assert_ptr_equal(q_find_len(q, id, strlen(id)), zero);
    /* dup and restore keep them derived and findable, in the ID table */
    queue *d = q_dup(q);
    for (int st_ = 0; st_ < QS_NSTATES; st_++)
        for (qjob *x = q_first(q, st_); x; x = q_next(x)) {
            qjob *y = refind(d, x);
            assert_non_null(y);
            assert_int_equal(y->inwin, 0);
            assert_int_equal(y->genid, x->genid);
            assert_same_job(x, y);
        }
    q_free(d);
    qjob_fields f;
    q_fields(g, &f);
    f.seq = 77;
    f.enq_ms = 5;
    qjob *r = q_restore(p, &f, "5-77", 4, "", 0, NULL, 0);
    assert_int_equal(r->genid, 1);
    assert_ptr_equal(q_find_len(p, "5-77", 4), r);
    f.seq = 78;
    qjob *r2 = q_restore(p, &f, "6-78", 4, "", 0, NULL, 0);
    assert_int_equal(r2->genid, 0);
    assert_ptr_equal(q_find_len(p, "6-78", 4), r2);
    assert_null(q_find_len(p, "5-78", 4));
    q_free(q);
    q_free(p);
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
        cmocka_unit_test(test_side_allocation),
        cmocka_unit_test(test_shared_until),
        cmocka_unit_test(test_generated_ids_not_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
