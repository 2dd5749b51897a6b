/* db_test.c — the keyspace's expiry inside an in-process server: the active
 * cycle's time budget, its cost when nothing is due, the DEL effects of
 * lazy and active expiry, RANDOMKEY over expired keys, lazy freeing, and
 * the deterministic effects of the key commands (cmd_keys.c).  (Replies
 * against Redis: tests/integration/test_keys.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server.h"
#include "effect.h"
#define INPROC_NO_RECORDER
#include "inproc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- an in-process server, a session, and an effect log --------------- */

/* The effect log: each effect as "db:argv0 argv1 ...|" (the first 16 KB). */

/* cpu_us: this thread's CPU time.  The budget tests time the calls with it,
 * not the wall clock, so a machine busy with other work (the test is
 * descheduled mid-call) cannot fail them; a call that ignored its budget
 * would still spend the CPU and fail. */
static long long cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static char elog[1 << 14];
static size_t elen;
static long neffects;

static void log_emit(void *priv, int dbid, int argc, sbuf *argv)
{
    neffects++;
    char one[256];
    size_t n = (size_t)snprintf(one, sizeof one, "%d:", dbid);
    for (int i = 0; i < argc && n < sizeof one; i++)
        n += (size_t)snprintf(one + n, sizeof one - n, "%s%s", i ? " " : "", argv[i]);
    if (n < sizeof one - 1) one[n++] = '|';
    if (n >= sizeof one) n = sizeof one - 1;
    if (elen + n < sizeof elog) {
        memcpy(elog + elen, one, n);
        elen += n;
        elog[elen] = '\0';
    }
}

static effect_sink sink = {.emit = log_emit};

static void elog_reset(void)
{
    elog[0] = '\0';
    elen = 0;
    neffects = 0;
}

static server *new_server(void)
{
    server *s = inproc_server("/tmp/rill-unit-db", &sink);
    server_update_time(s);
    elog_reset();
    return s;
}

/* run feeds one command (a NULL-terminated list of words) to c and returns
 * its reply. */
static const char *run(session *c, const char **cmd)
{
    int n = 0;
    while (cmd[n]) n++;
    return runv(c, n, cmd);
}

#define CMD(...) ((const char *[]){__VA_ARGS__, NULL})

/* add_keys adds n string keys "<prefix>:<i>", each expiring at when_ms
 * (-1: never), straight through the db API. */
static void add_keys(server *s, db *d, const char *prefix, long n, long long when_ms)
{
    char buf[64];
    for (long i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "%s:%ld", prefix, i);
        sbuf k = sbuf_new(buf, (size_t)len);
        db_add(s, d, k, obj_new_string("v", 1));
        if (when_ms >= 0) db_set_expire(s, d, k, when_ms);
        sbuf_free(k);
    }
}

/* ---- active expiry ------------------------------------------------------ */

/* A large backlog goes in slices that each keep to the budget (plus at most
 * one round), and the keys not due all stay. */
static void test_active_expire_keeps_budget(void **state)
{
    server *s = new_server();
    db *d = &s->dbs[1];
    long long now = mstime_now();
    add_keys(s, d, "due", 200000, now - 1000);
    add_keys(s, d, "later", 1000, now + 3600 * 1000);
    add_keys(s, d, "plain", 1000, -1);
    elog_reset();

    const long long budget = 2000;
    long long total = 0, worst = 0;
    int calls = 0;
    while (dict_size(d->expires) > 1000) {
        long long t = cpu_us();
        long long n = db_active_expire(s, budget);
        long long el = cpu_us() - t;
        if (el > worst) worst = el;
        if (calls == 0) assert_true(n > 0);
        total += n;
        assert_true(++calls < 100000);
    }
    /* One round is a few dozen deletions; allow generous slack for sanitizers
     * and a busy machine, but far below "ran until done". */
    printf("# 200000 due keys: %d slices of %lld us budget, worst %lld us\n", calls, budget, worst);
    assert_true(worst < budget + 100000);   /* slack for a loaded machine; no budget would take seconds */
    assert_true(calls > 1);
    assert_int_equal(total, 200000);
    assert_int_equal(dict_size(d->keys), 2000);
    assert_int_equal(s->stat.expiredkeys, 200000);
    assert_int_equal(neffects, 200000);
    assert_non_null(strstr(elog, "1:DEL due:"));      /* effects name the key's db */
    server_free(s);
}

/* Nothing due: a call looks at a handful of entries per db and returns long
 * before its budget, whatever the number of volatile keys. */
static void test_active_expire_idle_is_cheap(void **state)
{
    server *s = new_server();
    long long now = mstime_now();
    for (int i = 0; i < 4; i++) add_keys(s, &s->dbs[i], "far", 50000, now + 3600 * 1000);
    const long long budget = 25000;
    long long worst = 0;
    for (int i = 0; i < 50; i++) {
        long long t = cpu_us();
        assert_int_equal(db_active_expire(s, budget), 0);
        long long el = cpu_us() - t;
        if (el > worst) worst = el;
    }
    printf("# 200000 volatile keys, none due: worst call %lld us\n", worst);
    assert_true(worst < 3 * budget);   /* slack for a loaded machine (descheduled mid-call) */
    for (int i = 0; i < 4; i++) assert_int_equal(dict_size(s->dbs[i].keys), 50000);
    assert_int_equal(neffects, 0);
    server_free(s);
}

/* Keys due in several dbs all go; a partly stale db is drained too (rounds
 * continue while at least 10% of a round is due). */
static void test_active_expire_all_dbs(void **state)
{
    server *s = new_server();
    long long now = mstime_now();
    for (int i = 0; i < 4; i++) {
        add_keys(s, &s->dbs[i], "due", 3000, now - 1);
        add_keys(s, &s->dbs[i], "later", 3000, now + 3600 * 1000);
    }
    for (int i = 0; i < 5000 && s->stat.expiredkeys < 12000; i++) db_active_expire(s, 100000);
    assert_int_equal(s->stat.expiredkeys, 12000);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dict_size(s->dbs[i].keys), 3000);
        assert_true(s->dbs[i].avg_ttl > 3500 * 1000LL && s->dbs[i].avg_ttl <= 3600 * 1000LL);
    }
    server_free(s);
}

/* ---- lazy expiry, RANDOMKEY, lazy free ---------------------------------- */

static void test_lazy_expiry_emits_del(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    assert_string_equal(run(c, CMD("SET", "k", "v")), "+OK\r\n");
    assert_string_equal(run(c, CMD("PEXPIRE", "k", "50")), ":1\r\n");
    elog_reset();
    s->mstime += 100;
    assert_string_equal(run(c, CMD("GET", "k")), "$-1\r\n");
    assert_string_equal(elog, "0:DEL k|");
    assert_int_equal(s->stat.expiredkeys, 1);
    session_free(c);
    server_free(s);
}

static void test_randomkey_all_expired(void **state)
{
    server *s = new_server();
    db *d = &s->dbs[0];
    add_keys(s, d, "gone", 500, s->mstime - 10);
    /* Never an expired key: each pick that is due is deleted, until none is left. */
    assert_null(db_random_key(s, d));
    assert_int_equal(dict_size(d->keys), 0);
    assert_int_equal(neffects, 500);
    add_keys(s, d, "gone", 50, s->mstime - 10);
    add_keys(s, d, "live", 1, -1);
    const char *k = db_random_key(s, d);
    assert_non_null(k);
    assert_string_equal(k, "live:0");
    server_free(s);
}

static atomic_int freed;
static void fake_free(obj *o) { atomic_fetch_add(&freed, 1); }
static const obj_type fake_type = {.name = "fake", .free = fake_free};
#define FAKE_TYPE 12

/* UNLINK frees a collection off the loop thread; a string is freed at once. */
static void test_unlink_frees_in_background(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    obj_register_type(FAKE_TYPE, &fake_type);
    db *d = &s->dbs[0];
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", i);
        sbuf k = sbuf_from_cstr(name);
        db_add(s, d, k, obj_new(FAKE_TYPE, ENC_HASHTABLE, NULL));
        sbuf_free(k);
    }
    run(c, CMD("SET", "str", "v"));
    assert_string_equal(run(c, CMD("TYPE", "f0")), "+fake\r\n");
    assert_string_equal(run(c, CMD("UNLINK", "f0", "f1", "str", "nope")), ":3\r\n");
    assert_string_equal(run(c, CMD("EXISTS", "f0", "f1", "str", "f2")), ":1\r\n");
    for (int i = 0; i < 200 && atomic_load(&freed) < 2; i++) usleep(5000);
    assert_int_equal(atomic_load(&freed), 2);
    assert_string_equal(run(c, CMD("DEL", "f2")), ":1\r\n");     /* DEL frees here and now */
    assert_int_equal(atomic_load(&freed), 3);
    obj_register_type(FAKE_TYPE, NULL);
    session_free(c);
    server_free(s);
}

/* ---- effects of the key commands ---------------------------------------- */

static void test_expire_family_effects(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    run(c, CMD("SET", "k", "v"));
    s->mstime = 1700000000000LL;      /* a fixed command time */
    char want[256];

    elog_reset();
    assert_string_equal(run(c, CMD("EXPIRE", "k", "100")), ":1\r\n");
    assert_string_equal(elog, "0:PEXPIREAT k 1700000100000|");
    elog_reset();
    assert_string_equal(run(c, CMD("PEXPIRE", "k", "1500", "GT")), ":0\r\n");   /* refused: no effect */
    assert_string_equal(run(c, CMD("PEXPIRE", "k", "1500", "LT")), ":1\r\n");
    assert_string_equal(elog, "0:PEXPIREAT k 1700000001500|");
    elog_reset();
    assert_string_equal(run(c, CMD("EXPIREAT", "k", "1800000000", "XX")), ":1\r\n");
    assert_string_equal(run(c, CMD("PEXPIREAT", "k", "1800000000123")), ":1\r\n");
    assert_string_equal(elog, "0:PEXPIREAT k 1800000000000|0:PEXPIREAT k 1800000000123|");

    elog_reset();
    assert_string_equal(run(c, CMD("PERSIST", "k")), ":1\r\n");
    assert_string_equal(run(c, CMD("PERSIST", "k")), ":0\r\n");
    assert_string_equal(elog, "0:PERSIST k|");

    /* A time already past deletes the key and the effect is DEL. */
    elog_reset();
    assert_string_equal(run(c, CMD("EXPIRE", "k", "-5")), ":1\r\n");
    assert_string_equal(run(c, CMD("EXISTS", "k")), ":0\r\n");
    run(c, CMD("SET", "k", "v"));
    assert_string_equal(run(c, CMD("PEXPIREAT", "k", "1700000000000")), ":1\r\n");   /* == now: past */
    snprintf(want, sizeof want, "0:DEL k|0:SET k v|0:DEL k|");
    assert_string_equal(elog, want);

    /* Nothing changed: no effect. */
    elog_reset();
    run(c, CMD("EXPIRE", "nope", "10"));
    run(c, CMD("DEL", "nope"));
    run(c, CMD("TTL", "nope"));
    run(c, CMD("EXPIRE", "k", "10", "FOO"));
    assert_string_equal(elog, "");
    session_free(c);
    server_free(s);
}

static void test_key_command_effects(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    run(c, CMD("SET", "a", "1"));
    run(c, CMD("SET", "b", "2"));
    elog_reset();
    assert_string_equal(run(c, CMD("RENAME", "a", "x")), "+OK\r\n");
    assert_string_equal(run(c, CMD("RENAMENX", "x", "b")), ":0\r\n");
    assert_string_equal(run(c, CMD("COPY", "x", "y", "DB", "2")), ":1\r\n");
    assert_string_equal(run(c, CMD("MOVE", "b", "3")), ":1\r\n");
    assert_string_equal(run(c, CMD("TOUCH", "x", "y")), ":1\r\n");
    assert_string_equal(run(c, CMD("DEL", "x", "x", "zz")), ":1\r\n");
    assert_string_equal(run(c, CMD("UNLINK", "x")), ":0\r\n");
    assert_string_equal(elog, "0:RENAME a x|0:COPY x y DB 2|0:MOVE b 3|0:DEL x x zz|");
    /* The copy carries its own (unshared) value and the moved key arrived. */
    assert_int_equal(dict_size(s->dbs[2].keys), 1);
    assert_int_equal(dict_size(s->dbs[3].keys), 1);
    assert_int_equal(dict_size(s->dbs[0].keys), 0);
    session_free(c);
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_expire_keeps_budget),
        cmocka_unit_test(test_active_expire_idle_is_cheap),
        cmocka_unit_test(test_active_expire_all_dbs),
        cmocka_unit_test(test_lazy_expiry_emits_del),
        cmocka_unit_test(test_randomkey_all_expired),
        cmocka_unit_test(test_unlink_frees_in_background),
        cmocka_unit_test(test_expire_family_effects),
        cmocka_unit_test(test_key_command_effects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
