/* native_codec_test.c — native Request decoding (every malformed case) and the Reply tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "native_codec.h"
#include "server.h"
#include "session.h"
#include "reply.h"

/* pack_request: a well-formed Request made by protobuf-c itself. */
static uint8_t *pack_request(uint64_t id, int argc, const char **argv, size_t *len)
{
    ProtobufCBinaryData args[16];
    for (int i = 0; i < argc; i++) {
        args[i].data = (uint8_t *)argv[i];
        args[i].len = strlen(argv[i]);
    }
    Rill__Request r = RILL__REQUEST__INIT;
    r.id = id;
    r.n_argv = (size_t)argc;
    r.argv = args;
    *len = rill__request__get_packed_size(&r);
    uint8_t *buf = malloc(*len + 1);
    rill__request__pack(&r, buf);
    return buf;
}

static int decode(const void *p, size_t n, size_t max, uint64_t *id, argv_t *a)
{
    argv_init(a);
    return native_decode_request(p, n, max, id, a);
}

static void test_valid(void **state)
{
    const char *argv[] = {"SET", "key", "value"};
    size_t n;
    uint8_t *buf = pack_request(42, 3, argv, &n);
    uint64_t id;
    argv_t a;
    assert_int_equal(decode(buf, n, 0, &id, &a), NATIVE_OK);
    assert_int_equal(id, 42);
    assert_int_equal(a.argc, 3);
    assert_string_equal(a.argv[0], "SET");
    assert_int_equal(sbuf_len(a.argv[2]), 5);
    assert_memory_equal(a.argv[2], "value", 5);
    argv_free(&a);
    free(buf);
}

/* Batches: entries listed in order; argv + batch, wrong wire type, too many. */
static void test_batch(void **state)
{
    /* {id 7, batch [{id 8, argv "PING"}, {id 9, argv "GET","k"}]} */
    const uint8_t body[] = {0x08, 7, 0x1a, 8, 0x08, 8, 0x12, 4, 'P', 'I', 'N', 'G',
                            0x1a, 10, 0x08, 9, 0x12, 3, 'G', 'E', 'T', 0x12, 1, 'k'};
    uint64_t id;
    argv_t a;
    assert_int_equal(decode(body, sizeof body, 0, &id, &a), NATIVE_BATCH);
    assert_int_equal(id, 7);
    assert_int_equal(a.argc, 0);
    native_span sp[2];
    assert_int_equal(native_batch_entries(body, sizeof body, NULL, 0), 2);
    assert_int_equal(native_batch_entries(body, sizeof body, sp, 2), 2);
    assert_int_equal(native_decode_request(body + sp[1].off, sp[1].len, 0, &id, &a), NATIVE_OK);
    assert_int_equal(id, 9);
    assert_int_equal(a.argc, 2);
    assert_string_equal(a.argv[1], "k");
    argv_free(&a);

    const uint8_t mixed[] = {0x12, 1, 'X', 0x1a, 2, 0x08, 1};
    assert_int_equal(decode(mixed, sizeof mixed, 0, &id, &a), NATIVE_EMIXED);
    argv_free(&a);
    const uint8_t varint3[] = {0x18, 1};
    assert_int_equal(decode(varint3, sizeof varint3, 0, &id, &a), NATIVE_EPARSE);
    argv_free(&a);
    const uint8_t truncated[] = {0x1a, 5, 0x08, 1};
    assert_int_equal(decode(truncated, sizeof truncated, 0, &id, &a), NATIVE_EPARSE);
    argv_free(&a);

    size_t n = (NATIVE_MAX_BATCH + 1) * 2;
    uint8_t *many = calloc(n, 1);
    for (size_t i = 0; i < n; i += 2) many[i] = 0x1a;   /* empty entries */
    assert_int_equal(decode(many, n, 0, &id, &a), NATIVE_ETOOMANYBATCH);
    assert_int_equal(decode(many, n - 2, 0, &id, &a), NATIVE_BATCH);
    argv_free(&a);
    free(many);
}

static void test_batch_reply(void **state)
{
    Rill__Value ok = RILL__VALUE__INIT, num = RILL__VALUE__INIT;
    ok.kind = RILL__VALUE__KIND__SIMPLE;
    ok.str.data = (uint8_t *)"OK";
    ok.str.len = 2;
    num.kind = RILL__VALUE__KIND__INTEGER;
    num.integer = 300;
    uint64_t ids[] = {5, 200};
    Rill__Value *vals[] = {&ok, &num};
    size_t n = native_batch_reply_size(1000, 2, ids, vals);
    uint8_t *buf = malloc(n);
    assert_int_equal(native_encode_batch_reply(1000, 2, ids, vals, buf), n);
    Rill__Reply *r = rill__reply__unpack(NULL, n, buf);
    assert_non_null(r);
    assert_int_equal(r->id, 1000);
    assert_null(r->value);
    assert_int_equal(r->n_batch, 2);
    assert_int_equal(r->batch[0]->id, 5);
    assert_memory_equal(r->batch[0]->value->str.data, "OK", 2);
    assert_int_equal(r->batch[1]->id, 200);
    assert_int_equal(r->batch[1]->value->integer, 300);
    rill__reply__free_unpacked(r, NULL);
    free(buf);
}

static void test_binary_and_empty_args(void **state)
{
    /* id absent (0), argv "ECHO", "" and "a\0b". */
    const uint8_t body[] = {0x12, 4, 'E', 'C', 'H', 'O', 0x12, 0, 0x12, 3, 'a', 0, 'b'};
    uint64_t id = 99;
    argv_t a;
    assert_int_equal(decode(body, sizeof body, 0, &id, &a), NATIVE_OK);
    assert_int_equal(id, 0);
    assert_int_equal(a.argc, 3);
    assert_int_equal(sbuf_len(a.argv[1]), 0);
    assert_int_equal(sbuf_len(a.argv[2]), 3);
    assert_memory_equal(a.argv[2], "a\0b", 3);
    argv_free(&a);
}

static void test_not_protobuf(void **state)
{
    static const struct { const char *what; uint8_t b[8]; size_t n; } cases[] = {
        {"group start", {0x0b, 1, 2}, 3},
        {"group end", {0x0c}, 1},
        {"wire type 6", {0x0e, 1}, 2},
        {"field 0", {0x02, 0}, 2},
        {"truncated varint", {0x08, 0xff}, 2},
        {"truncated length", {0x12, 10, 'a'}, 3},
        {"truncated fixed64", {0x19, 1, 2, 3}, 4},
        {"truncated fixed32", {0x1d, 1}, 2},
        {"argv as varint", {0x10, 1}, 2},
        {"id as bytes", {0x0a, 1, 'x'}, 3},
        {"text", {'h', 'e', 'l', 'l', 'o'}, 5},
        {"overlong varint", {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t id;
        argv_t a;
        int rc = decode(cases[i].b, cases[i].n, 0, &id, &a);
        if (rc != NATIVE_EPARSE) fail_msg("%s: got %d", cases[i].what, rc);
        assert_int_equal(a.argc, 0);
        argv_free(&a);
    }
}

static void test_empty_argv(void **state)
{
    uint64_t id;
    argv_t a;
    assert_int_equal(decode("", 0, 0, &id, &a), NATIVE_EEMPTY);
    argv_free(&a);
    const uint8_t only_id[] = {0x08, 7};
    assert_int_equal(decode(only_id, sizeof only_id, 0, &id, &a), NATIVE_EEMPTY);
    assert_int_equal(id, 7);   /* known, so the error reply can carry it */
    argv_free(&a);
}

static void test_oversized(void **state)
{
    const char *argv[] = {"SET", "k", "0123456789012345678901234567890123456789"};
    size_t n;
    uint8_t *buf = pack_request(1, 3, argv, &n);
    uint64_t id;
    argv_t a;
    assert_int_equal(decode(buf, n, n - 1, &id, &a), NATIVE_ETOOBIG);
    assert_int_equal(a.argc, 0);
    argv_free(&a);
    assert_int_equal(decode(buf, n, n, &id, &a), NATIVE_OK);   /* exactly the limit is fine */
    argv_free(&a);
    free(buf);
}

static void test_unknown_fields_ignored(void **state)
{
    /* id 5, unknown varint 15, argv PING, unknown bytes 16, fixed32 17, fixed64 18, argv x */
    const uint8_t body[] = {0x08, 5, 0x78, 0x96, 0x01, 0x12, 4, 'P', 'I', 'N', 'G', 0x82, 0x01, 2, 'z', 'z',
                            0x8d, 0x01, 1, 2, 3, 4, 0x91, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x12, 1, 'x'};
    uint64_t id;
    argv_t a;
    assert_int_equal(decode(body, sizeof body, 0, &id, &a), NATIVE_OK);
    assert_int_equal(id, 5);
    assert_int_equal(a.argc, 2);
    assert_string_equal(a.argv[0], "PING");
    assert_string_equal(a.argv[1], "x");
    argv_free(&a);
}

static void test_repeated_id_last_wins(void **state)
{
    const uint8_t body[] = {0x08, 1, 0x12, 1, 'x', 0x08, 2};
    uint64_t id;
    argv_t a;
    assert_int_equal(decode(body, sizeof body, 0, &id, &a), NATIVE_OK);
    assert_int_equal(id, 2);
    argv_free(&a);
}

static void test_strerror(void **state)
{
    for (int e = NATIVE_OK; e <= NATIVE_ETOOMANY; e++) assert_non_null(native_strerror(e));
    assert_string_equal(native_strerror(12345), "unknown error");
}

/* ---- the reply tree ------------------------------------------------------ */

typedef struct { native_builder b; } fe;

static session *native_session(fe *f)
{
    session *c = calloc(1, sizeof *c);
    native_builder_init(&f->b);
    c->fe_state = f;
    c->rops = &native_reply_ops;
    c->resp = 3;
    return c;
}

static Rill__Reply *roundtrip(native_builder *b, uint64_t id)
{
    Rill__Value *v = native_builder_finish(b);
    size_t n = native_reply_size(id, v);
    uint8_t *buf = malloc(n + 1);
    assert_int_equal(native_encode_reply(id, v, buf), n);
    native_value_free(v);
    Rill__Reply *r = rill__reply__unpack(NULL, n, buf);
    free(buf);
    assert_non_null(r);
    assert_int_equal(r->id, id);
    return r;
}

static void test_tree_nested(void **state)
{
    fe f;
    session *c = native_session(&f);
    f.b.active = 1;
    reply_array(c, 3);
    reply_int(c, 7);
    reply_map(c, 1);
    reply_bulk(c, "k", 1);
    reply_double(c, 2.5);
    reply_null(c);
    Rill__Reply *r = roundtrip(&f.b, 11);
    Rill__Value *v = r->value;
    assert_int_equal(v->kind, RILL__VALUE__KIND__ARRAY);
    assert_int_equal(v->n_elems, 3);
    assert_int_equal(v->elems[0]->integer, 7);
    assert_int_equal(v->elems[1]->kind, RILL__VALUE__KIND__MAP);
    assert_int_equal(v->elems[1]->n_elems, 2);
    assert_true(v->elems[1]->elems[1]->dbl == 2.5);
    assert_int_equal(v->elems[2]->kind, RILL__VALUE__KIND__NULL);
    rill__reply__free_unpacked(r, NULL);
    native_builder_free(&f.b);
    free(c);
}

static void test_tree_deferred(void **state)
{
    fe f;
    session *c = native_session(&f);
    f.b.active = 1;
    void *outer = reply_defer(c);
    for (int i = 0; i < 5; i++) {
        void *inner = reply_defer(c);
        reply_bulk(c, "x", 1);
        reply_int(c, i);
        reply_set_map_len(c, inner, 1);
    }
    reply_set_array_len(c, outer, 5);
    Rill__Reply *r = roundtrip(&f.b, 1);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__ARRAY);
    assert_int_equal(r->value->n_elems, 5);
    assert_int_equal(r->value->elems[4]->kind, RILL__VALUE__KIND__MAP);
    assert_int_equal(r->value->elems[4]->elems[1]->integer, 4);
    rill__reply__free_unpacked(r, NULL);
    native_builder_free(&f.b);
    free(c);
}

static void test_tree_scalars_and_errors(void **state)
{
    fe f;
    session *c = native_session(&f);
    f.b.active = 1;
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
    Rill__Reply *r = roundtrip(&f.b, 2);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__ERROR);
    assert_memory_equal(r->value->str.data, "WRONGTYPE", 9);
    rill__reply__free_unpacked(r, NULL);

    f.b.active = 1;
    reply_verbatim(c, "hello", 5, "txt");
    r = roundtrip(&f.b, 3);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__VERBATIM);
    assert_string_equal(r->value->fmt, "txt");
    rill__reply__free_unpacked(r, NULL);

    f.b.active = 1;
    reply_bool(c, 1);
    r = roundtrip(&f.b, 4);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__BOOLEAN);
    assert_int_equal(r->value->integer, 1);
    rill__reply__free_unpacked(r, NULL);

    f.b.active = 1;   /* a raw RESP error line (DEBUG ERROR) */
    reply_raw(c, "-ERR custom\r\n", 13);
    r = roundtrip(&f.b, 5);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__ERROR);
    assert_int_equal(r->value->str.len, 10);
    rill__reply__free_unpacked(r, NULL);

    f.b.active = 1;   /* nothing written: a null */
    r = roundtrip(&f.b, 6);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__NULL);
    rill__reply__free_unpacked(r, NULL);

    f.b.active = 1;   /* two top-level values: an array of both */
    reply_int(c, 1);
    reply_int(c, 2);
    r = roundtrip(&f.b, 7);
    assert_int_equal(r->value->kind, RILL__VALUE__KIND__ARRAY);
    assert_int_equal(r->value->n_elems, 2);
    rill__reply__free_unpacked(r, NULL);

    native_builder_free(&f.b);
    free(c);
}

static void test_inactive_drops(void **state)
{
    fe f;
    session *c = native_session(&f);
    reply_int(c, 1);
    reply_array(c, 2);
    assert_int_equal(f.b.dropped, 2);
    assert_int_equal(f.b.ntop, 0);
    native_builder_free(&f.b);
    free(c);
}

static void test_unclosed_aggregate(void **state)
{
    fe f;
    session *c = native_session(&f);
    f.b.active = 1;
    reply_array(c, 3);   /* a handler that wrote only one of three */
    reply_int(c, 1);
    Rill__Reply *r = roundtrip(&f.b, 8);
    assert_int_equal(r->value->n_elems, 1);
    rill__reply__free_unpacked(r, NULL);
    f.b.active = 1;   /* and the builder is usable again */
    reply_int(c, 5);
    r = roundtrip(&f.b, 9);
    assert_int_equal(r->value->integer, 5);
    rill__reply__free_unpacked(r, NULL);
    native_builder_free(&f.b);
    free(c);
}

/* ---- pushes (raw RESP back into values) ---------------------------------- */

static void test_parse_push_message(void **state)
{
    static const char m3[] = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhe\r\nl\r\n";
    Rill__Value *v;
    size_t n = native_parse_push(m3, sizeof m3 - 1, &v);
    assert_int_equal(n, sizeof m3 - 1);
    assert_int_equal(v->kind, RILL__VALUE__KIND__PUSH);
    assert_int_equal(v->n_elems, 3);
    assert_int_equal(v->elems[2]->kind, RILL__VALUE__KIND__BULK);
    assert_int_equal(v->elems[2]->str.len, 5);
    assert_memory_equal(v->elems[2]->str.data, "he\r\nl", 5);   /* binary payload, CRLF inside */
    native_value_free(v);

    /* RESP2 form (HELLO 2): still a PUSH; a following message is not taken */
    static const char two[] = "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\nc\r\n$0\r\n\r\n*1\r\n:1\r\n";
    n = native_parse_push(two, sizeof two - 1, &v);
    assert_int_equal(n, sizeof two - 1 - 8);
    assert_int_equal(v->kind, RILL__VALUE__KIND__PUSH);
    assert_int_equal(v->elems[3]->str.len, 0);
    native_value_free(v);

    /* other element types */
    static const char mix[] = ">5\r\n+ok\r\n-ERR x\r\n:-42\r\n_\r\n*2\r\n$-1\r\n:7\r\n";
    n = native_parse_push(mix, sizeof mix - 1, &v);
    assert_int_equal(n, sizeof mix - 1);
    assert_int_equal(v->elems[0]->kind, RILL__VALUE__KIND__SIMPLE);
    assert_int_equal(v->elems[1]->kind, RILL__VALUE__KIND__ERROR);
    assert_int_equal(v->elems[2]->integer, -42);
    assert_int_equal(v->elems[3]->kind, RILL__VALUE__KIND__NULL);
    assert_int_equal(v->elems[4]->kind, RILL__VALUE__KIND__ARRAY);
    assert_int_equal(v->elems[4]->elems[0]->kind, RILL__VALUE__KIND__NULL);
    native_value_free(v);
}

static void test_parse_push_bad(void **state)
{
    static const char *const bad[] = {
        "",                                   /* nothing */
        "$3\r\nabc\r\n",                      /* not an aggregate */
        ">3\r\n$7\r\nmessage\r\n",            /* truncated */
        ">1\r\n$5\r\nab\r\n",                 /* bulk shorter than announced */
        ">1\r\n$2\r\nabcd\r\n",               /* no CRLF after the bulk */
        ">x\r\n",                             /* bad count */
        ">99999999999999999999999\r\n",       /* count overflows */
        ">2000000000\r\n:1\r\n",              /* count far beyond the bytes */
        ">1\r\n:12a\r\n",                     /* bad integer */
        ">1\r\n?x\r\n",                       /* unknown type */
        ">1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",   /* too deep */
        ">1\r\n:1",                           /* no CRLF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Rill__Value *v = (Rill__Value *)1;
        assert_int_equal(native_parse_push(bad[i], strlen(bad[i]), &v), 0);
        assert_null(v);
    }
}

/* pushes written through reply_raw go to on_push, never into the reply */
static int pushed;
static void count_push(struct session *c, const void *p, size_t n) { pushed++; }

static void test_raw_push_hook(void **state)
{
    fe f;
    session *c = native_session(&f);
    f.b.on_push = count_push;
    f.b.active = 1;
    reply_int(c, 3);
    reply_raw(c, ">1\r\n:1\r\n", 8);
    reply_raw(c, "*1\r\n:1\r\n", 8);
    reply_raw(c, "-ERR raw\r\n", 10);   /* DEBUG ERROR: still a reply value */
    assert_int_equal(pushed, 2);
    assert_int_equal(f.b.ntop, 2);
    native_builder_free(&f.b);
    free(c);
}

/* same_as_protobuf_c: our hand encoder gives protobuf-c's bytes for Reply{id, v}. */
static void same_as_protobuf_c(uint64_t id, Rill__Value *v)
{
    Rill__Reply r = RILL__REPLY__INIT;
    r.id = id;
    r.value = v;
    size_t want = rill__reply__get_packed_size(&r);
    uint8_t *ref = malloc(want + 1), *ours = malloc(want + 64);
    rill__reply__pack(&r, ref);
    assert_int_equal(native_reply_size(id, v), want);
    assert_int_equal(native_encode_reply(id, v, ours), want);
    assert_memory_equal(ours, ref, want);
    free(ref);
    free(ours);
}

static Rill__Value *val(Rill__Value__Kind kind)
{
    Rill__Value *v = calloc(1, sizeof *v);
    rill__value__init(v);
    v->kind = kind;
    return v;
}

/* free_nodes frees a tree made with val (its strings are static). */
static void free_nodes(Rill__Value *v)
{
    for (size_t i = 0; i < v->n_elems; i++) free_nodes(v->elems[i]);
    free(v->elems);
    free(v);
}

static void add_elem(Rill__Value *parent, Rill__Value *child)
{
    parent->elems = realloc(parent->elems, (parent->n_elems + 1) * sizeof *parent->elems);
    parent->elems[parent->n_elems++] = child;
}

static void test_encoder_matches_protobuf_c(void **state)
{
    (void)state;
    static uint8_t big[300];
    memset(big, 'b', sizeof big);
    same_as_protobuf_c(0, NULL);
    same_as_protobuf_c(1, NULL);
    Rill__Value *null = val(RILL__VALUE__KIND__NULL);
    same_as_protobuf_c(0, null);
    const uint64_t ids[] = {1, 127, 128, 16383, 16384, UINT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) same_as_protobuf_c(ids[i], null);
    free_nodes(null);
    Rill__Value *arr = val(RILL__VALUE__KIND__ARRAY);
    Rill__Value *s = val(RILL__VALUE__KIND__SIMPLE);
    s->str.data = (uint8_t *)"OK";
    s->str.len = 2;
    add_elem(arr, s);
    Rill__Value *empty = val(RILL__VALUE__KIND__BULK);   /* empty bulk: data set, length 0 */
    empty->str.data = (uint8_t *)"";
    add_elem(arr, empty);
    Rill__Value *b = val(RILL__VALUE__KIND__BULK);
    b->str.data = big;
    b->str.len = sizeof big;
    add_elem(arr, b);
    const long long ints[] = {0, 1, -1, 63, -64, 64, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        Rill__Value *n = val(RILL__VALUE__KIND__INTEGER);
        n->integer = ints[i];
        add_elem(arr, n);
    }
    const double dbls[] = {0.0, -0.0, 1.5, -2.25e300, 1e-310};
    for (size_t i = 0; i < sizeof dbls / sizeof *dbls; i++) {
        Rill__Value *d = val(RILL__VALUE__KIND__DOUBLE);
        d->dbl = dbls[i];
        add_elem(arr, d);
    }
    Rill__Value *verb = val(RILL__VALUE__KIND__VERBATIM);
    verb->str.data = (uint8_t *)"hello";
    verb->str.len = 5;
    verb->fmt = "txt";
    add_elem(arr, verb);
    Rill__Value *nofmt = val(RILL__VALUE__KIND__VERBATIM);
    nofmt->fmt = "";
    add_elem(arr, nofmt);
    Rill__Value *t = val(RILL__VALUE__KIND__BOOLEAN);
    t->integer = 1;
    add_elem(arr, t);
    Rill__Value *map = val(RILL__VALUE__KIND__MAP);   /* nested, and deeper */
    Rill__Value *inner = val(RILL__VALUE__KIND__SET);
    for (int i = 0; i < 200; i++) add_elem(inner, val(RILL__VALUE__KIND__NULL));
    add_elem(map, val(RILL__VALUE__KIND__PUSH));
    add_elem(map, inner);
    add_elem(arr, map);
    same_as_protobuf_c(42, arr);
    /* the batch form: Reply{id, batch: [Reply{ids[i], values[i]}]} */
    Rill__Value *vals[2] = {arr, s};
    uint64_t bids[2] = {7, 300};
    Rill__Reply e0 = RILL__REPLY__INIT, e1 = RILL__REPLY__INIT, top = RILL__REPLY__INIT;
    e0.id = 7, e0.value = arr, e1.id = 300, e1.value = s;
    Rill__Reply *entries[2] = {&e0, &e1};
    top.id = 99, top.n_batch = 2, top.batch = entries;
    size_t want = rill__reply__get_packed_size(&top);
    uint8_t *ref = malloc(want), *ours = malloc(want + 64);
    rill__reply__pack(&top, ref);
    assert_int_equal(native_batch_reply_size(99, 2, bids, vals), want);
    assert_int_equal(native_encode_batch_reply(99, 2, bids, vals, ours), want);
    assert_memory_equal(ours, ref, want);
    free(ref);
    free(ours);
    free_nodes(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_binary_and_empty_args),
        cmocka_unit_test(test_not_protobuf),
        cmocka_unit_test(test_empty_argv),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_repeated_id_last_wins),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_tree_nested),
        cmocka_unit_test(test_tree_deferred),
        cmocka_unit_test(test_tree_scalars_and_errors),
        cmocka_unit_test(test_inactive_drops),
        cmocka_unit_test(test_unclosed_aggregate),
        cmocka_unit_test(test_parse_push_message),
        cmocka_unit_test(test_parse_push_bad),
        cmocka_unit_test(test_raw_push_hook),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_batch_reply),
        cmocka_unit_test(test_encoder_matches_protobuf_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
