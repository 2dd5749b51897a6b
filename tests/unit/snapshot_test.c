/* snapshot_test.c — the snapshot file (persist/snapshot.h): every type
 * written and loaded back exactly (with expiries, expired keys dropped),
 * a small snapshot cut at every byte offset and with every byte damaged
 * (always refused, nothing loaded), the trailer's key count, a type
 * without a rewrite refused loudly, the manifest's base line, and the
 * rewrite's manifest switch (aof_rewrite_prepare / _done / _failed) with a
 * restart.  (The forked child and real restarts: tests/integration/
 * test_snapshot.py and test_rewrite.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "inproc.h"
#include "snapshot.h"
#include "aof.h"
#include "aof_format.h"
#include "aof_internal.h"
#include "crc32c.h"
#include "zset.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rill-snap-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static session *client_of(server *s)
{
    session *c = session_new(s, &test_ops, -1);
    c->flags |= SESS_AUTHENTICATED;
    return c;
}

#define RUN(c, ...)                                                              \
    do {                                                                         \
        const char *av_[] = {__VA_ARGS__};                                       \
        const char *r_ = runv((c), (int)(sizeof av_ / sizeof av_[0]), av_);      \
        assert_true(r_[0] != '-');                                               \
    } while (0)

/* populate fills db 0 and db 2 of s with every type, batches and expiries. */
static void populate(server *s)
{
    session *c = client_of(s);
    char k[64], v[64], sc[64];
    RUN(c, "SET", "int", "12345");
    RUN(c, "SET", "neg", "-9000000000");
    RUN(c, "SET", "small", "hello world");
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    RUN(c, "SET", "raw", big);
    for (int i = 0; i < 200; i++) {
        snprintf(v, sizeof v, i % 3 ? "item-%d" : "%d", i);
        RUN(c, "RPUSH", "list", v);
    }
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof k, "f%d", i);
        snprintf(v, sizeof v, "v%d", i * 7);
        RUN(c, "HSET", "hash", k, v);
    }
    RUN(c, "HSET", "smallhash", "a", "1", "b", "2");
    for (int i = 0; i < 100; i++) {
        snprintf(v, sizeof v, "%d", i * 3);
        RUN(c, "SADD", "intset", v);
        snprintf(v, sizeof v, "m%d", i);
        RUN(c, "SADD", "set", v);
    }
    const char *scores[] = {"0.1", "-inf", "inf", "1e300", "3.141592653589793", "-0", "7", "2.5e-310"};
    for (int i = 0; i < 140; i++) {
        snprintf(k, sizeof k, "z%d", i);
        snprintf(sc, sizeof sc, "%s", i < 8 ? scores[i] : "1.0000000000000002");
        if (i >= 8) snprintf(sc, sizeof sc, "%.17g", i / 3.0);
        RUN(c, "ZADD", "zset", sc, k);
    }
    RUN(c, "ZADD", "smallz", "1", "a", "2", "b");
    RUN(c, "SET", "ttl", "v");
    RUN(c, "PEXPIREAT", "ttl", "4102444800000");   /* 2100 */
    RUN(c, "RPUSH", "ttllist", "a", "b");
    RUN(c, "PEXPIREAT", "ttllist", "4102444800123");
    RUN(c, "SELECT", "2");
    RUN(c, "SET", "int", "in db 2");
    RUN(c, "SADD", "s2", "x", "y");
    session_free(c);
}

/* canon describes one key: type, expiry, elements (sorted where the type
 * has no order), gathered from its rewrite. */
typedef struct canon {
    sbuf text;
    int type;
    int pos;                 /* elements seen in this key */
    char **elems;
    int nelems, cap;
} canon;

static int canon_emit(void *priv, int argc, const char *const *argv, const size_t *lens)
{
    canon *k = priv;
    int pair = k->type == OBJ_HASH || k->type == OBJ_ZSET;
    for (int i = 2; i < argc; i += pair ? 2 : 1) {
        sbuf e = sbuf_new(argv[i], lens[i]);
        if (pair) {
            e = sbuf_cat(e, "=", 1);
            e = sbuf_cat(e, argv[i + 1], lens[i + 1]);
        }
        if (k->nelems == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 16;
            k->elems = realloc(k->elems, (size_t)k->cap * sizeof *k->elems);
        }
        k->elems[k->nelems++] = e;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    sbuf x = *(sbuf const *)a, y = *(sbuf const *)b;
    size_t n = sbuf_len(x) < sbuf_len(y) ? sbuf_len(x) : sbuf_len(y);
    int r = memcmp(x, y, n);
    return r ? r : (sbuf_len(x) > sbuf_len(y)) - (sbuf_len(x) < sbuf_len(y));
}

/* describe: one line per key of every db, sorted, as one string. */
static sbuf describe(server *s)
{
    sbuf *lines = NULL;
    int n = 0;
    for (int d = 0; d < s->ndb; d++) {
        dict_iter it;
        dict_iter_init(&it, s->dbs[d].keys, 0);
        dict_entry *e;
        while ((e = dict_next(&it))) {
            const obj *o = e->v.val;
            canon k = {.type = o->type};
            assert_int_equal(obj_types[o->type]->rewrite(o, e->key, sbuf_len(e->key), canon_emit, &k), 0);
            if (o->type == OBJ_HASH || o->type == OBJ_SET) qsort(k.elems, (size_t)k.nelems, sizeof *k.elems, cmp_str);
            sbuf line = sbuf_catfmt(sbuf_empty(64), "%d %s %s ttl=%lld:", d, (const char *)e->key, obj_type_name(o),
                                    db_get_expire(&s->dbs[d], e->key));
            for (int i = 0; i < k.nelems; i++) {
                line = sbuf_cat(line, " ", 1);
                line = sbuf_cat(line, k.elems[i], sbuf_len(k.elems[i]));
                sbuf_free(k.elems[i]);
            }
            free(k.elems);
            lines = realloc(lines, (size_t)(n + 1) * sizeof *lines);
            lines[n++] = line;
        }
        dict_iter_done(&it);
    }
    qsort(lines, (size_t)n, sizeof *lines, cmp_str);
    sbuf all = sbuf_empty(1024);
    for (int i = 0; i < n; i++) {
        all = sbuf_cat(all, lines[i], sbuf_len(lines[i]));
        all = sbuf_cat(all, "\n", 1);
        sbuf_free(lines[i]);
    }
    free(lines);
    return all;
}

static void test_roundtrip_every_type(void **st)
{
    (void)st;
    make_tmpdir();
    server *s = new_server_in(tmpdir);
    populate(s);
    /* A key whose time has passed (written as it is, dropped at load). */
    session *c = client_of(s);
    RUN(c, "SET", "gone", "x");
    session_free(c);
    sbuf gone = sbuf_from_cstr("gone");
    db_set_expire(s, &s->dbs[0], gone, 1000);
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/dump.rill", tmpdir);
    snapshot_write_stats ws;
    assert_int_equal(snapshot_write_file(s, path, 0, &ws, err, sizeof err), 0);
    assert_int_equal(ws.keys, 16);
    db_delete(s, &s->dbs[0], gone);
    sbuf_free(gone);
    sbuf want = describe(s);

    server *s2 = new_server_in(tmpdir);
    snapshot_load_stats ls;
    assert_int_equal(snapshot_load(s2, path, &ls, err, sizeof err), 0);
    assert_int_equal(ls.keys_loaded, 15);
    assert_int_equal(ls.keys_expired, 1);
    sbuf got = describe(s2);
    assert_string_equal(got, want);
    /* A zset score survives to the last bit. */
    double sc = 0;
    sbuf zk = sbuf_from_cstr("zset");
    obj *z = dict_fetch(s2->dbs[0].keys, zk);
    sbuf_free(zk);
    assert_non_null(z);
    assert_int_equal(zs_score(z->ptr, "z4", 2, &sc), 1);
    assert_true(sc == 3.141592653589793);
    assert_int_equal(zs_score(z->ptr, "z7", 2, &sc), 1);
    assert_true(sc == 2.5e-310);

    /* The snapshot of the loaded copy is the same size (same commands). */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/again.rill", tmpdir);
    snapshot_write_stats ws2;
    assert_int_equal(snapshot_write_file(s2, path2, 0, &ws2, err, sizeof err), 0);
    assert_int_equal(ws2.keys, 15);
    assert_int_equal(snapshot_load(s2, "/nonexistent/x.rill", &ls, err, sizeof err), 1);
    sbuf_free(want);
    sbuf_free(got);
    server_free(s);
    server_free(s2);
    rm_rf(tmpdir);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)len + 1);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* load_into_fresh loads path into a new server: 0 and the key count, or -1
 * with no key loaded (never half a file). */
static int load_into_fresh(const char *path, long long *keys)
{
    server *s = new_server_in(tmpdir);
    snapshot_load_stats ls;
    char err[1024];
    int rc = snapshot_load(s, path, &ls, err, sizeof err);
    long long n = 0;
    for (int d = 0; d < s->ndb; d++) n += (long long)dict_size(s->dbs[d].keys);
    *keys = n;
    if (rc != 0) assert_non_null(strstr(err, "rill-check-log"));
    server_free(s);
    return rc;
}

static void test_damaged_everywhere(void **st)
{
    (void)st;
    make_tmpdir();
    server *s = new_server_in(tmpdir);
    session *c = client_of(s);
    RUN(c, "SET", "a", "1");
    RUN(c, "RPUSH", "l", "x", "y", "z");
    RUN(c, "HSET", "h", "f", "v");
    RUN(c, "PEXPIREAT", "h", "4102444800000");
    session_free(c);
    char path[512], bad[512], err[1024];
    snprintf(path, sizeof path, "%s/good.rill", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.rill", tmpdir);
    assert_int_equal(snapshot_write_file(s, path, 0, NULL, err, sizeof err), 0);
    server_free(s);
    size_t n;
    uint8_t *p = read_file(path, &n);
    snap_check chk;
    assert_int_equal(snapshot_verify(p, n, &chk), 0);
    assert_int_equal(chk.keys, 3);
    long long keys;
    assert_int_equal(load_into_fresh(path, &keys), 0);
    assert_int_equal(keys, 3);

    /* Cut at every offset: always refused. */
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(snapshot_verify(p, cut, &chk), -1);
        assert_true(chk.bad_off <= cut);
        if (cut % 5 == 0 || cut + 30 > n) {
            write_file(bad, p, cut);
            assert_int_equal(load_into_fresh(bad, &keys), -1);
            assert_int_equal(keys, 0);
        }
    }
    /* One bit, or a whole byte, changed anywhere: always refused. */
    for (size_t i = 0; i < n; i++) {
        for (int flip = 0; flip < 2; flip++) {
            uint8_t save = p[i];
            p[i] ^= flip ? 0xff : 0x01;
            assert_int_equal(snapshot_verify(p, n, &chk), -1);
            if (i % 3 == 0 && flip) {
                write_file(bad, p, n);
                assert_int_equal(load_into_fresh(bad, &keys), -1);
                assert_int_equal(keys, 0);
            }
            p[i] = save;
        }
    }
    /* Bytes after the trailer. */
    uint8_t *q = malloc(n + 8);
    memcpy(q, p, n);
    memset(q + n, 0, 8);
    assert_int_equal(snapshot_verify(q, n + 8, &chk), -1);
    free(q);
    free(p);
    rm_rf(tmpdir);
}

/* A well-formed file whose trailer counts a key too many: loaded, then
 * refused by the count check. */
static void test_trailer_key_count(void **st)
{
    (void)st;
    make_tmpdir();
    aof_buf b = {0};
    uint8_t hdr[SNAP_HEADER_SIZE] = "RILLSNAP\1\0\0\0\0\0\0\0";
    b.p = malloc(4096);
    b.cap = 4096;
    memcpy(b.p, hdr, sizeof hdr);
    b.len = sizeof hdr;
    const char *set[] = {"SET", "k", "v"};
    size_t setl[] = {3, 1, 1};
    aofrec_append(&b, 0, 0, 3, set, setl);
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", (unsigned)crc32c(b.p, b.len));
    const char *end[] = {"#end", "2", crc};
    size_t endl[] = {4, 1, 8};
    aofrec_append(&b, 0, 0, 3, end, endl);
    snap_check chk;
    assert_int_equal(snapshot_verify(b.p, b.len, &chk), 0);
    assert_int_equal(chk.keys, 2);
    char path[512];
    snprintf(path, sizeof path, "%s/count.rill", tmpdir);
    write_file(path, b.p, b.len);
    long long keys;
    server *s = new_server_in(tmpdir);
    snapshot_load_stats ls;
    char err[1024];
    assert_int_equal(snapshot_load(s, path, &ls, err, sizeof err), -1);
    assert_non_null(strstr(err, "holds 2 keys"));
    server_free(s);
    /* The right count loads. */
    b.len = 0;
    memcpy(b.p, hdr, sizeof hdr);
    b.len = sizeof hdr;
    aofrec_append(&b, 0, 0, 3, set, setl);
    snprintf(crc, sizeof crc, "%08x", (unsigned)crc32c(b.p, b.len));
    end[1] = "1";
    aofrec_append(&b, 0, 0, 3, end, endl);
    write_file(path, b.p, b.len);
    assert_int_equal(load_into_fresh(path, &keys), 0);
    assert_int_equal(keys, 1);
    /* Not a snapshot at all. */
    assert_int_equal(snapshot_verify((const uint8_t *)"REDIS0009", 9, &chk), -1);
    assert_non_null(strstr(chk.why, "magic"));
    free(b.p);
    rm_rf(tmpdir);
}

/* handmade builds a snapshot of the given version holding SET k<i> for
 * nkeys keys in db 0, and a trailer of keys_arg, the right CRC and the
 * extra arguments given. */
static size_t handmade(uint8_t **out, uint32_t version, int nkeys, const char *keys_arg, int nextra, ...)
{
    aof_buf b = {0};
    uint8_t hdr[SNAP_HEADER_SIZE] = "RILLSNAP\0\0\0\0\0\0\0\0";
    hdr[8] = (uint8_t)version;
    b.p = malloc(1 << 16);
    b.cap = 1 << 16;
    memcpy(b.p, hdr, sizeof hdr);
    b.len = sizeof hdr;
    for (int i = 0; i < nkeys; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        const char *set[] = {"SET", k, "v"};
        size_t setl[] = {3, strlen(k), 1};
        aofrec_append(&b, 0, 0, 3, set, setl);
    }
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", (unsigned)crc32c(b.p, b.len));
    const char *end[16] = {"#end", keys_arg, crc};
    size_t endl[16] = {4, strlen(keys_arg), 8};
    va_list ap;
    va_start(ap, nextra);
    for (int i = 0; i < nextra; i++) {
        end[3 + i] = va_arg(ap, const char *);
        endl[3 + i] = strlen(end[3 + i]);
    }
    va_end(ap);
    aofrec_append(&b, 0, 0, 3 + nextra, end, endl);
    *out = b.p;
    return b.len;
}

/* Version 2 trailers carry each database's key and expiry counts; the
 * loader sizes the tables from them.  Old (version 1) files still load;
 * inconsistent or unknown-version files are refused. */
static void test_trailer_db_sizes(void **st)
{
    (void)st;
    make_tmpdir();
    server *s = new_server_in(tmpdir);
    populate(s);
    long long want[3] = {0}, wantexp[3] = {0};
    for (int d = 0; d < 3; d++) {
        want[d] = (long long)dict_size(s->dbs[d].keys);
        wantexp[d] = (long long)dict_size(s->dbs[d].expires);
    }
    assert_true(want[0] > 0 && want[1] == 0 && want[2] > 0 && wantexp[0] > 0);
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/dump.rill", tmpdir);
    assert_int_equal(snapshot_write_file(s, path, 0, NULL, err, sizeof err), 0);
    server_free(s);

    /* The writer's trailer: "#end", keys, crc, "0:<keys>:<expires>", "2:...". */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *p = malloc(1 << 20);
    size_t n = fread(p, 1, 1 << 20, f);
    fclose(f);
    assert_int_equal(p[8], 2);
    snap_check chk;
    assert_int_equal(snapshot_verify(p, n, &chk), 0);
    size_t used;
    Rill__LogRecord *r = NULL;
    assert_int_equal(aofrec_decode(p + chk.trailer_off, n - chk.trailer_off, &used, &r), AOFREC_OK);
    assert_int_equal(r->n_argv, 5);
    char exp0[64], exp2[64];
    snprintf(exp0, sizeof exp0, "0:%lld:%lld", want[0], wantexp[0]);
    snprintf(exp2, sizeof exp2, "2:%lld:%lld", want[2], wantexp[2]);
    assert_int_equal(r->argv[3].len, strlen(exp0));
    assert_memory_equal(r->argv[3].data, exp0, strlen(exp0));
    assert_int_equal(r->argv[4].len, strlen(exp2));
    assert_memory_equal(r->argv[4].data, exp2, strlen(exp2));
    rill__log_record__free_unpacked(r, NULL);
    free(p);

    /* Loaded: the tables were sized up front (no rehash left running). */
    s = new_server_in(tmpdir);
    snapshot_load_stats ls;
    assert_int_equal(snapshot_load(s, path, &ls, err, sizeof err), 0);
    for (int d = 0; d < 3; d++) {
        assert_int_equal((long long)dict_size(s->dbs[d].keys), want[d]);
        assert_false(dict_is_rehashing(s->dbs[d].keys));
        if (want[d]) assert_true(dict_buckets(s->dbs[d].keys) >= (size_t)want[d]);
    }
    server_free(s);

    long long keys;
    snprintf(path, sizeof path, "%s/hand.rill", tmpdir);
    /* Version 1 (three-argument trailer) still loads. */
    n = handmade(&p, 1, 3, "3", 0);
    write_file(path, p, n);
    free(p);
    assert_int_equal(load_into_fresh(path, &keys), 0);
    assert_int_equal(keys, 3);
    /* Version 2 with sizes loads; without sizes (no database) only if empty. */
    n = handmade(&p, 2, 3, "3", 1, "0:3:0");
    write_file(path, p, n);
    free(p);
    assert_int_equal(load_into_fresh(path, &keys), 0);
    assert_int_equal(keys, 3);
    /* Refused before loading anything: sizes that don't add up, unsorted or
     * repeated databases, malformed sizes, expiries above keys, sizes in a
     * version 1 trailer, and versions this build does not know. */
    struct { uint32_t v; const char *a, *b; int nextra; } bad[] = {
        {2, "0:2:0", NULL, 1}, {2, "0:4:0", NULL, 1}, {2, NULL, NULL, 0},
        {2, "2:1:0", "0:2:0", 2}, {2, "0:1:0", "0:2:0", 2}, {2, "0:x:0", NULL, 1},
        {2, "0:3", NULL, 1}, {2, "-1:3:0", NULL, 1}, {2, "0:3:4", NULL, 1}, {2, "", NULL, 1},
        {1, "0:3:0", NULL, 1}, {3, "0:3:0", NULL, 1}, {0, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = handmade(&p, bad[i].v, 3, "3", bad[i].nextra, bad[i].a, bad[i].b);
        assert_int_equal(snapshot_verify(p, n, &chk), -1);
        write_file(path, p, n);
        free(p);
        assert_int_equal(load_into_fresh(path, &keys), -1);
        assert_int_equal(keys, 0);
    }
    n = handmade(&p, 3, 3, "3", 0);
    assert_int_equal(snapshot_verify(p, n, &chk), -1);
    assert_non_null(strstr(chk.why, "unsupported snapshot version 3"));
    free(p);
    /* A count far beyond the records is a lie: no table of that size is
     * made (it would abort), and the count check refuses the file. */
    n = handmade(&p, 2, 3, "999999999999", 1, "0:999999999999:999999999999");
    assert_int_equal(snapshot_verify(p, n, &chk), 0);
    write_file(path, p, n);
    free(p);
    s = new_server_in(tmpdir);
    assert_int_equal(snapshot_load(s, path, &ls, err, sizeof err), -1);
    assert_non_null(strstr(err, "holds 999999999999 keys"));
    assert_true(dict_buckets(s->dbs[0].keys) < 1024);
    server_free(s);
    rm_rf(tmpdir);
}

static void fake_free(obj *o) { (void)o; }
static const obj_type no_rewrite_type = {.name = "fake", .free = fake_free};

static void test_type_without_rewrite_fails(void **st)
{
    (void)st;
    make_tmpdir();
    server *s = new_server_in(tmpdir);
    const obj_type *old = obj_types[OBJ_TYPE_MAX - 1];
    obj_register_type(OBJ_TYPE_MAX - 1, &no_rewrite_type);
    sbuf odd = sbuf_from_cstr("odd");
    db_add(s, &s->dbs[0], odd, obj_new(OBJ_TYPE_MAX - 1, 0, NULL));
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/dump.rill", tmpdir);
    assert_int_equal(snapshot_write_file(s, path, 0, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot be written to a snapshot"));
    assert_int_equal(access(path, F_OK), -1);   /* nothing half-written left */
    db_delete(s, &s->dbs[0], odd);
    sbuf_free(odd);
    obj_register_type(OBJ_TYPE_MAX - 1, old);
    server_free(s);
    rm_rf(tmpdir);
}

static void test_manifest_base(void **st)
{
    (void)st;
    char err[256];
    aof_manifest m = {0};
    const char *good = "rill-manifest 1\nbase a.3.base.rill\nsegment a.3.log\nsegment a.4.log\n";
    assert_int_equal(aof_manifest_parse(&m, good, strlen(good), err, sizeof err), 0);
    assert_string_equal(m.base, "a.3.base.rill");
    assert_int_equal(m.nsegments, 2);
    aof_manifest_free(&m);
    const char *bad[] = {
        "rill-manifest 1\nsegment a.3.log\nbase a.3.base.rill\n",
        "rill-manifest 1\nbase a.base\nbase b.base\nsegment a.1.log\n",
        "rill-manifest 1\nbase ../x\nsegment a.1.log\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aof_manifest_parse(&m, bad[i], strlen(bad[i]), err, sizeof err), -1);
        assert_null(m.base);
    }
    make_tmpdir();
    m.base = strdup("x.2.base.rill");
    aof_manifest_add(&m, "x.2.log");
    assert_int_equal(aof_manifest_store(&m, tmpdir, "m", err, sizeof err), 0);
    aof_manifest_free(&m);
    assert_int_equal(aof_manifest_load(&m, tmpdir, "m", err, sizeof err), 0);
    assert_string_equal(m.base, "x.2.base.rill");
    assert_string_equal(m.segments[0], "x.2.log");
    aof_manifest_free(&m);
    assert_int_equal(snapshot_base_index("x", "x.12.base.rill"), 12);
    assert_int_equal(snapshot_base_index("x", "x.12.log"), 0);
    rm_rf(tmpdir);
}

/* aof_server: an in-process server with the append log on in tmpdir. */
static server *aof_server(void)
{
    server *s = new_server_in(tmpdir);
    s->cfg.appendonly = 1;
    char err[1024];
    if (aof_start(s, err, sizeof err) != 0) fail_msg("aof_start: %s", err);
    return s;
}

static int exists_in(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/appendonlydir/%s", tmpdir, name);
    return access(path, F_OK) == 0;
}

static void test_rewrite_switch(void **st)
{
    (void)st;
    make_tmpdir();
    server *s = aof_server();
    session *c = client_of(s);
    char k[32];
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof k, "k%d", i);
        RUN(c, "SET", k, "before");
    }
    RUN(c, "RPUSH", "l", "1", "2", "3");
    aof_before_sleep(s);

    /* A failed rewrite: the manifest still names everything. */
    char base[4096], err[1024];
    assert_int_equal(aof_rewrite_prepare(s, base, sizeof base, err, sizeof err), 0);
    aof_rewrite_failed(s);
    RUN(c, "SET", "k0", "after-failed");
    aof_before_sleep(s);

    /* A good one: the child's work done here, writes in between. */
    assert_int_equal(aof_rewrite_prepare(s, base, sizeof base, err, sizeof err), 0);
    assert_non_null(strstr(base, "appendonly.aof.3.base.rill"));
    assert_int_equal(snapshot_write_file(s, base, 0, NULL, err, sizeof err), 0);
    RUN(c, "SET", "k1", "during");
    RUN(c, "LPUSH", "l", "0");
    aof_before_sleep(s);
    snapshot_write_stats ws;
    (void)ws;
    struct stat sb;
    assert_int_equal(stat(base, &sb), 0);
    assert_int_equal(aof_rewrite_done(s, (long long)sb.st_size, err, sizeof err), 0);
    assert_string_equal(s->aof->man.base, "appendonly.aof.3.base.rill");
    assert_int_equal(s->aof->man.nsegments, 1);
    assert_false(exists_in("appendonly.aof.1.log"));
    assert_false(exists_in("appendonly.aof.2.log"));
    assert_true(exists_in("appendonly.aof.3.log"));
    RUN(c, "SET", "k2", "after");
    aof_before_sleep(s);
    sbuf want = describe(s);
    session_free(c);
    aof_stop(s);
    server_free(s);

    server *s2 = aof_server();
    sbuf got = describe(s2);
    assert_string_equal(got, want);
    sbuf k1 = sbuf_from_cstr("k1");
    obj *o = dict_fetch(s2->dbs[0].keys, k1);
    sbuf_free(k1);
    assert_non_null(o);
    sbuf_free(want);
    sbuf_free(got);
    aof_stop(s2);
    server_free(s2);
    rm_rf(tmpdir);
}

int main(void)
{
    (void)rec_clear;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_type),
        cmocka_unit_test(test_damaged_everywhere),
        cmocka_unit_test(test_trailer_key_count),
        cmocka_unit_test(test_trailer_db_sizes),
        cmocka_unit_test(test_type_without_rewrite_fails),
        cmocka_unit_test(test_manifest_base),
        cmocka_unit_test(test_rewrite_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
