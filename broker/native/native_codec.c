/* native_codec.c — Request decoding and the Reply value tree (see native_codec.h).
 *
 * The Request decoder is hand-written rather than protobuf-c's unpack: it
 * walks the wire format twice, first to validate it and count the
 * arguments without allocating anything, then to copy each argument once,
 * straight from the message body into the argv.  protobuf-c's unpack would
 * copy every argument into its own allocation first, and a 100 MB SET
 * would pay for it.  The format it accepts is exactly protobuf's: any
 * field in any order, unknown fields of the four usual wire types skipped,
 * a repeated scalar read last-one-wins; groups (wire types 3 and 4, long
 * deprecated) are refused.
 */
#include "native_codec.h"
#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void builder_release(native_builder *b);

const char *native_strerror(int err)
{
    switch (err) {
    case NATIVE_OK: return "ok";
    case NATIVE_ETOOBIG: return "request larger than native-max-frame";
    case NATIVE_EPARSE: return "not a valid Request message";
    case NATIVE_EEMPTY: return "empty request: argv has no command";
    case NATIVE_ETOOMANY: return "too many arguments in one request";
    case NATIVE_BATCH: return "a batch";
    case NATIVE_EMIXED: return "a batch request cannot have argv of its own";
    case NATIVE_ETOOMANYBATCH: return "too many requests in one batch";
    case NATIVE_ENESTED: return "a batch entry cannot be a batch";
    case NATIVE_EBATCHPOLL: return "POLL cannot be part of a batch";
    }
    return "unknown error";
}

/* ------------------------------------------------------------------------
 * Request decoding
 * ------------------------------------------------------------------------ */

/* read_varint reads a base-128 varint at *p (< end); 0, or -1 if truncated
 * or longer than 10 bytes. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    if (*p < end && **p < 0x80) {   /* one byte: keys, ids and lengths under 128 */
        *out = *(*p)++;
        return 0;
    }
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end) return -1;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* walk validates body; counts argv into *argc and stores the last id.  With
 * out != NULL it also pushes every argument into out. */
static int walk(const uint8_t *p, const uint8_t *end, uint64_t *id, long *argc, long *nbatch, argv_t *out)
{
    *argc = 0;
    *nbatch = 0;
    while (p < end) {
        uint64_t key, v;
        if (read_varint(&p, end, &key) < 0) return NATIVE_EPARSE;
        uint64_t field = key >> 3;
        int wt = (int)(key & 7);
        if (field == 0 || field > 0x1fffffff) return NATIVE_EPARSE;
        switch (wt) {
        case 0:   /* varint */
            if (read_varint(&p, end, &v) < 0) return NATIVE_EPARSE;
            if (field == 1) *id = v;
            else if (field == 2 || field == 3) return NATIVE_EPARSE;
            break;
        case 1:   /* 64-bit */
            if (end - p < 8 || field <= 3) return NATIVE_EPARSE;
            p += 8;
            break;
        case 5:   /* 32-bit */
            if (end - p < 4 || field <= 3) return NATIVE_EPARSE;
            p += 4;
            break;
        case 2:   /* length-delimited */
            if (read_varint(&p, end, &v) < 0) return NATIVE_EPARSE;
            if (v > (uint64_t)(end - p)) return NATIVE_EPARSE;
            if (field == 1) return NATIVE_EPARSE;   /* packed uint64 is not valid for a singular field here */
            if (field == 2) {
                if (++*argc > NATIVE_MAX_ARGC) return NATIVE_ETOOMANY;
                if (out) argv_push(out, p, (size_t)v);
            } else if (field == 3 && ++*nbatch > NATIVE_MAX_BATCH) {
                return NATIVE_ETOOMANYBATCH;
            }
            p += v;
            break;
        default:
            return NATIVE_EPARSE;
        }
    }
    return NATIVE_OK;
}

int native_decode_request(const void *body, size_t len, size_t max_frame, uint64_t *id, argv_t *out)
{
    const uint8_t *p = body, *end = p + len;
    long argc = 0, nbatch = 0;
    *id = 0;
    if (max_frame && len > max_frame) return NATIVE_ETOOBIG;
    int rc = walk(p, end, id, &argc, &nbatch, NULL);
    if (rc != NATIVE_OK) return rc;
    if (nbatch > 0) return argc > 0 ? NATIVE_EMIXED : NATIVE_BATCH;
    if (argc == 0) return NATIVE_EEMPTY;
    uint64_t id2 = 0;
    argv_reserve(out, (int)argc);
    walk(p, end, &id2, &argc, &nbatch, out);
    return NATIVE_OK;
}

int native_batch_entries(const void *body, size_t len, native_span *spans, int max)
{
    const uint8_t *base = body, *p = base, *end = p + len;
    int n = 0;
    while (p < end) {   /* the body was validated by native_decode_request */
        uint64_t key, v = 0;
        if (read_varint(&p, end, &key) < 0) break;
        switch ((int)(key & 7)) {
        case 0: read_varint(&p, end, &v); break;
        case 1: p += 8; break;
        case 5: p += 4; break;
        case 2:
            if (read_varint(&p, end, &v) < 0) return n;
            if ((key >> 3) == 3) {
                if (spans && n < max) {
                    spans[n].off = (size_t)(p - base);
                    spans[n].len = (size_t)v;
                }
                n++;
            }
            p += v;
            break;
        default: return n;
        }
    }
    return n;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Replies are encoded by hand (protobuf-c's generic packer computes each
 * nested message's size again at every level and walks field descriptors;
 * it was the largest item of the core thread at pipeline 16).  The bytes
 * are protobuf-c's, field for field: proto3 defaults omitted, fields in
 * number order (native_codec_test checks them against rill__reply__pack). */

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

static int dbl_is_zero(double d) { return d == 0; }   /* as protobuf-c: -0.0 is left out too */

static size_t value_size(const Rill__Value *v)
{
    size_t n = 0;
    if (v->kind) n += 1 + varint_len((uint64_t)(int64_t)v->kind);
    if (v->str.len) n += 1 + varint_len(v->str.len) + v->str.len;
    if (v->integer) n += 1 + varint_len(zigzag(v->integer));
    if (!dbl_is_zero(v->dbl)) n += 1 + 8;
    if (v->fmt && v->fmt[0]) {
        size_t l = strlen(v->fmt);
        n += 1 + varint_len(l) + l;
    }
    for (size_t i = 0; i < v->n_elems; i++) {
        size_t e = value_size(v->elems[i]);
        n += 1 + varint_len(e) + e;
    }
    return n;
}

static uint8_t *value_put(const Rill__Value *v, uint8_t *p)
{
    if (v->kind) {
        *p++ = 0x08;
        p = put_varint(p, (uint64_t)(int64_t)v->kind);
    }
    if (v->str.len) {
        *p++ = 0x12;
        p = put_varint(p, v->str.len);
        memcpy(p, v->str.data, v->str.len);
        p += v->str.len;
    }
    if (v->integer) {
        *p++ = 0x18;
        p = put_varint(p, zigzag(v->integer));
    }
    if (!dbl_is_zero(v->dbl)) {
        uint64_t bits;
        memcpy(&bits, &v->dbl, 8);
        *p++ = 0x21;
        for (int i = 0; i < 8; i++) *p++ = (uint8_t)(bits >> (8 * i));   /* little-endian fixed64 */
    }
    if (v->fmt && v->fmt[0]) {
        size_t l = strlen(v->fmt);
        *p++ = 0x2a;
        p = put_varint(p, l);
        memcpy(p, v->fmt, l);
        p += l;
    }
    for (size_t i = 0; i < v->n_elems; i++) {
        *p++ = 0x32;
        p = put_varint(p, value_size(v->elems[i]));
        p = value_put(v->elems[i], p);
    }
    return p;
}

size_t native_reply_size(uint64_t id, const Rill__Value *value)
{
    size_t n = id ? 1 + varint_len(id) : 0;
    if (value) {
        size_t e = value_size(value);
        n += 1 + varint_len(e) + e;
    }
    return n;
}

size_t native_encode_reply(uint64_t id, const Rill__Value *value, uint8_t *out)
{
    uint8_t *p = out;
    if (id) {
        *p++ = 0x08;
        p = put_varint(p, id);
    }
    if (value) {
        *p++ = 0x12;
        p = put_varint(p, value_size(value));
        p = value_put(value, p);
    }
    return (size_t)(p - out);
}

size_t native_batch_reply_size(uint64_t id, int n, const uint64_t *ids, Rill__Value *const *values)
{
    size_t sz = native_reply_size(id, NULL);
    for (int i = 0; i < n; i++) {
        size_t e = native_reply_size(ids[i], values[i]);
        sz += 1 + varint_len(e) + e;   /* key 0x1a, length, Reply */
    }
    return sz;
}

size_t native_encode_batch_reply(uint64_t id, int n, const uint64_t *ids, Rill__Value *const *values, uint8_t *out)
{
    uint8_t *p = out + native_encode_reply(id, NULL, out);
    for (int i = 0; i < n; i++) {
        *p++ = 0x1a;
        p = put_varint(p, native_reply_size(ids[i], values[i]));
        p += native_encode_reply(ids[i], values[i], p);
    }
    return (size_t)(p - out);
}

/* ------------------------------------------------------------------------
 * The reply tree
 * ------------------------------------------------------------------------ */

void native_builder_init(native_builder *b)
{
    memset(b, 0, sizeof *b);
}

void native_value_free(Rill__Value *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n_elems; i++) native_value_free(v->elems[i]);
    xfree(v->elems);
    xfree(v->str.data);
    if (v->fmt && v->fmt != protobuf_c_empty_string) xfree(v->fmt);
    xfree(v);
}

void native_builder_reset(native_builder *b)
{
    for (int i = 0; i < b->ntop; i++) native_value_free(b->top[i]);
    b->ntop = 0;
    b->depth = 0;
    b->active = 0;
}

void native_builder_free(native_builder *b)
{
    native_builder_reset(b);
    builder_release(b);
}

static void builder_release(native_builder *b)
{
    xfree(b->top);
    xfree(b->stack);
    b->top = NULL;
    b->stack = NULL;
    b->captop = b->capdepth = 0;
}

/* pop_full closes aggregates that have all their elements. */
static void pop_full(native_builder *b)
{
    while (b->depth > 0) {
        native_open *o = &b->stack[b->depth - 1];
        if (o->want < 0 || (long)o->v->n_elems < o->want) break;
        b->depth--;
    }
}

static void attach(native_builder *b, Rill__Value *v)
{
    if (b->depth == 0) {
        if (b->ntop == b->captop) {
            b->captop = b->captop ? b->captop * 2 : 2;
            b->top = xrealloc(b->top, b->captop * sizeof *b->top);
        }
        b->top[b->ntop++] = v;
        return;
    }
    Rill__Value *parent = b->stack[b->depth - 1].v;
    size_t n = parent->n_elems;
    if ((n & (n - 1)) == 0)   /* 0, 1, 2, 4, ...: capacity is the next power of two */
        parent->elems = xrealloc(parent->elems, (n ? n * 2 : 1) * sizeof *parent->elems);
    parent->elems[n] = v;
    parent->n_elems = n + 1;
    pop_full(b);
}

static Rill__Value *add(native_builder *b, Rill__Value__Kind kind)
{
    if (!b->active) {
        b->dropped++;
        return NULL;
    }
    Rill__Value *v = xmalloc(sizeof *v);
    rill__value__init(v);
    v->kind = kind;
    attach(b, v);
    return v;
}

static void push_open(native_builder *b, Rill__Value *v, long want)
{
    if (b->depth == b->capdepth) {
        b->capdepth = b->capdepth ? b->capdepth * 2 : 8;
        b->stack = xrealloc(b->stack, b->capdepth * sizeof *b->stack);
    }
    b->stack[b->depth].v = v;
    b->stack[b->depth].want = want;
    b->depth++;
}

static void set_bytes(Rill__Value *v, const void *p, size_t n)
{
    if (!v) return;
    v->str.data = xmalloc(n ? n : 1);
    if (n) memcpy(v->str.data, p, n);
    v->str.len = n;
}

Rill__Value *native_builder_finish(native_builder *b)
{
    b->depth = 0;   /* a handler left something open: it stays as it is */
    Rill__Value *v;
    if (b->ntop == 1) {
        v = b->top[0];
    } else {
        v = xmalloc(sizeof *v);
        rill__value__init(v);
        if (b->ntop > 1) {   /* several top-level values (a push and a reply): an array of them */
            v->kind = RILL__VALUE__KIND__ARRAY;
            v->elems = xmalloc(b->ntop * sizeof *v->elems);
            memcpy(v->elems, b->top, b->ntop * sizeof *v->elems);
            v->n_elems = (size_t)b->ntop;
        }
    }
    b->ntop = 0;
    b->active = 0;
    if (b->captop > 64) builder_release(b);
    return v;
}

/* ------------------------------------------------------------------------
 * reply_ops
 * ------------------------------------------------------------------------ */

#include "session.h"

static native_builder *B(struct session *c) { return (native_builder *)c->fe_state; }

static void n_simple(struct session *c, const char *s, size_t n)
{
    set_bytes(add(B(c), RILL__VALUE__KIND__SIMPLE), s, n);
}

static void n_error(struct session *c, const char *s, size_t n)
{
    set_bytes(add(B(c), RILL__VALUE__KIND__ERROR), s, n);
}

static void n_integer(struct session *c, long long v)
{
    Rill__Value *x = add(B(c), RILL__VALUE__KIND__INTEGER);
    if (x) x->integer = v;
}

static void n_bulk(struct session *c, const void *p, size_t n)
{
    set_bytes(add(B(c), RILL__VALUE__KIND__BULK), p, n);
}

static void n_null(struct session *c) { add(B(c), RILL__VALUE__KIND__NULL); }

static void n_dbl(struct session *c, double d)
{
    Rill__Value *x = add(B(c), RILL__VALUE__KIND__DOUBLE);
    if (x) x->dbl = d;
}

static void n_boolean(struct session *c, int b)
{
    Rill__Value *x = add(B(c), RILL__VALUE__KIND__BOOLEAN);
    if (x) x->integer = b ? 1 : 0;
}

static void n_verbatim(struct session *c, const char *p, size_t n, const char *ext)
{
    Rill__Value *x = add(B(c), RILL__VALUE__KIND__VERBATIM);
    if (!x) return;
    set_bytes(x, p, n);
    x->fmt = xstrdup(ext ? ext : "txt");
}

static void n_bignum(struct session *c, const char *p, size_t n)
{
    set_bytes(add(B(c), RILL__VALUE__KIND__BIGNUM), p, n);
}

static Rill__Value__Kind agg_kind(reply_agg kind)
{
    switch (kind) {
    case RV_MAP: return RILL__VALUE__KIND__MAP;
    case RV_SET: return RILL__VALUE__KIND__SET;
    case RV_PUSH: return RILL__VALUE__KIND__PUSH;
    case RV_ATTRIBUTE: return RILL__VALUE__KIND__MAP;
    case RV_ARRAY: break;
    }
    return RILL__VALUE__KIND__ARRAY;
}

static void n_agg(struct session *c, reply_agg kind, long n)
{
    native_builder *b = B(c);
    Rill__Value *x = add(b, agg_kind(kind));
    if (!x || n <= 0) return;
    push_open(b, x, (kind == RV_MAP || kind == RV_ATTRIBUTE) ? 2 * n : n);
}

static void *n_defer(struct session *c)
{
    native_builder *b = B(c);
    Rill__Value *x = add(b, RILL__VALUE__KIND__ARRAY);
    if (!x) return NULL;
    push_open(b, x, -1);
    return x;
}

static void n_set_deferred(struct session *c, void *handle, reply_agg kind, long n)
{
    native_builder *b = B(c);
    if (!handle) return;
    Rill__Value *x = handle;
    x->kind = agg_kind(kind);
    for (int i = b->depth - 1; i >= 0; i--)
        if (b->stack[i].v == x) {
            b->depth = i;   /* closes it and anything left open inside it */
            break;
        }
    pop_full(b);
}

/* n_raw: already-encoded RESP (DEBUG ERROR, shared messages).  Pushes go
 * to the builder's on_push when it has one.  The single
 * line types become their values; anything else is passed on as a bulk. */
static void n_raw(struct session *c, const void *p, size_t n)
{
    const char *s = p;
    size_t len = n;
    if (B(c)->on_push && n && (s[0] == '>' || s[0] == '*')) {
        B(c)->on_push(c, p, n);
        return;
    }
    if (len >= 2 && s[len - 2] == '\r' && s[len - 1] == '\n') len -= 2;
    if (len >= 1 && s[0] == '-' && !memchr(s, '\n', len)) n_error(c, s + 1, len - 1);
    else if (len >= 1 && s[0] == '+' && !memchr(s, '\n', len)) n_simple(c, s + 1, len - 1);
    else n_bulk(c, p, n);
}

const reply_ops native_reply_ops = {
    .simple = n_simple,
    .error = n_error,
    .integer = n_integer,
    .bulk = n_bulk,
    .null = n_null,
    .null_array = n_null,
    .dbl = n_dbl,
    .boolean = n_boolean,
    .verbatim = n_verbatim,
    .bignum = n_bignum,
    .agg = n_agg,
    .defer = n_defer,
    .set_deferred = n_set_deferred,
    .raw = n_raw,
};

/* ------------------------------------------------------------------------
 * pushes: RESP aggregates (pub/sub messages) back into values
 * ------------------------------------------------------------------------ */

#define PUSH_MAX_DEPTH 8

/* parse_line finds the CRLF-terminated line at p: its payload length in
 * *len, or -1 when incomplete. */
static long parse_line(const char *p, const char *end, size_t *len)
{
    const char *e = memchr(p, '\r', (size_t)(end - p));
    if (!e || e + 1 >= end || e[1] != '\n') return -1;
    *len = (size_t)(e - p);
    return (long)(*len + 2);
}

static int parse_ll(const char *p, size_t n, long long *out)
{
    if (n == 0 || n > 20) return -1;
    char buf[24];
    memcpy(buf, p, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (*e || errno) return -1;
    *out = v;
    return 0;
}

static size_t parse_value(const char *p, const char *end, int depth, Rill__Value **out)
{
    size_t len;
    if (p >= end || depth > PUSH_MAX_DEPTH) return 0;
    long hl = parse_line(p + 1, end, &len);
    if (hl < 0) return 0;
    const char *body = p + 1;
    size_t used = 1 + (size_t)hl;
    Rill__Value *v = xmalloc(sizeof *v);
    rill__value__init(v);
    long long n;
    switch (p[0]) {
    case '+':
    case '-':
        v->kind = p[0] == '+' ? RILL__VALUE__KIND__SIMPLE : RILL__VALUE__KIND__ERROR;
        set_bytes(v, body, len);
        break;
    case ':':
        if (parse_ll(body, len, &n) < 0) goto bad;
        v->kind = RILL__VALUE__KIND__INTEGER;
        v->integer = n;
        break;
    case '_':
        break;
    case '$':
        if (parse_ll(body, len, &n) < 0) goto bad;
        if (n < 0) break;   /* RESP2 null */
        if ((unsigned long long)n + 2 > (unsigned long long)(end - (p + used))) goto bad;
        if (p[used + n] != '\r' || p[used + n + 1] != '\n') goto bad;
        v->kind = RILL__VALUE__KIND__BULK;
        set_bytes(v, p + used, (size_t)n);
        used += (size_t)n + 2;
        break;
    case '*':
    case '>':
        if (parse_ll(body, len, &n) < 0) goto bad;
        if (n < 0) break;
        if (n > (long long)(end - p)) goto bad;   /* each element takes bytes */
        v->kind = p[0] == '*' ? RILL__VALUE__KIND__ARRAY : RILL__VALUE__KIND__PUSH;
        v->elems = xmalloc((n ? (size_t)n : 1) * sizeof *v->elems);
        for (long long i = 0; i < n; i++) {
            size_t k = parse_value(p + used, end, depth + 1, &v->elems[i]);
            if (!k) goto bad;
            v->n_elems++;
            used += k;
        }
        break;
    default:
        goto bad;
    }
    *out = v;
    return used;
bad:
    native_value_free(v);
    return 0;
}

size_t native_parse_push(const void *p, size_t n, Rill__Value **out)
{
    *out = NULL;
    const char *s = p;
    if (n == 0 || (s[0] != '>' && s[0] != '*')) return 0;
    size_t used = parse_value(s, s + n, 0, out);
    if (used) (*out)->kind = RILL__VALUE__KIND__PUSH;
    return used;
}
