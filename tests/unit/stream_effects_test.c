/* stream_effects_test.c — the stream value type and the effects of the
 * stream commands, in an in-process server: XADD emits the ID it chose, an
 * approximate trim emits the exact trim done (so a replay with other block
 * budgets gives the same stream), a served XREAD emits nothing; the
 * snapshot rewrite (stream_obj_type.rewrite) recreates a stream exactly,
 * empty ones included, checked by running its commands into a fresh server
 * and comparing XINFO STREAM FULL.
 * (Replies against Redis: tests/integration/test_streams.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server.h"
#include "effect.h"
#include "inproc.h"
#include "blocking.h"
#include "stream_obj.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* new_server: each server gets a fresh directory, so none loads what an
 * earlier one saved. */
static server *new_server(void)
{
    char dir[] = "/tmp/rill-unit-stream-effects-XXXXXX";
    assert_non_null(mkdtemp(dir));
    return new_server_in(dir);
}

/* free_server frees s and removes its directory. */
static void free_server(server *s)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->cfg.dir);
    server_free(s);
    if (strncmp(cmd, "rm -rf '/tmp/rill-unit-stream-effects-", 38) == 0 && system(cmd) != 0) fail();
}

#define RUN(c, ...) runv(c, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                         (const char *[]){__VA_ARGS__})

static void effect_is(int i, int n, const char **want)
{
    assert_true(i < neffects);
    if (effects[i].argc != n) {
        for (int j = 0; j < effects[i].argc; j++) fprintf(stderr, "[%s] ", effects[i].argv[j]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(effects[i].argc, n);
    for (int j = 0; j < n; j++) assert_string_equal(effects[i].argv[j], want[j]);
}
#define EFFECT(i, ...) effect_is(i, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                                 (const char *[]){__VA_ARGS__})

/* replay runs recorded effects [from, neffects) on c (not recorded). */
static void replay(session *c, int from)
{
    int was = recording;
    int n = neffects;
    recording = 0;
    for (int i = from; i < n; i++) {
        const char *argv[64];
        assert_true(effects[i].argc <= 64);
        for (int j = 0; j < effects[i].argc; j++) argv[j] = effects[i].argv[j];
        const char *r = runv(c, effects[i].argc, argv);
        if (r[0] == '-') fail_msg("replaying %s %s %s: %s", argv[0], argv[1], argv[2], r);
    }
    recording = was;
}

/* strip_radix blanks the radix-tree-keys / -nodes values of an XINFO reply
 * (they count blocks, and a rebuilt stream has no tombstone-holed ones). */
static char *strip_radix(const char *raw)
{
    char *s = strdup(raw);
    const char *tags[] = {"radix-tree-keys\r\n:", "radix-tree-nodes\r\n:"};
    for (int t = 0; t < 2; t++) {
        char *p = strstr(s, tags[t]);
        assert_non_null(p);
        p += strlen(tags[t]);
        while (*p >= '0' && *p <= '9') *p++ = '#';
    }
    return s;
}

static void test_xadd_effects(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    recording = 1;
    const char *r = RUN(c, "XADD", "s", "*", "f", "v");
    char id[64];
    assert_int_equal(sscanf(r, "$%*d\r\n%63[0-9-]", id), 1);
    EFFECT(0, "XADD", "s", id, "f", "v");
    RUN(c, "XADD", "s", "NOMKSTREAM", "99999999999999-*", "a", "b", "c", "d");
    EFFECT(1, "XADD", "s", "99999999999999-0", "a", "b", "c", "d");
    RUN(c, "XADD", "s", "99999999999999-5", "a", "b");          /* explicit: its own argv */
    EFFECT(2, "XADD", "s", "99999999999999-5", "a", "b");
    RUN(c, "XADD", "s", "MAXLEN", "1", "99999999999999-6", "a", "b");   /* exact trim replays as is */
    EFFECT(3, "XADD", "s", "MAXLEN", "1", "99999999999999-6", "a", "b");
    RUN(c, "XADD", "s", "MAXLEN", "~", "1", "99999999999999-7", "a", "b");  /* no whole block removable */
    EFFECT(4, "XADD", "s", "99999999999999-7", "a", "b");
    RUN(c, "XADD", "nokey", "NOMKSTREAM", "*", "a", "b");       /* no change, no effect */
    RUN(c, "XADD", "s", "1-1", "a", "b");                        /* error, no effect */
    assert_int_equal(neffects, 5);
    rec_clear();
    recording = 0;
    session_free(c);
    free_server(s);
}

/* Approximate trims: emitted exactly, a replay with other budgets agrees. */
static void test_approx_trim_replays_exactly(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    recording = 1;
    char idbuf[32];
    for (int i = 1; i <= 1000; i++) {
        snprintf(idbuf, sizeof idbuf, "%d-1", i);
        RUN(c, "XADD", "s", "MAXLEN", "~", "250", idbuf, "f", "v");
    }
    RUN(c, "XTRIM", "s", "MINID", "~", "900");
    RUN(c, "XADD", "s", "MINID", "~", "950", "LIMIT", "100", "*", "f", "v");
    RUN(c, "XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "100");
    RUN(c, "XDEL", "s", "990-1");
    RUN(c, "XSETID", "s", "99999999999999-1", "ENTRIESADDED", "5000");
    const char *want_range = RUN(c, "XRANGE", "s", "-", "+");
    char *want = strdup(want_range);
    char *want_info = strip_radix(RUN(c, "XINFO", "STREAM", "s", "FULL", "COUNT", "0"));
    /* No effect keeps a "~" or LIMIT. */
    for (int i = 0; i < neffects; i++)
        for (int j = 0; j < effects[i].argc; j++) {
            assert_string_not_equal(effects[i].argv[j], "~");
            assert_string_not_equal(effects[i].argv[j], "LIMIT");
        }

    server *s2 = new_server();
    s2->cfg.stream_node_max_entries = 7;
    s2->cfg.stream_node_max_bytes = 0;
    session *c2 = session_new(s2, &test_ops, -1);
    replay(c2, 0);
    assert_string_equal(RUN(c2, "XRANGE", "s", "-", "+"), want);
    char *got_info = strip_radix(RUN(c2, "XINFO", "STREAM", "s", "FULL", "COUNT", "0"));
    assert_string_equal(got_info, want_info);
    free(want);
    free(want_info);
    free(got_info);
    rec_clear();
    recording = 0;
    session_free(c2);
    free_server(s2);
    session_free(c);
    free_server(s);
}

/* A served XREAD reads; the only effect is the XADD that fed it. */
static void test_served_xread_emits_nothing(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1), *w = session_new(s, &test_ops, -1);
    RUN(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
    assert_int_equal(block_count(s), 1);
    recording = 1;
    RUN(c, "XADD", "s", "1-1", "a", "b");
    assert_int_equal(block_count(s), 0);
    assert_int_equal(neffects, 1);
    EFFECT(0, "XADD", "s", "1-1", "a", "b");
    rec_clear();
    recording = 0;
    /* Freeing a blocked reader leaves nothing behind. */
    RUN(w, "XREAD", "BLOCK", "0", "STREAMS", "gone", "$");
    assert_int_equal(dict_size(s->dbs[0].blocking), 1);
    session_free(w);
    assert_int_equal(dict_size(s->dbs[0].blocking), 0);
    session_free(c);
    free_server(s);
}

/* ---- snapshot rewrite ------------------------------------------------- */

struct sink {
    session *c;
    int ncmds;
};

static int run_emit(void *priv, int argc, const char *const *argv, const size_t *lens)
{
    struct sink *k = priv;
    const char *a[64];
    char *copies[64];
    assert_true(argc <= 64);
    for (int i = 0; i < argc; i++) {       /* views: not NUL-terminated */
        copies[i] = strndup(argv[i], lens[i]);
        assert_int_equal(strlen(copies[i]), lens[i]);
        a[i] = copies[i];
    }
    const char *r = runv(k->c, argc, a);
    if (r[0] == '-') fail_msg("rewrite command %s failed: %s", argv[0], r);
    for (int i = 0; i < argc; i++) free(copies[i]);
    k->ncmds++;
    return 0;
}

/* A stream captured before the rewrite: the value and its XINFO STREAM FULL.
 * (A second server must be created only once the first is done with: the
 * servers of a process share the dict hash seed, reset by server_new.) */
struct captured {
    const char *key;
    obj *o;
    char *info;
    int strict_blocks;      /* compare radix counts too */
};

static void capture(session *c, struct captured *cap, const char *key, int strict_blocks)
{
    sbuf kb = sbuf_new(key, strlen(key));
    cap->o = db_lookup_read(c->srv, c->db, kb, LOOKUP_NOTOUCH);
    sbuf_free(kb);
    if (!cap->o) fail_msg("no key %s", key);
    assert_int_equal(cap->o->type, OBJ_STREAM);
    cap->key = key;
    cap->info = strdup(RUN(c, "XINFO", "STREAM", key, "FULL", "COUNT", "0"));
    cap->strict_blocks = strict_blocks;
}

/* rewrite_matches rewrites cap's stream into c2's emptied db and checks
 * XINFO STREAM FULL agrees. */
static void rewrite_matches(session *c2, struct captured *cap)
{
    RUN(c2, "FLUSHALL");
    struct sink k = {c2, 0};
    assert_int_equal(obj_types[OBJ_STREAM]->rewrite(cap->o, cap->key, strlen(cap->key), run_emit, &k), 0);
    assert_true(k.ncmds >= 2);
    const char *got = RUN(c2, "XINFO", "STREAM", cap->key, "FULL", "COUNT", "0");
    if (cap->strict_blocks) {
        assert_string_equal(got, cap->info);
    } else {
        char *x = strip_radix(got), *y = strip_radix(cap->info);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    free(cap->info);
}

static void test_rewrite_roundtrip(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    struct captured cap[6];
    char idbuf[32], vbuf[32];
    for (int i = 1; i <= 450; i++) {
        snprintf(idbuf, sizeof idbuf, "%d-%d", i, i % 3);
        snprintf(vbuf, sizeof vbuf, "value-%d", i);
        if (i % 5) RUN(c, "XADD", "s", idbuf, "f", vbuf, "g", "");
        else RUN(c, "XADD", "s", idbuf, "other", vbuf);
    }
    RUN(c, "XDEL", "s", "3-0", "100-1", "450-0");
    RUN(c, "XTRIM", "s", "MINID", "20");
    capture(c, &cap[0], "s", 0);
    /* a binary entry with an empty value */
    const char *argv[] = {"XADD", "b", "7-7", "bin\xff\x01ary", "", "k", "v"};
    assert_string_equal(runv(c, 7, argv), "$3\r\n7-7\r\n");
    capture(c, &cap[1], "b", 1);
    /* all entries deleted: an empty stream with its last ID */
    RUN(c, "XADD", "e", "5-5", "a", "b");
    RUN(c, "XADD", "e", "6-6", "a", "b");
    RUN(c, "XDEL", "e", "5-5", "6-6");
    capture(c, &cap[2], "e", 1);
    /* trimmed to nothing, and XSETID'd */
    RUN(c, "XADD", "t", "MAXLEN", "0", "9-9", "a", "b");
    RUN(c, "XSETID", "t", "100-0", "ENTRIESADDED", "42", "MAXDELETEDID", "50-0");
    capture(c, &cap[3], "t", 1);
    /* an empty stream whose last ID is 0-0 */
    RUN(c, "XADD", "z", "MAXLEN", "0", "0-1", "a", "b");
    RUN(c, "XSETID", "z", "0-0", "ENTRIESADDED", "0");
    capture(c, &cap[4], "z", 1);
    /* COPY gives the same stream, compactly */
    RUN(c, "COPY", "s", "s2");
    char *x = strip_radix(RUN(c, "XINFO", "STREAM", "s", "FULL", "COUNT", "0"));
    char *y = strip_radix(RUN(c, "XINFO", "STREAM", "s2", "FULL", "COUNT", "0"));
    assert_string_equal(x, y);
    free(x);
    free(y);
    capture(c, &cap[5], "s2", 1);

    server *s2 = new_server();
    session *c2 = session_new(s2, &test_ops, -1);
    for (int i = 0; i < 6; i++) rewrite_matches(c2, &cap[i]);
    session_free(c2);
    free_server(s2);
    session_free(c);
    free_server(s);
}

/* The emitter stopping (-1) stops the rewrite at once. */
static int fail_after_one(void *priv, int argc, const char *const *argv, const size_t *lens)
{
    int *n = priv;
    return (*n)++ ? -1 : 0;
}

static void test_rewrite_stops_on_error(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    RUN(c, "XADD", "s", "1-1", "a", "b");
    RUN(c, "XADD", "s", "2-1", "a", "b");
    RUN(c, "XADD", "s", "3-1", "a", "b");
    sbuf kb = sbuf_new("s", 1);
    obj *o = db_lookup_read(s, c->db, kb, LOOKUP_NOTOUCH);
    sbuf_free(kb);
    int n = 0;
    assert_int_equal(obj_types[OBJ_STREAM]->rewrite(o, "s", 1, fail_after_one, &n), -1);
    assert_int_equal(n, 2);
    assert_true(obj_mem(o) > 0);
    session_free(c);
    free_server(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xadd_effects),
        cmocka_unit_test(test_approx_trim_replays_exactly),
        cmocka_unit_test(test_served_xread_emits_nothing),
        cmocka_unit_test(test_rewrite_roundtrip),
        cmocka_unit_test(test_rewrite_stops_on_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
