/* object.c — value headers, string encodings, shared integers, number formats. */
#include "object.h"
#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* string_rewrite (snapshot interface): SET key value.  Strings are freed,
 * copied and measured by the functions below, not through the table. */
static int string_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    char buf[24];
    const char *argv[3] = {"SET", key, NULL};
    size_t lens[3] = {3, klen, 0};
    argv[2] = obj_string_ptr(o, buf, &lens[2]);
    return emit(priv, 3, argv, lens);
}

static const obj_type string_obj_type = {.name = "string", .rewrite = string_rewrite};

const obj_type *obj_types[OBJ_TYPE_MAX] = {[OBJ_STRING] = &string_obj_type};
unsigned obj_lru_clock;

static obj shared_ints[OBJ_SHARED_INTEGERS];
static int shared_ready;

static void shared_init(void)
{
    for (long i = 0; i < OBJ_SHARED_INTEGERS; i++) {
        shared_ints[i].type = OBJ_STRING;
        shared_ints[i].encoding = ENC_INT;
        shared_ints[i].refcount = OBJ_SHARED_REFCOUNT;
        shared_ints[i].ptr = (void *)(intptr_t)i;
    }
    shared_ready = 1;
}

void obj_register_type(int type, const obj_type *t) { obj_types[type] = t; }

obj *obj_new(int type, int encoding, void *ptr)
{
    obj *o = xmalloc(sizeof *o);
    o->type = (unsigned)type;
    o->encoding = (unsigned)encoding;
    o->lru = obj_lru_clock;
    o->refcount = 1;
    o->ptr = ptr;
    return o;
}

void obj_incref(obj *o)
{
    if (o->refcount != OBJ_SHARED_REFCOUNT) o->refcount++;
}

static void string_free(obj *o)
{
    if (o->encoding == ENC_RAW) sbuf_free(o->ptr);
}

void obj_decref(obj *o)
{
    if (!o || o->refcount == OBJ_SHARED_REFCOUNT) return;
    if (--o->refcount > 0) return;
    if (o->type == OBJ_STRING) string_free(o);
    else if (obj_types[o->type] && obj_types[o->type]->free) obj_types[o->type]->free(o);
    xfree(o);
}

void obj_free_void(void *o) { obj_decref(o); }

const char *obj_type_name(const obj *o)
{
    if (o->type == OBJ_STRING) return "string";
    if (obj_types[o->type]) return obj_types[o->type]->name;
    return "unknown";
}

const char *obj_encoding_name(const obj *o)
{
    switch (o->encoding) {
    case ENC_RAW: return "raw";
    case ENC_INT: return "int";
    case ENC_HASHTABLE: return "hashtable";
    case ENC_LISTPACK: return "listpack";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_STREAM: return "stream";
    case ENC_EMBSTR: return "embstr";
    case ENC_QUEUE: return "queue";
    }
    return "unknown";
}

/* ---- strings ---------------------------------------------------------- */

static obj *new_embstr(const void *p, size_t len)
{
    obj *o = xmalloc(sizeof(obj) + sizeof(struct sbuf_hdr) + len + 1);
    o->type = OBJ_STRING;
    o->encoding = ENC_EMBSTR;
    o->lru = obj_lru_clock;
    o->refcount = 1;
    o->ptr = sbuf_place((char *)(o + 1), p, len);
    return o;
}

obj *obj_new_ll(long long v)
{
    if (!shared_ready) shared_init();
    if (v >= 0 && v < OBJ_SHARED_INTEGERS) return &shared_ints[v];
    return obj_new(OBJ_STRING, ENC_INT, (void *)(intptr_t)v);
}

obj *obj_new_string_raw(const void *p, size_t len)
{
    if (len <= OBJ_EMBSTR_MAX) return new_embstr(p, len);
    return obj_new(OBJ_STRING, ENC_RAW, sbuf_new(p, len));
}

obj *obj_new_string(const void *p, size_t len)
{
    long long v;
    if (len <= 20 && str_to_ll(p, len, &v)) return obj_new_ll(v);
    return obj_new_string_raw(p, len);
}

obj *obj_new_string_sbuf(sbuf s)
{
    size_t len = sbuf_len(s);
    long long v;
    if (len <= 20 && str_to_ll(s, len, &v)) {
        sbuf_free(s);
        return obj_new_ll(v);
    }
    if (len <= OBJ_EMBSTR_MAX) {
        obj *o = new_embstr(s, len);
        sbuf_free(s);
        return o;
    }
    /* Trim excess capacity on big values taken from the network. */
    if (sbuf_cap(s) - len > len / 10 + 64) s = sbuf_shrink(s);
    return obj_new(OBJ_STRING, ENC_RAW, s);
}

const char *obj_string_ptr(const obj *o, char *buf, size_t *len)
{
    if (o->encoding == ENC_INT) {
        *len = (size_t)ll_to_str(buf, 24, (long long)(intptr_t)o->ptr);
        return buf;
    }
    *len = sbuf_len(o->ptr);
    return o->ptr;
}

size_t obj_string_len(const obj *o)
{
    if (o->encoding == ENC_INT) {
        char buf[24];
        return (size_t)ll_to_str(buf, sizeof buf, (long long)(intptr_t)o->ptr);
    }
    return sbuf_len(o->ptr);
}

int obj_get_ll(const obj *o, long long *v)
{
    if (o->encoding == ENC_INT) {
        *v = (long long)(intptr_t)o->ptr;
        return 0;
    }
    return str_to_ll(o->ptr, sbuf_len(o->ptr), v) ? 0 : -1;
}

obj *obj_string_unshare(obj *o)
{
    if (o->refcount == 1 && o->encoding == ENC_RAW) return o;
    char buf[24];
    size_t len;
    const char *p = obj_string_ptr(o, buf, &len);
    return obj_new(OBJ_STRING, ENC_RAW, sbuf_new(p, len));
}

obj *obj_dup(const obj *o)
{
    if (o->type == OBJ_STRING) {
        if (o->encoding == ENC_INT) return obj_new_ll((long long)(intptr_t)o->ptr);
        return obj_new_string_raw(o->ptr, sbuf_len(o->ptr));
    }
    if (obj_types[o->type] && obj_types[o->type]->dup) return obj_types[o->type]->dup(o);
    return NULL;
}

size_t obj_mem(const obj *o)
{
    if (o->type == OBJ_STRING) {
        if (o->encoding == ENC_RAW) return sizeof(obj) + sbuf_alloc_size(o->ptr);
        if (o->encoding == ENC_EMBSTR) return sizeof(obj) + sizeof(struct sbuf_hdr) + sbuf_len(o->ptr) + 1;
        return sizeof(obj);
    }
    if (obj_types[o->type] && obj_types[o->type]->mem) return sizeof(obj) + obj_types[o->type]->mem(o);
    return sizeof(obj);
}

/* ---- numbers ---------------------------------------------------------- */

int str_to_ll(const char *s, size_t len, long long *value)
{
    const char *p = s;
    size_t plen = 0;
    int negative = 0;
    unsigned long long v;

    if (len == 0 || len >= 21) return 0;
    if (len == 1 && p[0] == '0') {
        if (value) *value = 0;
        return 1;
    }
    if (p[0] == '-') {
        negative = 1;
        p++;
        plen++;
        if (plen == len) return 0;
    }
    if (p[0] >= '1' && p[0] <= '9') {
        v = (unsigned long long)(p[0] - '0');
        p++;
        plen++;
    } else {
        return 0;
    }
    while (plen < len && p[0] >= '0' && p[0] <= '9') {
        if (v > ULLONG_MAX / 10) return 0;
        v *= 10;
        unsigned d = (unsigned)(p[0] - '0');
        if (v > ULLONG_MAX - d) return 0;
        v += d;
        p++;
        plen++;
    }
    if (plen < len) return 0;
    if (negative) {
        if (v > (unsigned long long)(-(LLONG_MIN + 1)) + 1) return 0;
        if (value) *value = (long long)(-v);
    } else {
        if (v > LLONG_MAX) return 0;
        if (value) *value = (long long)v;
    }
    return 1;
}

#define MAX_LONG_DOUBLE_CHARS (5 * 1024)

int str_to_ld(const char *s, size_t len, long double *dp)
{
    char buf[MAX_LONG_DOUBLE_CHARS];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    errno = 0;
    char *eptr;
    long double v = strtold(buf, &eptr);
    if ((size_t)(eptr - buf) != len || (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    if (dp) *dp = v;
    return 1;
}

int str_to_d(const char *s, size_t len, double *dp)
{
    char buf[MAX_LONG_DOUBLE_CHARS];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    errno = 0;
    char *eptr;
    double v = strtod(buf, &eptr);
    if ((size_t)(eptr - buf) != len || (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    if (dp) *dp = v;
    return 1;
}

int ll_to_str(char *dst, size_t dstlen, long long svalue)
{
    char tmp[24];
    unsigned long long v = svalue < 0 ? (unsigned long long)(-(svalue + 1)) + 1 : (unsigned long long)svalue;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (svalue < 0) tmp[n++] = '-';
    if ((size_t)n >= dstlen) return 0;
    for (int i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}

int ld_to_str(char *buf, size_t len, long double value, int human)
{
    int l;
    if (isinf(value)) {
        if (len < 5) return 0;
        l = snprintf(buf, len, "%s", value > 0 ? "inf" : "-inf");
        return l;
    }
    if (!human) {
        l = snprintf(buf, len, "%.17Lg", value);
        if (l < 0 || (size_t)l + 1 > len) return 0;
        return l;
    }
    l = snprintf(buf, len, "%.17Lf", value);
    if (l < 0 || (size_t)l + 1 > len) return 0;
    if (strchr(buf, '.')) {
        char *p = buf + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}

int d_to_str(char *buf, size_t len, double d)
{
    if (isinf(d)) return snprintf(buf, len, "%s", d > 0 ? "inf" : "-inf");
    if (isnan(d)) return snprintf(buf, len, "nan");
    return snprintf(buf, len, "%.17g", d);
}
