/* rill_client_test.c — librill: reply decoding, request encoding, command
 * formatting, the subscription registry, push parsing, the backoff schedule,
 * and the async client's connection handling against a fake in-process
 * server (an NNG raw REP socket on an ipc:// path): replies, requests in
 * flight failing with RILL_ECLOSED when the connection drops (and never
 * running twice), re-dial, AUTH and re-subscription on the new connection,
 * POLL deliveries, commands queued before the server exists, close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "rill.pb-c.h"
#include "rill/rill_async.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers: build Reply messages with protobuf-c ----------------------------- */

static Rill__Value *val(Rill__Value__Kind kind)
{
    Rill__Value *v = calloc(1, sizeof *v);
    rill__value__init(v);
    v->kind = kind;
    return v;
}

static Rill__Value *vstr(Rill__Value__Kind kind, const char *s, size_t n)
{
    Rill__Value *v = val(kind);
    v->str.data = (uint8_t *)s;
    v->str.len = n;
    return v;
}

static Rill__Value *vagg(Rill__Value__Kind kind, int n, ...)
{
    Rill__Value *v = val(kind);
    v->n_elems = (size_t)n;
    v->elems = calloc((size_t)n + 1, sizeof *v->elems);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) v->elems[i] = va_arg(ap, Rill__Value *);
    va_end(ap);
    return v;
}

static void vfree(Rill__Value *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n_elems; i++) vfree(v->elems[i]);
    free(v->elems);
    free(v);
}

/* pack packs Reply{id, v} into a malloc'd buffer. */
static uint8_t *pack(uint64_t id, Rill__Value *v, size_t *len)
{
    Rill__Reply rep = RILL__REPLY__INIT;
    rep.id = id;
    rep.value = v;
    *len = rill__reply__get_packed_size(&rep);
    uint8_t *buf = malloc(*len + 1);
    rill__reply__pack(&rep, buf);
    return buf;
}

static rill_reply *decode_ok(Rill__Value *v, uint64_t id)
{
    size_t len;
    uint8_t *buf = pack(id, v, &len);
    uint64_t got = 0;
    rill_reply *r = NULL;
    assert_int_equal(rill_decode_reply(buf, len, &got, &r, NULL, 0), RILL_OK);
    assert_int_equal(got, id);
    free(buf);
    vfree(v);
    return r;
}

/* ---- reply decoding ---------------------------------------------------------------- */

static void test_decode_scalars(void **state)
{
    rill_reply *r = decode_ok(vstr(RILL__VALUE__KIND__SIMPLE, "OK", 2), 7);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_SIMPLE);
    size_t n;
    assert_string_equal(rill_reply_string(r, &n), "OK");
    assert_int_equal(n, 2);
    rill_reply_free(r);

    r = decode_ok(vstr(RILL__VALUE__KIND__ERROR, "ERR bad", 7), 1);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_ERROR);
    assert_string_equal(rill_reply_string(r, NULL), "ERR bad");
    rill_reply_free(r);

    Rill__Value *v = val(RILL__VALUE__KIND__INTEGER);
    v->integer = -9000000000LL;
    r = decode_ok(v, 2);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_INTEGER);
    assert_true(rill_reply_integer(r) == -9000000000LL);
    assert_null(rill_reply_string(r, &n));
    assert_int_equal(n, 0);
    rill_reply_free(r);

    v = val(RILL__VALUE__KIND__DOUBLE);
    v->dbl = 2.5;
    r = decode_ok(v, 3);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_DOUBLE);
    assert_true(rill_reply_double(r) == 2.5);
    rill_reply_free(r);

    v = val(RILL__VALUE__KIND__BOOLEAN);
    v->integer = 1;
    r = decode_ok(v, 4);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_BOOLEAN);
    assert_int_equal(rill_reply_integer(r), 1);
    rill_reply_free(r);

    r = decode_ok(val(RILL__VALUE__KIND__NULL), 5);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_NULL);
    rill_reply_free(r);
}

static void test_decode_binary_bulk(void **state)
{
    static const char bin[] = {'a', 0, 'b', '\n', (char)0xff};
    rill_reply *r = decode_ok(vstr(RILL__VALUE__KIND__BULK, bin, sizeof bin), 9);
    size_t n;
    const char *s = rill_reply_string(r, &n);
    assert_int_equal(n, sizeof bin);
    assert_memory_equal(s, bin, sizeof bin);
    assert_int_equal(s[n], 0);   /* NUL-terminated as well */
    rill_reply_free(r);

    r = decode_ok(vstr(RILL__VALUE__KIND__BULK, "", 0), 9);   /* empty, not null */
    assert_int_equal(rill_reply_type(r), RILL_REPLY_BULK);
    assert_string_equal(rill_reply_string(r, &n), "");
    rill_reply_free(r);
}

static void test_decode_verbatim(void **state)
{
    Rill__Value *v = vstr(RILL__VALUE__KIND__VERBATIM, "hello", 5);
    v->fmt = "mkd";
    rill_reply *r = decode_ok(v, 1);
    assert_string_equal(rill_reply_format(r), "mkd");
    rill_reply_free(r);
    r = decode_ok(vstr(RILL__VALUE__KIND__VERBATIM, "x", 1), 1);   /* no fmt: txt */
    assert_string_equal(rill_reply_format(r), "txt");
    rill_reply_free(r);
}

static void test_decode_nested(void **state)
{
    Rill__Value *m = vagg(RILL__VALUE__KIND__MAP, 4, vstr(RILL__VALUE__KIND__BULK, "a", 1),
                          vagg(RILL__VALUE__KIND__ARRAY, 2, vstr(RILL__VALUE__KIND__BULK, "x", 1),
                               val(RILL__VALUE__KIND__NULL)),
                          vstr(RILL__VALUE__KIND__BULK, "b", 1), vagg(RILL__VALUE__KIND__SET, 0));
    rill_reply *r = decode_ok(m, 11);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_MAP);
    assert_int_equal(rill_reply_len(r), 4);
    const rill_reply *arr = rill_reply_element(r, 1);
    assert_int_equal(rill_reply_type(arr), RILL_REPLY_ARRAY);
    assert_int_equal(rill_reply_len(arr), 2);
    assert_string_equal(rill_reply_string(rill_reply_element(arr, 0), NULL), "x");
    assert_int_equal(rill_reply_type(rill_reply_element(arr, 1)), RILL_REPLY_NULL);
    assert_int_equal(rill_reply_type(rill_reply_element(r, 3)), RILL_REPLY_SET);
    assert_int_equal(rill_reply_len(rill_reply_element(r, 3)), 0);
    assert_null(rill_reply_element(r, 4));   /* out of range */
    assert_null(rill_reply_element(NULL, 0));
    rill_reply_free(r);
}

static void test_decode_garbage(void **state)
{
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    rill_reply *r = (rill_reply *)1;
    char err[128];
    assert_int_equal(rill_decode_reply(junk, sizeof junk, NULL, &r, err, sizeof err), RILL_EPROTO);
    assert_null(r);
    assert_non_null(strstr(err, "not a valid Reply"));
    static const uint8_t truncated[] = {0x12, 0x10, 0x08};   /* value says 16 bytes, has 1 */
    assert_int_equal(rill_decode_reply(truncated, sizeof truncated, NULL, &r, NULL, 0), RILL_EPROTO);
}

static void test_decode_empty_is_null(void **state)
{
    uint64_t id = 99;
    rill_reply *r = NULL;
    assert_int_equal(rill_decode_reply("", 0, &id, &r, NULL, 0), RILL_OK);   /* all fields default */
    assert_int_equal(id, 0);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_NULL);
    rill_reply_free(r);
}

static void test_decode_unknown_kind(void **state)
{
    rill_reply *r = decode_ok(vstr((Rill__Value__Kind)77, "zz", 2), 1);
    assert_int_equal(rill_reply_type(r), RILL_REPLY_NULL);
    rill_reply_free(r);
}

static void test_decode_too_deep(void **state)
{
    Rill__Value *v = val(RILL__VALUE__KIND__NULL);
    for (int i = 0; i < RILL_MAX_DEPTH + 5; i++) v = vagg(RILL__VALUE__KIND__ARRAY, 1, v);
    size_t len;
    uint8_t *buf = pack(1, v, &len);
    rill_reply *r = NULL;
    char err[128];
    int rc = rill_decode_reply(buf, len, NULL, &r, err, sizeof err);
    /* protobuf-c may refuse the nesting itself; either way, EPROTO and no tree. */
    assert_int_equal(rc, RILL_EPROTO);
    assert_null(r);
    free(buf);
    vfree(v);

    v = val(RILL__VALUE__KIND__NULL);   /* just inside the limit is fine */
    for (int i = 0; i < 20; i++) v = vagg(RILL__VALUE__KIND__ARRAY, 1, v);
    r = decode_ok(v, 1);
    rill_reply_free(r);
}

/* ---- request encoding and formatting --------------------------------------------------- */

static void test_encode_request(void **state)
{
    const char *argv[] = {"SET", "k\0x", "v"};
    size_t lens[] = {3, 3, 1};
    size_t n;
    uint8_t *buf = rill_encode_request(42, 3, argv, lens, &n);
    Rill__Request *req = rill__request__unpack(NULL, n, buf);
    assert_non_null(req);
    assert_int_equal(req->id, 42);
    assert_int_equal(req->n_argv, 3);
    assert_int_equal(req->argv[1].len, 3);
    assert_memory_equal(req->argv[1].data, "k\0x", 3);
    rill__request__free_unpacked(req, NULL);
    free(buf);

    const char *many[40];
    for (int i = 0; i < 40; i++) many[i] = "abc";   /* past the on-stack argument array */
    buf = rill_encode_request(1, 40, many, NULL, &n);
    req = rill__request__unpack(NULL, n, buf);
    assert_int_equal(req->n_argv, 40);
    rill__request__free_unpacked(req, NULL);
    free(buf);
}

static int fmt(rill_fargs *fa, char *err, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int rc = rill_format_argv(fa, f, ap, err, 128);
    va_end(ap);
    return rc;
}

static void test_format(void **state)
{
    rill_fargs fa;
    char err[128];
    assert_int_equal(fmt(&fa, err, "SET key:%d %b  %s%%", 7, "a\0b", (size_t)3, "x"), RILL_OK);
    assert_int_equal(fa.argc, 4);
    assert_string_equal(fa.argv[0], "SET");
    assert_string_equal(fa.argv[1], "key:7");
    assert_int_equal(fa.lens[2], 3);
    assert_memory_equal(fa.argv[2], "a\0b", 3);
    assert_string_equal(fa.argv[3], "x%");
    rill_format_free(&fa);

    assert_int_equal(fmt(&fa, err, "INCRBY n %lld", -5LL), RILL_OK);
    assert_string_equal(fa.argv[2], "-5");
    rill_format_free(&fa);

    assert_int_equal(fmt(&fa, err, "GET %q", 1), RILL_EINVAL);
    assert_non_null(strstr(err, "%q"));
    assert_int_equal(fmt(&fa, err, "   "), RILL_EINVAL);
    assert_int_equal(fmt(&fa, err, "GET %"), RILL_EINVAL);   /* a lone % at the end */
}

/* ---- subscription registry, pushes, backoff ----------------------------------------------- */

static void dummy_cb(rill_async *ac, const rill_message *m, void *arg) {}

static void test_subs_registry(void **state)
{
    rill_subs s = {0};
    assert_int_equal(rill_subs_add(&s, "a", 1, 0, dummy_cb, NULL), 0);
    assert_int_equal(rill_subs_add(&s, "b", 1, 0, dummy_cb, NULL), 0);
    assert_int_equal(rill_subs_add(&s, "a", 1, 0, dummy_cb, (void *)1), 0);   /* replace */
    assert_int_equal(rill_subs_add(&s, "n.*", 3, 1, dummy_cb, NULL), 0);
    assert_int_equal(s.nchannels, 2);
    assert_int_equal(s.npatterns, 1);
    assert_ptr_equal(rill_subs_find(&s, "a", 1, 0)->arg, (void *)1);
    assert_null(rill_subs_find(&s, "a", 1, 1));   /* a channel is not a pattern */

    const char **argv;
    size_t *lens;
    assert_int_equal(rill_subs_argv(&s, 0, &argv, &lens), 3);
    assert_string_equal(argv[0], "SUBSCRIBE");
    int seen_a = 0, seen_b = 0;
    for (int i = 1; i < 3; i++) {
        seen_a += strcmp(argv[i], "a") == 0;
        seen_b += strcmp(argv[i], "b") == 0;
    }
    assert_true(seen_a == 1 && seen_b == 1);
    free(argv);
    free(lens);
    assert_int_equal(rill_subs_argv(&s, 1, &argv, &lens), 2);
    assert_string_equal(argv[0], "PSUBSCRIBE");
    assert_string_equal(argv[1], "n.*");
    free(argv);
    free(lens);

    assert_int_equal(rill_subs_remove(&s, "a", 1, 0), 1);
    assert_int_equal(rill_subs_remove(&s, "a", 1, 0), 0);   /* not there any more */
    assert_int_equal(rill_subs_remove(&s, "b", 1, 0), 1);
    assert_int_equal(rill_subs_argv(&s, 0, &argv, &lens), 0);   /* nothing to resend */
    rill_subs_clear(&s);
    assert_null(s.head);
    assert_int_equal(s.npatterns, 0);
}

static rill_reply *push_of(int n, const char **parts)
{
    Rill__Value *v = val(RILL__VALUE__KIND__PUSH);
    v->n_elems = (size_t)n;
    v->elems = calloc((size_t)n, sizeof *v->elems);
    for (int i = 0; i < n; i++) v->elems[i] = vstr(RILL__VALUE__KIND__BULK, parts[i], strlen(parts[i]));
    return decode_ok(v, 1);
}

static void test_parse_message(void **state)
{
    rill_message m;
    rill_reply *r = push_of(3, (const char *[]){"message", "ch", "hello"});
    assert_int_equal(rill_parse_message(r, &m), 1);
    assert_string_equal(m.kind, "message");
    assert_null(m.pattern);
    assert_memory_equal(m.channel, "ch", 2);
    assert_int_equal(m.payload_len, 5);
    rill_reply_free(r);

    r = push_of(4, (const char *[]){"pmessage", "c*", "ch", "x"});
    assert_int_equal(rill_parse_message(r, &m), 1);
    assert_string_equal(m.kind, "pmessage");
    assert_memory_equal(m.pattern, "c*", 2);
    assert_memory_equal(m.channel, "ch", 2);
    rill_reply_free(r);

    r = push_of(3, (const char *[]){"smessage", "s", "y"});
    assert_int_equal(rill_parse_message(r, &m), 1);
    assert_string_equal(m.kind, "smessage");
    rill_reply_free(r);

    Rill__Value *conf = vagg(RILL__VALUE__KIND__PUSH, 3, vstr(RILL__VALUE__KIND__BULK, "subscribe", 9),
                             vstr(RILL__VALUE__KIND__BULK, "ch", 2), val(RILL__VALUE__KIND__INTEGER));
    r = decode_ok(conf, 1);
    assert_int_equal(rill_parse_message(r, &m), 0);   /* a confirmation, not a message */
    rill_reply_free(r);

    r = push_of(2, (const char *[]){"message", "ch"});   /* too short */
    assert_int_equal(rill_parse_message(r, &m), 0);
    rill_reply_free(r);
    r = push_of(4, (const char *[]){"message", "a", "b", "c"});   /* wrong length for its kind */
    assert_int_equal(rill_parse_message(r, &m), 0);
    rill_reply_free(r);
    assert_int_equal(rill_parse_message(NULL, &m), 0);
}

static void test_backoff(void **state)
{
    assert_int_equal(rill_backoff_ms(0, 50, 2000), 50);
    assert_int_equal(rill_backoff_ms(1, 50, 2000), 100);
    assert_int_equal(rill_backoff_ms(5, 50, 2000), 1600);
    assert_int_equal(rill_backoff_ms(6, 50, 2000), 2000);
    assert_int_equal(rill_backoff_ms(1000, 50, 2000), 2000);   /* no overflow */
    assert_int_equal(rill_backoff_ms(3, 0, 0), 1);
}

/* ---- a fake server: NNG raw REP on ipc:// ---------------------------------------------------- */

typedef struct fake {
    nng_socket sock;
    nng_listener l;
    char url[128];
    pthread_t th;
    pthread_mutex_t mu;
    volatile int quit;
    char log[512][32];           /* argv[0] (+ argv[1]) of each request, in order */
    int nlog;
    nng_msg *held[16];           /* HOLD requests, never answered */
    int nheld;
    nng_msg *poll;               /* parked POLL */
    char pending_msg[64];        /* a message to deliver to the parked POLL */
} fake;

static void fake_reply(fake *f, nng_msg *req, uint64_t id, Rill__Value *v)
{
    nng_msg *m;
    size_t len;
    uint8_t *buf = pack(id, v, &len);
    nng_msg_alloc(&m, 0);
    nng_msg_header_append(m, nng_msg_header(req), nng_msg_header_len(req));
    nng_msg_append(m, buf, len);
    nng_msg_set_pipe(m, nng_msg_get_pipe(req));
    free(buf);
    if (nng_sendmsg(f->sock, m, 0) != 0) nng_msg_free(m);
}

static uint64_t req_id(nng_msg *m)
{
    Rill__Request *r = rill__request__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
    uint64_t id = r ? r->id : 0;
    rill__request__free_unpacked(r, NULL);
    return id;
}

/* deliver answers the parked POLL with f->pending_msg (mu held). */
static void fake_deliver(fake *f)
{
    if (!f->poll || !f->pending_msg[0]) return;
    Rill__Value *push = vagg(RILL__VALUE__KIND__PUSH, 3, vstr(RILL__VALUE__KIND__BULK, "message", 7),
                             vstr(RILL__VALUE__KIND__BULK, "news", 4),
                             vstr(RILL__VALUE__KIND__BULK, f->pending_msg, strlen(f->pending_msg)));
    Rill__Value *arr = vagg(RILL__VALUE__KIND__ARRAY, 1, push);
    fake_reply(f, f->poll, req_id(f->poll), arr);
    vfree(arr);
    nng_msg_free(f->poll);
    f->poll = NULL;
    f->pending_msg[0] = 0;
}

static void *fake_main(void *arg)
{
    fake *f = arg;
    while (!f->quit) {
        nng_msg *m;
        int rv = nng_recvmsg(f->sock, &m, 0);
        if (rv == NNG_ECLOSED) break;   /* fake_free closed the socket */
        if (rv != 0) continue;
        Rill__Request *r = rill__request__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
        if (!r || r->n_argv == 0) {
            rill__request__free_unpacked(r, NULL);
            nng_msg_free(m);
            continue;
        }
        char cmd[32];
        snprintf(cmd, sizeof cmd, "%.*s%s%.*s", (int)r->argv[0].len, r->argv[0].data, r->n_argv > 1 ? " " : "",
                 r->n_argv > 1 ? (int)r->argv[1].len : 0, r->n_argv > 1 ? (const char *)r->argv[1].data : "");
        pthread_mutex_lock(&f->mu);
        if (f->nlog < 512) snprintf(f->log[f->nlog++], 32, "%s", cmd);
        if (strncmp(cmd, "HOLD", 4) == 0 && f->nheld < 16) {
            f->held[f->nheld++] = m;
            m = NULL;
        } else if (strncmp(cmd, "POLL", 4) == 0) {
            if (f->poll) nng_msg_free(f->poll);
            f->poll = m;
            m = NULL;
            fake_deliver(f);
        } else if (strncmp(cmd, "BADID", 5) == 0) {   /* a hostile server: the wrong Reply id */
            Rill__Value *ok = vstr(RILL__VALUE__KIND__SIMPLE, "OK", 2);
            fake_reply(f, m, r->id + 1000, ok);
            vfree(ok);
        } else if (strncmp(cmd, "GARBAGE", 7) == 0) {   /* a body that is not a Reply */
            nng_msg *g;
            nng_msg_alloc(&g, 0);
            nng_msg_header_append(g, nng_msg_header(m), nng_msg_header_len(m));
            nng_msg_append(g, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12);
            nng_msg_set_pipe(g, nng_msg_get_pipe(m));
            if (nng_sendmsg(f->sock, g, 0) != 0) nng_msg_free(g);
        } else if (strncmp(cmd, "DROP", 4) == 0) {
            nng_pipe_close(nng_msg_get_pipe(m));
        } else if (strncmp(cmd, "SUBSCRIBE", 9) == 0) {
            Rill__Value *conf = vagg(RILL__VALUE__KIND__ARRAY, 1,
                                     vagg(RILL__VALUE__KIND__PUSH, 2, vstr(RILL__VALUE__KIND__BULK, "subscribe", 9),
                                          vstr(RILL__VALUE__KIND__BULK, "news", 4)));
            fake_reply(f, m, r->id, conf);
            vfree(conf);
        } else if (strncmp(cmd, "PUB", 3) == 0 && r->n_argv > 1) {
            snprintf(f->pending_msg, sizeof f->pending_msg, "%.*s", (int)r->argv[1].len, r->argv[1].data);
            Rill__Value *one = val(RILL__VALUE__KIND__INTEGER);
            one->integer = 1;
            fake_reply(f, m, r->id, one);
            vfree(one);
            fake_deliver(f);
        } else {
            Rill__Value *ok = vstr(RILL__VALUE__KIND__SIMPLE, "OK", 2);
            fake_reply(f, m, r->id, ok);
            vfree(ok);
        }
        pthread_mutex_unlock(&f->mu);
        rill__request__free_unpacked(r, NULL);
        if (m) nng_msg_free(m);
    }
    return NULL;
}

static void fake_listen(fake *f)
{
    assert_int_equal(nng_listen(f->sock, f->url, &f->l, 0), 0);
}

static fake *fake_new(int listen)
{
    fake *f = calloc(1, sizeof *f);
    static int seq;
    snprintf(f->url, sizeof f->url, "ipc:///tmp/rill-client-test-%d-%d.sock", (int)getpid(), seq++);
    pthread_mutex_init(&f->mu, NULL);
    assert_int_equal(nng_rep0_open_raw(&f->sock), 0);
    if (listen) fake_listen(f);
    pthread_create(&f->th, NULL, fake_main, f);
    return f;
}

static void fake_free(fake *f)
{
    f->quit = 1;
    nng_close(f->sock);   /* ends the thread's blocking receive */
    pthread_join(f->th, NULL);
    for (int i = 0; i < f->nheld; i++) nng_msg_free(f->held[i]);
    if (f->poll) nng_msg_free(f->poll);
    pthread_mutex_destroy(&f->mu);
    unlink(f->url + 6);
    free(f);
}

static int fake_count(fake *f, const char *prefix)
{
    pthread_mutex_lock(&f->mu);
    int n = 0;
    for (int i = 0; i < f->nlog; i++) n += strncmp(f->log[i], prefix, strlen(prefix)) == 0;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static int fake_index(fake *f, const char *prefix, int nth)
{
    pthread_mutex_lock(&f->mu);
    int at = -1;
    for (int i = 0; i < f->nlog && at < 0; i++)
        if (strncmp(f->log[i], prefix, strlen(prefix)) == 0 && nth-- == 0) at = i;
    pthread_mutex_unlock(&f->mu);
    return at;
}

/* ---- async client against the fake -------------------------------------------------------------- */

typedef struct outcome {
    int calls, err, type;
    char str[64];
} outcome;

static void on_reply(rill_async *ac, int err, rill_reply *r, void *arg)
{
    outcome *o = arg;
    o->calls++;
    o->err = err;
    o->type = r ? (int)rill_reply_type(r) : -1;
    const char *s = r ? rill_reply_string(r, NULL) : NULL;
    snprintf(o->str, sizeof o->str, "%s", s ? s : "");
}

typedef struct msgs {
    int n;
    char last[64];
} msgs;

static void on_msg(rill_async *ac, const rill_message *m, void *arg)
{
    msgs *g = arg;
    g->n++;
    snprintf(g->last, sizeof g->last, "%.*s", (int)m->payload_len, m->payload);
}

static int ups, downs;
static void on_conn(rill_async *ac, int up, void *arg)
{
    if (up) ups++;
    else downs++;
}

/* pump runs the loop until *flag >= want or ms pass; returns 1 if reached. */
static int pump(rill_async *ac, int ms, volatile int *flag, int want)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (flag && *flag >= want) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (el >= ms) return flag == NULL;
        struct pollfd p = {rill_async_fd(ac), POLLIN, 0};
        poll(&p, 1, 10);
        rill_async_process(ac);
    }
}

static void test_async_reply_and_pending(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    assert_int_equal(rill_async_connect(f->url, NULL, &ac), RILL_OK);
    outcome o = {0};
    const char *argv[] = {"PING"};
    assert_int_equal(rill_async_command(ac, on_reply, &o, 1, argv, NULL), RILL_OK);
    assert_int_equal(rill_async_pending(ac), 1);
    assert_true(pump(ac, 3000, &o.calls, 1));
    assert_int_equal(o.err, RILL_OK);
    assert_string_equal(o.str, "OK");
    assert_int_equal(rill_async_pending(ac), 0);
    assert_int_equal(rill_async_command(ac, on_reply, &o, 0, argv, NULL), RILL_EINVAL);   /* callback never runs */
    assert_int_equal(rill_async_commandf(ac, on_reply, &o, "GET %z"), RILL_EINVAL);
    pump(ac, 50, NULL, 0);
    assert_int_equal(o.calls, 1);
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_hostile_replies(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    assert_int_equal(rill_async_connect(f->url, NULL, &ac), RILL_OK);
    outcome bad = {0}, junk = {0}, fine = {0};
    rill_async_commandf(ac, on_reply, &bad, "BADID");
    rill_async_commandf(ac, on_reply, &junk, "GARBAGE");
    rill_async_commandf(ac, on_reply, &fine, "PING");
    assert_true(pump(ac, 3000, &fine.calls, 1));
    pump(ac, 100, NULL, 0);
    assert_int_equal(bad.calls, 1);
    assert_int_equal(bad.err, RILL_EPROTO);
    assert_int_equal(bad.type, -1);   /* no reply handed out */
    assert_int_equal(junk.calls, 1);
    assert_int_equal(junk.err, RILL_EPROTO);
    assert_int_equal(fine.err, RILL_OK);   /* the connection goes on */
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_many_in_flight(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    assert_int_equal(rill_async_connect(f->url, NULL, &ac), RILL_OK);
    enum { N = 300 };   /* more than the 64 in flight: the rest waits its turn */
    static outcome o[N];
    memset(o, 0, sizeof o);
    int done = 0;
    for (int i = 0; i < N; i++) assert_int_equal(rill_async_commandf(ac, on_reply, &o[i], "SET k %d", i), RILL_OK);
    assert_int_equal(rill_async_pending(ac), N);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        pump(ac, 20, NULL, 0);
        done = 0;
        for (int i = 0; i < N; i++) done += o[i].calls;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (done < N && t.tv_sec - t0.tv_sec < 10);
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) assert_int_equal(o[i].err, RILL_OK);
    assert_int_equal(fake_count(f, "SET"), N);
    assert_int_equal(rill_async_pending(ac), 0);
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_drop_fails_in_flight_once(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    ups = downs = 0;
    assert_int_equal(rill_async_connect(f->url, NULL, &ac), RILL_OK);
    rill_async_set_connect_cb(ac, on_conn, NULL);
    assert_true(pump(ac, 3000, &ups, 1));
    outcome hold = {0}, drop = {0}, after = {0};
    assert_int_equal(rill_async_commandf(ac, on_reply, &hold, "HOLD x"), RILL_OK);
    while (fake_count(f, "HOLD") < 1) pump(ac, 10, NULL, 0);
    assert_int_equal(rill_async_commandf(ac, on_reply, &drop, "DROP"), RILL_OK);
    assert_true(pump(ac, 3000, &hold.calls, 1));
    assert_int_equal(hold.err, RILL_ECLOSED);   /* it may have run: reported, not resent */
    assert_true(pump(ac, 3000, &drop.calls, 1));
    assert_int_equal(drop.err, RILL_ECLOSED);
    assert_true(pump(ac, 3000, &downs, 1));
    assert_true(pump(ac, 5000, &ups, 2));       /* re-dialed */
    assert_int_equal(rill_async_commandf(ac, on_reply, &after, "ECHO y"), RILL_OK);
    assert_true(pump(ac, 3000, &after.calls, 1));
    assert_int_equal(after.err, RILL_OK);
    pump(ac, 100, NULL, 0);
    assert_int_equal(fake_count(f, "HOLD"), 1);   /* never ran twice */
    assert_int_equal(fake_count(f, "DROP"), 1);
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_resubscribe_after_drop(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    rill_async_opts opts = {.password = "secret", .poll_wait_ms = 200};
    ups = downs = 0;
    assert_int_equal(rill_async_connect(f->url, &opts, &ac), RILL_OK);
    rill_async_set_connect_cb(ac, on_conn, NULL);
    msgs g = {0};
    assert_int_equal(rill_async_subscribe(ac, "news", on_msg, &g), RILL_OK);
    assert_int_equal(rill_async_subscribe(ac, "news", NULL, NULL), RILL_EINVAL);
    while (fake_count(f, "POLL") < 1) pump(ac, 10, NULL, 0);
    outcome o = {0};
    rill_async_commandf(ac, on_reply, &o, "PUB one");
    assert_true(pump(ac, 3000, &g.n, 1));
    assert_string_equal(g.last, "one");
    /* AUTH went first, then SUBSCRIBE, then POLL. */
    assert_true(fake_index(f, "AUTH", 0) >= 0);
    assert_true(fake_index(f, "AUTH", 0) < fake_index(f, "SUBSCRIBE", 0));
    assert_true(fake_index(f, "SUBSCRIBE", 0) < fake_index(f, "POLL", 0));

    /* The POLLs so far, counted before the drop: the fake parks a POLL
     * until a PUB, so the new connection sends exactly one before "two"
     * (counting after the resubscribe could miss it, and then wait for a
     * second POLL that never comes). */
    int polls = fake_count(f, "POLL");
    outcome drop = {0};
    rill_async_commandf(ac, on_reply, &drop, "DROP");
    assert_true(pump(ac, 5000, &ups, 2));
    while (fake_count(f, "SUBSCRIBE news") < 2) assert_true(pump(ac, 10, NULL, 0));
    assert_int_equal(fake_count(f, "AUTH"), 2);   /* authenticated again */
    assert_true(fake_index(f, "AUTH", 1) < fake_index(f, "SUBSCRIBE", 1));
    while (fake_count(f, "POLL") <= polls) pump(ac, 10, NULL, 0);
    rill_async_commandf(ac, on_reply, &o, "PUB two");
    assert_true(pump(ac, 3000, &g.n, 2));   /* messages flow again on the new connection */
    assert_string_equal(g.last, "two");

    assert_int_equal(rill_async_unsubscribe(ac, "news"), RILL_OK);
    assert_int_equal(rill_async_unsubscribe(ac, "news"), RILL_EINVAL);
    while (fake_count(f, "UNSUBSCRIBE") < 1) pump(ac, 10, NULL, 0);
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_queued_before_server(void **state)
{
    fake *f = fake_new(0);   /* nobody listening yet */
    rill_async *ac;
    assert_int_equal(rill_async_connect(f->url, &(rill_async_opts){.reconnect_max_ms = 100}, &ac), RILL_OK);
    outcome o = {0};
    assert_int_equal(rill_async_commandf(ac, on_reply, &o, "SET a 1"), RILL_OK);
    pump(ac, 150, NULL, 0);
    assert_int_equal(o.calls, 0);   /* waits: never sent, so it may go later */
    assert_int_equal(rill_async_connected(ac), 0);
    fake_listen(f);
    assert_true(pump(ac, 5000, &o.calls, 1));
    assert_int_equal(o.err, RILL_OK);
    assert_int_equal(fake_count(f, "SET"), 1);
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_close_cancels(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    assert_int_equal(rill_async_connect(f->url, &(rill_async_opts){.max_in_flight = 1}, &ac), RILL_OK);
    outcome held = {0}, queued = {0};
    rill_async_commandf(ac, on_reply, &held, "HOLD z");
    rill_async_commandf(ac, on_reply, &queued, "SET q 1");   /* waits behind the one in flight */
    while (fake_count(f, "HOLD") < 1) pump(ac, 10, NULL, 0);
    assert_int_equal(rill_async_pending(ac), 2);
    rill_async_close(ac);
    assert_int_equal(held.calls, 1);
    assert_int_equal(held.err, RILL_ECANCELED);
    assert_int_equal(queued.calls, 1);
    assert_int_equal(queued.err, RILL_ECANCELED);
    fake_free(f);
}

static void test_async_timeout(void **state)
{
    fake *f = fake_new(1);
    rill_async *ac;
    assert_int_equal(rill_async_connect(f->url, &(rill_async_opts){.command_timeout_ms = 100}, &ac), RILL_OK);
    outcome o = {0};
    rill_async_commandf(ac, on_reply, &o, "HOLD t");
    assert_true(pump(ac, 3000, &o.calls, 1));
    assert_int_equal(o.err, RILL_ETIMEDOUT);
    rill_async_close(ac);
    fake_free(f);
}

static void test_async_bad_url(void **state)
{
    rill_async *ac = (rill_async *)1;
    assert_int_equal(rill_async_connect("nope://x", NULL, &ac), RILL_ECONNECT);
    assert_null(ac);
    assert_int_equal(rill_async_connect(NULL, NULL, &ac), RILL_EINVAL);
}

static void test_sync_drop_is_eclosed(void **state)
{
    fake *f = fake_new(1);
    rill_client *c;
    assert_int_equal(rill_connect(f->url, 2000, &c), RILL_OK);
    const char *hold[] = {"HOLD", "s"}, *drop[] = {"DROP"};
    assert_int_equal(rill_append(c, 2, hold, NULL), RILL_OK);
    while (fake_count(f, "HOLD") < 1) usleep(5000);
    assert_int_equal(rill_append(c, 1, drop, NULL), RILL_OK);
    rill_reply *r;
    assert_int_equal(rill_get_reply(c, &r), RILL_ECLOSED);
    assert_int_equal(rill_get_reply(c, &r), RILL_ECLOSED);
    usleep(300000);   /* time for a (wrong) resend on the new pipe */
    assert_int_equal(fake_count(f, "HOLD"), 1);
    rill_close(c);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_scalars),
        cmocka_unit_test(test_decode_binary_bulk),
        cmocka_unit_test(test_decode_verbatim),
        cmocka_unit_test(test_decode_nested),
        cmocka_unit_test(test_decode_garbage),
        cmocka_unit_test(test_decode_empty_is_null),
        cmocka_unit_test(test_decode_unknown_kind),
        cmocka_unit_test(test_decode_too_deep),
        cmocka_unit_test(test_encode_request),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_subs_registry),
        cmocka_unit_test(test_parse_message),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_async_reply_and_pending),
        cmocka_unit_test(test_async_hostile_replies),
        cmocka_unit_test(test_async_many_in_flight),
        cmocka_unit_test(test_async_drop_fails_in_flight_once),
        cmocka_unit_test(test_async_resubscribe_after_drop),
        cmocka_unit_test(test_async_queued_before_server),
        cmocka_unit_test(test_async_close_cancels),
        cmocka_unit_test(test_async_timeout),
        cmocka_unit_test(test_async_bad_url),
        cmocka_unit_test(test_sync_drop_is_eclosed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
