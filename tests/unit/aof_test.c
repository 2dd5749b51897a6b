/* aof_test.c — the append log's format and loader: CRC-32C against known
 * vectors, record encode/decode, a small log cut at every byte offset
 * (torn tail) and with a bit flipped in every byte (damage), group
 * markers, the manifest, and aof_start replaying handmade segments into
 * an in-process server.  (Crash and restart of the real server:
 * tests/integration/test_aof.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "aof.h"
#include "aof_format.h"
#include "crc32c.h"
#include "server.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- CRC-32C ---------------------------------------------------------- */

static void check_crc(const void *p, size_t n, uint32_t want)
{
    assert_int_equal(crc32c(p, n), want);
    assert_int_equal(crc32c_sw(0, p, n), want);
    /* Any split gives the same value. */
    for (size_t k = 0; k <= n; k += n / 3 + 1)
        assert_int_equal(crc32c_extend(crc32c_extend(0, p, k), (const char *)p + k, n - k), want);
}

static void test_crc32c_vectors(void **st)
{
    (void)st;
    /* RFC 3720 B.4 and the usual check value. */
    uint8_t buf[32];
    check_crc("123456789", 9, 0xE3069283u);
    check_crc("", 0, 0);
    memset(buf, 0, sizeof buf);
    check_crc(buf, 32, 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    check_crc(buf, 32, 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    check_crc(buf, 32, 0x46DD794Eu);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i);
    check_crc(buf, 32, 0x113FDB5Cu);
    /* Unaligned starts and long inputs: hardware and table agree. */
    uint8_t big[1000];
    for (int i = 0; i < 1000; i++) big[i] = (uint8_t)(i * 7 + 3);
    for (int off = 0; off < 9; off++) assert_int_equal(crc32c(big + off, 1000 - off), crc32c_sw(0, big + off, 1000 - off));
}

/* ---- records ---------------------------------------------------------- */

static void add(aof_buf *b, uint32_t db, uint32_t group, int argc, ...)
{
    const char *argv[16];
    size_t lens[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++) {
        argv[i] = va_arg(ap, const char *);
        lens[i] = strlen(argv[i]);
    }
    va_end(ap);
    aofrec_append(b, db, group, argc, argv, lens);
}

static void test_record_roundtrip(void **st)
{
    (void)st;
    aof_buf b = {0};
    const char *argv[3] = {"SET", "k\0ey", "v\r\n"};
    size_t lens[3] = {3, 4, 3};
    aofrec_append(&b, 7, AOF_GROUP_MORE, 3, argv, lens);
    size_t used = 0;
    Rill__LogRecord *r;
    assert_int_equal(aofrec_decode(b.p, b.len, &used, &r), AOFREC_OK);
    assert_int_equal(used, b.len);
    assert_int_equal(r->db, 7);
    assert_int_equal(r->group, AOF_GROUP_MORE);
    assert_int_equal(r->n_argv, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r->argv[i].len, lens[i]);
        assert_memory_equal(r->argv[i].data, argv[i], lens[i]);
    }
    rill__log_record__free_unpacked(r, NULL);
    /* Layout: little-endian length, body, CRC of the body. */
    uint32_t len = (uint32_t)b.p[0] | (uint32_t)b.p[1] << 8 | (uint32_t)b.p[2] << 16 | (uint32_t)b.p[3] << 24;
    assert_int_equal(len + 8, b.len);
    uint32_t crc = crc32c(b.p + 4, len);
    assert_int_equal(b.p[4 + len], crc & 0xff);
    assert_int_equal(b.p[7 + len], crc >> 24);

    /* Every prefix is SHORT; damage is told apart. */
    for (size_t n = 0; n < b.len; n++) assert_int_equal(aofrec_decode(b.p, n, &used, NULL), AOFREC_SHORT);
    b.p[b.len - 1] ^= 1;
    assert_int_equal(aofrec_decode(b.p, b.len, &used, NULL), AOFREC_BAD_CRC);
    uint8_t zero[8] = {0};
    assert_int_equal(aofrec_decode(zero, 8, &used, NULL), AOFREC_BAD_LENGTH);
    /* A good checksum over bytes that are no LogRecord. */
    uint8_t junk[12] = {4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    uint32_t jc = crc32c(junk + 4, 4);
    for (int i = 0; i < 4; i++) junk[8 + i] = (uint8_t)(jc >> (8 * i));
    assert_int_equal(aofrec_decode(junk, 12, &used, NULL), AOFREC_BAD_BODY);
    aof_buf_free(&b);
}

/* ---- scanning ----------------------------------------------------------- */

/* A small log: single, group of three, single. Record offsets in offs[]. */
static size_t offs[8];
static int noffs;

static void small_log(aof_buf *b)
{
    noffs = 0;
    offs[noffs++] = b->len;
    add(b, 0, AOF_GROUP_NONE, 3, "SET", "a", "1");
    offs[noffs++] = b->len;
    add(b, 1, AOF_GROUP_BEGIN, 2, "INCR", "a");
    offs[noffs++] = b->len;
    add(b, 1, AOF_GROUP_MORE, 3, "SET", "b", "two");
    offs[noffs++] = b->len;
    add(b, 1, AOF_GROUP_END, 2, "DEL", "c");
    offs[noffs++] = b->len;
    add(b, 0, AOF_GROUP_NONE, 4, "SET", "d", "x", "KEEPTTL");
    offs[noffs] = b->len;
}

static int count_cb(void *priv, size_t off, const Rill__LogRecord *r)
{
    (*(int *)priv)++;
    return 0;
}

/* ---- the allocation-free decoder agrees with protobuf-c ----------------- */

/* frame wraps body[0..n) as a record with a correct length and CRC. */
static size_t frame(uint8_t *out, const uint8_t *body, size_t n)
{
    uint32_t c = crc32c(body, n);
    out[0] = (uint8_t)n;
    out[1] = (uint8_t)(n >> 8);
    out[2] = out[3] = 0;
    memcpy(out + 4, body, n);
    for (int i = 0; i < 4; i++) out[4 + n + i] = (uint8_t)(c >> (8 * i));
    return n + 8;
}

/* same_verdict: aofrec_view and aofrec_decode (protobuf-c) accept or
 * refuse the record alike, and read the same fields when they accept. */
static void same_verdict(const uint8_t *rec, size_t n, aofrec_views *vw, int *accepted)
{
    size_t u1 = 0, u2 = 0;
    Rill__LogRecord *pb = NULL, v;
    aofrec_status a = aofrec_decode(rec, n, &u1, &pb);
    aofrec_status b = aofrec_view(rec, n, 1, &u2, &v, vw);
    if (a != b) {
        fprintf(stderr, "decoders disagree (protobuf-c %d, ours %d) on:", a, b);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %02x", rec[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(a, b);
    if (a != AOFREC_OK) return;
    (*accepted)++;
    assert_int_equal(u1, u2);
    assert_int_equal(pb->db, v.db);
    assert_int_equal(pb->group, v.group);
    assert_int_equal(pb->n_argv, v.n_argv);
    for (size_t i = 0; i < v.n_argv; i++) {
        assert_int_equal(pb->argv[i].len, v.argv[i].len);
        assert_memory_equal(pb->argv[i].data, v.argv[i].data, v.argv[i].len);
    }
    rill__log_record__free_unpacked(pb, NULL);
}

static void test_view_matches_protobuf(void **st)
{
    (void)st;
    aofrec_views vw = {0};
    uint8_t rec[300];
    int accepted = 0;
    /* Handmade bodies: unknown fields of every wire type, fields in any
     * order, repeated scalars (last wins), long varints, wrong wire types,
     * field 0, groups, cut-short values. */
    static const struct { size_t n; uint8_t b[24]; } cases[] = {
        {5, {0x12, 0x03, 'S', 'E', 'T'}},
        {7, {0x08, 0x05, 0x12, 0x03, 'S', 'E', 'T'}},
        {9, {0x12, 0x03, 'S', 'E', 'T', 0x18, 0x01, 0x08, 0x02}},
        {11, {0x08, 0x01, 0x08, 0x09, 0x12, 0x03, 'S', 'E', 'T', 0x18, 0x03}},
        {7, {0x20, 0x7f, 0x12, 0x03, 'S', 'E', 'T'}},                                   /* field 4 varint */
        {14, {0x29, 1, 2, 3, 4, 5, 6, 7, 8, 0x12, 0x03, 'S', 'E', 'T'}},                /* field 5 fixed64 */
        {10, {0x35, 1, 2, 3, 4, 0x12, 0x02, 'G', 'O', 0}},                              /* field 6 fixed32 */
        {9, {0x3a, 0x02, 'x', 'y', 0x12, 0x02, 'G', 'O', 0}},                           /* field 7 bytes */
        {16, {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x12, 0x03, 'S', 'E', 'T'}},
        {17, {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x12, 0x03, 'S', 'E', 'T'}},
        {6, {0x08, 0x80, 0x80, 0x80, 0x80, 0x10}},                                       /* db 2^32: low bits */
        {8, {0x08, 0x80, 0x80, 0x80, 0x80, 0x10, 0x12, 0x00}},
        {2, {0x12, 0x00}},                                                               /* an empty argument */
        {7, {0x0a, 0x01, 'x', 0x12, 0x01, 'S', 0}},                                      /* db as bytes */
        {6, {0x10, 0x01, 0x12, 0x01, 'S', 0}},                                           /* argv as varint */
        {5, {0x1a, 0x00, 0x12, 0x01, 'S'}},                                              /* group as bytes */
        {5, {0x02, 0x00, 0x12, 0x01, 'S'}},                                              /* field 0 */
        {5, {0x0b, 0x0c, 0x12, 0x01, 'S'}},                                              /* group wire type */
        {5, {0x0e, 0x00, 0x12, 0x01, 'S'}},                                              /* wire type 6 */
        {4, {0x12, 0x05, 'S', 'E'}},                                                     /* cut short */
        {4, {0x12, 0x01, 'S', 0x08}},                                                    /* varint missing */
        {5, {0x12, 0x01, 'S', 0x18, 0x04}},                                              /* group 4 */
        {2, {0x18, 0x01}},                                                               /* no argv */
        {8, {0xfa, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x12, 0x00}},                          /* field 2^29-1 */
        {9, {0xfa, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x12, 0x00}},                    /* tag > 32 bits */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_verdict(rec, frame(rec, cases[i].b, cases[i].n), &vw, &accepted);
    assert_true(accepted >= 10);

    /* Random damage to real records (with the CRC fixed up, so the body
     * decoders are what is compared). */
    aof_buf b = {0};
    const char *argv[4] = {"SET", "key:000123", "some value", "PXAT"};
    size_t lens[4] = {3, 10, 10, 4};
    aofrec_append(&b, 3, AOF_GROUP_MORE, 4, argv, lens);
    size_t body = b.len - 8;
    uint8_t mut[64];
    unsigned seed = 12345;
    accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        memcpy(mut, b.p + 4, body);
        size_t n = body;
        int edits = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 3;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 16) % n;
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 3) {
            case 0: mut[at] = (uint8_t)(seed >> 8); break;
            case 1: mut[at] ^= (uint8_t)(1u << ((seed >> 4) & 7)); break;
            case 2: if (n > 1) n = at + 1; break;   /* cut */
            }
        }
        same_verdict(rec, frame(rec, mut, n), &vw, &accepted);
    }
    assert_true(accepted > 1000);   /* the comparison covered accepted records too */
    aof_buf_free(&b);
    aofrec_views_free(&vw);
}

static void test_scan_truncated_everywhere(void **st)
{
    (void)st;
    aof_buf b = {0};
    small_log(&b);
    for (size_t cut = 0; cut <= b.len; cut++) {
        aof_scan_result res;
        int seen = 0;
        aof_scan(b.p, cut, 1, count_cb, &seen, &res);
        /* The last whole record (or group) before the cut. */
        size_t want = 0;
        for (int i = 0; i <= noffs; i++)
            if (offs[i] <= cut && i != 2 && i != 3) want = offs[i];   /* 2, 3: inside the group */
        if (cut == want) {
            assert_int_equal(res.status, AOF_SCAN_OK);
        } else {
            assert_int_equal(res.status, AOF_SCAN_TORN);
        }
        assert_int_equal(res.good_end, want);
        /* Not the newest segment: the same cut is damage. */
        aof_scan(b.p, cut, 0, NULL, NULL, &res);
        assert_int_equal(res.status, cut == want ? AOF_SCAN_OK : AOF_SCAN_CORRUPT);
    }
    aof_buf_free(&b);
}

static void test_scan_bit_flips(void **st)
{
    (void)st;
    aof_buf b = {0};
    small_log(&b);
    uint8_t *copy = malloc(b.len);
    for (size_t pos = 0; pos < b.len; pos++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, b.p, b.len);
            copy[pos] ^= (uint8_t)(1u << bit);
            aof_scan_result res;
            aof_scan(copy, b.len, 1, NULL, NULL, &res);
            int in_last_len = pos >= offs[noffs - 1] && pos < offs[noffs - 1] + 4;
            if (in_last_len && res.status == AOF_SCAN_TORN) {
                /* A longer length in the very last record looks torn (documented). */
                assert_int_equal(res.good_end, offs[noffs - 1]);
                continue;
            }
            assert_int_equal(res.status, AOF_SCAN_CORRUPT);
            assert_true(res.bad_off <= pos);
            assert_true(res.good_end <= res.bad_off);
        }
    }
    free(copy);
    aof_buf_free(&b);
}

static void test_scan_zero_tail_and_groups(void **st)
{
    (void)st;
    aof_buf b = {0};
    small_log(&b);
    size_t n = b.len;
    uint8_t *z = calloc(1, n + 4096);
    memcpy(z, b.p, n);
    aof_scan_result res;
    /* Zeros after the last record: preallocated space, in any segment. */
    for (int last = 0; last <= 1; last++) {
        aof_scan(z, n + 4096, last, NULL, NULL, &res);
        assert_int_equal(res.status, AOF_SCAN_OK);
        assert_int_equal(res.good_end, n);
        assert_int_equal(res.padding, 4096);
        assert_int_equal(res.records, noffs);
    }
    aof_scan(z, n, 1, NULL, NULL, &res);
    assert_int_equal(res.padding, 0);

    /* A write into preallocated space whose first page was lost: zeros,
     * then the rest of the write (no complete record): torn in the newest
     * segment, damage in an older one. */
    memcpy(z + n + 100, "\x40\x00\x00\x00\x0a\x03SET", 9);
    aof_scan(z, n + 4096, 1, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_TORN);
    assert_int_equal(res.good_end, n);
    assert_int_equal(res.bad_off, n);
    aof_scan(z, n + 4096, 0, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_CORRUPT);
    memset(z + n, 0, 4096);

    /* ... and one whose last page was lost: the last record ends in zeros. */
    size_t last_off = offs[noffs - 1], rec_len = n - last_off;
    memset(z + n - 6, 0, 6);
    aof_scan(z, n + 4096, 1, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_TORN);
    assert_int_equal(res.good_end, last_off);
    aof_scan(z, n + 4096, 0, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_CORRUPT);
    /* A flipped bit in the last record is damage, not a torn write. */
    memcpy(z, b.p, n);
    z[last_off + rec_len / 2] ^= 0x10;
    aof_scan(z, n + 4096, 1, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_CORRUPT);
    assert_int_equal(res.bad_off, last_off);
    free(z);

    /* Zeros inside an open MULTI/EXEC group are not padding. */
    aof_buf og = {0};
    add(&og, 0, AOF_GROUP_BEGIN, 2, "INCR", "a");
    uint8_t *zg = calloc(1, og.len + 64);
    memcpy(zg, og.p, og.len);
    aof_scan(zg, og.len + 64, 1, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_TORN);
    assert_int_equal(res.good_end, 0);
    aof_scan(zg, og.len + 64, 0, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_CORRUPT);
    free(zg);
    aof_buf_free(&og);

    /* Markers out of sequence. */
    aof_buf g = {0};
    add(&g, 0, AOF_GROUP_BEGIN, 1, "A");
    add(&g, 0, AOF_GROUP_NONE, 1, "B");
    aof_scan(g.p, g.len, 1, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_CORRUPT);
    g.len = 0;
    add(&g, 0, AOF_GROUP_END, 1, "A");
    aof_scan(g.p, g.len, 1, NULL, NULL, &res);
    assert_int_equal(res.status, AOF_SCAN_CORRUPT);
    aof_buf_free(&g);
    aof_buf_free(&b);
}

/* ---- manifest ----------------------------------------------------------- */

static void test_manifest(void **st)
{
    (void)st;
    char err[256];
    aof_manifest m = {0};
    const char *good = "rill-manifest 1\nsegment a.1.log\n\nsegment a.2.log\n";
    assert_int_equal(aof_manifest_parse(&m, good, strlen(good), err, sizeof err), 0);
    assert_int_equal(m.nsegments, 2);
    assert_string_equal(m.segments[1], "a.2.log");
    aof_manifest_free(&m);
    const char *bad[] = {"", "redis\n", "rill-manifest 1\nsegment ../x\n", "rill-manifest 1\nfile x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aof_manifest_parse(&m, bad[i], strlen(bad[i]), err, sizeof err), -1);
        assert_int_equal(m.nsegments, 0);
    }
    char dir[] = "/tmp/rill-aof-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(aof_manifest_load(&m, dir, "m", err, sizeof err), 1);
    aof_manifest_add(&m, "x.1.log");
    aof_manifest_add(&m, "x.2.log");
    assert_int_equal(aof_manifest_store(&m, dir, "m", err, sizeof err), 0);
    aof_manifest_free(&m);
    assert_int_equal(aof_manifest_load(&m, dir, "m", err, sizeof err), 0);
    assert_int_equal(m.nsegments, 2);
    assert_string_equal(m.segments[0], "x.1.log");
    aof_manifest_free(&m);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- the loader, in an in-process server ---------------------------------- */

static char tdir[64];

static void write_file(const char *name, const void *p, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/appendonlydir/%s", tdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static long file_size(const char *name)
{
    char path[256];
    struct stat stt;
    snprintf(path, sizeof path, "%s/appendonlydir/%s", tdir, name);
    return stat(path, &stt) == 0 ? (long)stt.st_size : -1;
}

/* start_with builds a server over tdir holding the given segments; returns
 * aof_start's result (the server in *out, err in err). */
static int start_with(server **out, char *err, size_t errlen, const aof_buf *seg1, const aof_buf *seg2)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/appendonlydir", tdir, tdir);
    assert_int_equal(system(cmd), 0);
    const char *man2 = "rill-manifest 1\nsegment appendonly.aof.1.log\nsegment appendonly.aof.2.log\n";
    const char *man1 = "rill-manifest 1\nsegment appendonly.aof.1.log\n";
    write_file("appendonly.aof.manifest", seg2 ? man2 : man1, strlen(seg2 ? man2 : man1));
    write_file("appendonly.aof.1.log", seg1->p, seg1->len);
    if (seg2) write_file("appendonly.aof.2.log", seg2->p, seg2->len);
    config cfg;
    config_init(&cfg);
    free(cfg.dir);
    cfg.dir = strdup(tdir);
    cfg.port = 0;
    cfg.appendonly = 1;
    cfg.databases = 4;
    server *s = server_new(&cfg, err, errlen);
    assert_non_null(s);
    log_set_level(LL_NOTHING);
    *out = s;
    return aof_start(s, err, errlen);
}

static void test_loader(void **st)
{
    (void)st;
    snprintf(tdir, sizeof tdir, "/tmp/rill-aof-load-%d", (int)getpid());
    char err[1024];
    server *s;
    aof_buf a = {0}, b = {0};
    small_log(&a);
    add(&b, 2, AOF_GROUP_NONE, 3, "SET", "e", "5");

    /* Good: every record applied, in its db; the group too. */
    assert_int_equal(start_with(&s, err, sizeof err, &a, &b), 0);
    assert_int_equal(dict_size(s->dbs[0].keys), 2);   /* a, d */
    assert_int_equal(dict_size(s->dbs[1].keys), 2);   /* a, b (c never existed) */
    assert_int_equal(dict_size(s->dbs[2].keys), 1);
    server_free(s);

    /* A torn tail in the newest segment is cut (group included) and start-up goes on. */
    aof_buf t = {0};
    small_log(&t);
    t.len = offs[3] + 5;   /* inside the group's last record */
    assert_int_equal(start_with(&s, err, sizeof err, &b, &t), 0);
    assert_int_equal(file_size("appendonly.aof.2.log"), (long)offs[1]);
    assert_int_equal(dict_size(s->dbs[0].keys), 1);  /* the record before the group */
    assert_int_equal(dict_size(s->dbs[1].keys), 0);  /* the cut group is not applied */
    server_free(s);

    /* Damage in an older segment stops start-up, naming file and offset. */
    aof_buf d = {0};
    small_log(&d);
    d.p[offs[2] + 6] ^= 0x10;
    assert_int_equal(start_with(&s, err, sizeof err, &d, &b), -1);
    char want[64];
    snprintf(want, sizeof want, "at offset %zu", offs[2]);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "appendonly.aof.1.log"));
    assert_non_null(strstr(err, "rill-check-log --fix"));
    server_free(s);

    /* A cut-short record in an older segment is damage too. */
    aof_buf o = {0};
    small_log(&o);
    o.len -= 3;
    assert_int_equal(start_with(&s, err, sizeof err, &o, &b), -1);
    server_free(s);

    /* An unknown command stops start-up. */
    aof_buf u = {0};
    add(&u, 0, AOF_GROUP_NONE, 2, "NOSUCHCMD", "x");
    assert_int_equal(start_with(&s, err, sizeof err, &u, NULL), -1);
    assert_non_null(strstr(err, "unknown command"));
    server_free(s);

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    assert_int_equal(system(cmd), 0);
    aof_buf_free(&a);
    aof_buf_free(&b);
    aof_buf_free(&t);
    aof_buf_free(&d);
    aof_buf_free(&o);
    aof_buf_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_record_roundtrip),
        cmocka_unit_test(test_view_matches_protobuf),
        cmocka_unit_test(test_scan_truncated_everywhere),
        cmocka_unit_test(test_scan_bit_flips),
        cmocka_unit_test(test_scan_zero_tail_and_groups),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_loader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
