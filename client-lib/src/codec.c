/* codec.c — protobuf Request/Reply <-> librill's argv and reply tree.
 *
 * Replies are unpacked with protobuf-c and copied into a rill_reply tree
 * (one allocation per node and string), so the protobuf message can be
 * freed at once and the tree outlives it.  The depth is checked before
 * each level is converted: a hostile server cannot make the client recurse
 * without bound.  The formatter splits hiredis-style formats into argv.
 */
#include "internal.h"
#include "rill.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply_free_tree(rill_reply *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nelem; i++) reply_free_tree(r->elem[i]);
    free(r->elem);
    free(r->str);
    free(r);
}

void rill_reply_free(rill_reply *r) { reply_free_tree(r); }

/* convert copies v; *toodeep is set when the tree nests past the limit. */
static rill_reply *convert(const Rill__Value *v, int depth, int *toodeep)
{
    if (depth > RILL_MAX_DEPTH) {
        *toodeep = 1;
        return NULL;
    }
    rill_reply *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->type = (unsigned)v->kind <= RILL__VALUE__KIND__PUSH ? (rill_reply_type)v->kind : RILL_REPLY_NULL;
    r->integer = v->integer;
    r->dbl = v->dbl;
    switch (r->type) {
    case RILL_REPLY_SIMPLE: case RILL_REPLY_ERROR: case RILL_REPLY_BULK:
    case RILL_REPLY_VERBATIM: case RILL_REPLY_BIGNUM:
        r->str = malloc(v->str.len + 1);
        if (!r->str) goto fail;
        if (v->str.len) memcpy(r->str, v->str.data, v->str.len);
        r->str[v->str.len] = '\0';
        r->len = v->str.len;
        if (r->type == RILL_REPLY_VERBATIM) snprintf(r->fmt, sizeof r->fmt, "%s", v->fmt && *v->fmt ? v->fmt : "txt");
        break;
    case RILL_REPLY_ARRAY: case RILL_REPLY_MAP: case RILL_REPLY_SET: case RILL_REPLY_PUSH:
        if (v->n_elems) {
            r->elem = calloc(v->n_elems, sizeof *r->elem);
            if (!r->elem) goto fail;
            for (size_t i = 0; i < v->n_elems; i++) {
                r->elem[i] = convert(v->elems[i], depth + 1, toodeep);
                if (!r->elem[i]) goto fail;
                r->nelem = i + 1;
            }
        }
        break;
    default:
        break;
    }
    return r;
fail:
    reply_free_tree(r);
    return NULL;
}

int rill_decode_reply(const void *buf, size_t len, uint64_t *id, rill_reply **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    Rill__Reply *rep = rill__reply__unpack(NULL, len, buf);
    if (!rep) {
        if (errbuf) snprintf(errbuf, errlen, "reply is not a valid Reply message (%zu bytes)", len);
        return RILL_EPROTO;
    }
    if (id) *id = rep->id;
    static const Rill__Value null_value = RILL__VALUE__INIT;
    int toodeep = 0;
    *out = convert(rep->value ? rep->value : &null_value, 0, &toodeep);
    rill__reply__free_unpacked(rep, NULL);
    if (*out) return RILL_OK;
    if (toodeep) {
        if (errbuf) snprintf(errbuf, errlen, "reply nested deeper than %d levels", RILL_MAX_DEPTH);
        return RILL_EPROTO;
    }
    if (errbuf) snprintf(errbuf, errlen, "out of memory decoding the reply");
    return RILL_ENOMEM;
}

int rill_decode_batch_reply(const void *buf, size_t len, uint64_t *id, size_t n, const uint64_t *ids,
                            rill_reply **out, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < n; i++) out[i] = NULL;
    Rill__Reply *rep = rill__reply__unpack(NULL, len, buf);
    if (!rep) {
        if (errbuf) snprintf(errbuf, errlen, "reply is not a valid Reply message (%zu bytes)", len);
        return RILL_EPROTO;
    }
    if (id) *id = rep->id;
    static const Rill__Value null_value = RILL__VALUE__INIT;
    int code = RILL_OK, toodeep = 0;
    if (rep->n_batch == 0) {   /* the batch was refused whole: each entry gets that answer */
        for (size_t i = 0; i < n && code == RILL_OK; i++)
            if (!(out[i] = convert(rep->value ? rep->value : &null_value, 0, &toodeep)))
                code = toodeep ? RILL_EPROTO : RILL_ENOMEM;
    } else if (rep->n_batch != n) {
        code = RILL_EPROTO;
        if (errbuf) snprintf(errbuf, errlen, "batch reply with %zu replies for %zu requests", rep->n_batch, n);
    } else {
        for (size_t i = 0; i < n && code == RILL_OK; i++) {
            const Rill__Reply *e = rep->batch[i];
            if (e->id != ids[i]) {
                code = RILL_EPROTO;
                if (errbuf)
                    snprintf(errbuf, errlen, "batch reply id %llu for request %llu", (unsigned long long)e->id,
                             (unsigned long long)ids[i]);
            } else if (!(out[i] = convert(e->value ? e->value : &null_value, 0, &toodeep))) {
                code = toodeep ? RILL_EPROTO : RILL_ENOMEM;
            }
        }
    }
    rill__reply__free_unpacked(rep, NULL);
    if (code != RILL_OK) {
        for (size_t i = 0; i < n; i++) {
            rill_reply_free(out[i]);
            out[i] = NULL;
        }
        if (errbuf && toodeep) snprintf(errbuf, errlen, "reply nested deeper than %d levels", RILL_MAX_DEPTH);
        else if (errbuf && code == RILL_ENOMEM) snprintf(errbuf, errlen, "out of memory decoding the reply");
    }
    return code;
}

void *rill_encode_request(uint64_t id, int argc, const char *const *argv, const size_t *argvlen, size_t *outlen)
{
    ProtobufCBinaryData stackargs[16];
    ProtobufCBinaryData *args = argc <= 16 ? stackargs : malloc((size_t)argc * sizeof *args);
    if (!args) return NULL;
    for (int i = 0; i < argc; i++) {
        args[i].data = (uint8_t *)argv[i];
        args[i].len = argvlen ? argvlen[i] : strlen(argv[i]);
    }
    Rill__Request req = RILL__REQUEST__INIT;
    req.id = id;
    req.n_argv = (size_t)argc;
    req.argv = args;
    size_t n = rill__request__get_packed_size(&req);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf) rill__request__pack(&req, buf);
    if (args != stackargs) free(args);
    *outlen = n;
    return buf;
}

/* ---- formatting ------------------------------------------------------------ */

typedef struct fbuf {
    char *p;
    size_t len, cap;
} fbuf;

static int fb_add(fbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return -1;
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

void rill_format_free(rill_fargs *fa)
{
    free(fa->argv);
    free(fa->lens);
    free(fa->buf);
    memset(fa, 0, sizeof *fa);
}

int rill_format_argv(rill_fargs *fa, const char *fmt, va_list ap, char *errbuf, size_t errlen)
{
    memset(fa, 0, sizeof *fa);
    fbuf all = {0};
    size_t *offs = NULL, *lens = NULL;
    int argc = 0, cap = 0, inword = 0, code = RILL_OK;
    size_t start = 0;
    for (const char *f = fmt;; f++) {
        if (*f == ' ' || *f == '\0') {
            if (inword) {
                if (argc == cap) {
                    cap = cap ? cap * 2 : 8;
                    size_t *o2 = realloc(offs, cap * sizeof *o2);
                    if (!o2) { code = RILL_ENOMEM; break; }
                    offs = o2;
                    size_t *l2 = realloc(lens, cap * sizeof *l2);
                    if (!l2) { code = RILL_ENOMEM; break; }
                    lens = l2;
                }
                offs[argc] = start;
                lens[argc] = all.len - start;
                argc++;
                inword = 0;
                if (fb_add(&all, "", 1)) { code = RILL_ENOMEM; break; }   /* each argument NUL-terminated */
            }
            if (*f == '\0') break;
            continue;
        }
        if (!inword) {
            inword = 1;
            start = all.len;
        }
        if (*f != '%') {
            if (fb_add(&all, f, 1)) { code = RILL_ENOMEM; break; }
            continue;
        }
        f++;
        char num[64];
        int k = -1;
        if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            if (fb_add(&all, s ? s : "", s ? strlen(s) : 0)) { code = RILL_ENOMEM; break; }
        } else if (*f == 'b') {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            if (fb_add(&all, p, n)) { code = RILL_ENOMEM; break; }
        } else if (*f == '%') {
            if (fb_add(&all, "%", 1)) { code = RILL_ENOMEM; break; }
        } else if (*f == 'd' || *f == 'i') {
            k = snprintf(num, sizeof num, "%d", va_arg(ap, int));
        } else if (*f == 'u') {
            k = snprintf(num, sizeof num, "%u", va_arg(ap, unsigned));
        } else if (*f == 'f' || *f == 'g') {
            k = snprintf(num, sizeof num, *f == 'f' ? "%f" : "%.17g", va_arg(ap, double));
        } else if (f[0] == 'l' && (f[1] == 'd' || f[1] == 'i')) {
            k = snprintf(num, sizeof num, "%ld", va_arg(ap, long));
            f++;
        } else if (f[0] == 'l' && f[1] == 'u') {
            k = snprintf(num, sizeof num, "%lu", va_arg(ap, unsigned long));
            f++;
        } else if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'd' || f[2] == 'i')) {
            k = snprintf(num, sizeof num, "%lld", va_arg(ap, long long));
            f += 2;
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u') {
            k = snprintf(num, sizeof num, "%llu", va_arg(ap, unsigned long long));
            f += 2;
        } else {
            if (errbuf) snprintf(errbuf, errlen, "unsupported format directive '%%%c'", *f ? *f : '?');
            code = RILL_EINVAL;
            break;
        }
        if (k >= 0 && fb_add(&all, num, (size_t)k)) { code = RILL_ENOMEM; break; }
    }
    if (code == RILL_OK && argc == 0) {
        if (errbuf) snprintf(errbuf, errlen, "empty command");
        code = RILL_EINVAL;
    }
    const char **argv = NULL;
    if (code == RILL_OK && !(argv = malloc((size_t)argc * sizeof *argv))) code = RILL_ENOMEM;
    if (code != RILL_OK) {
        free(all.p);
        free(offs);
        free(lens);
        if (code == RILL_ENOMEM && errbuf) snprintf(errbuf, errlen, "out of memory");
        return code;
    }
    for (int i = 0; i < argc; i++) argv[i] = all.p + offs[i];
    free(offs);
    fa->argc = argc;
    fa->argv = argv;
    fa->lens = lens;
    fa->buf = all.p;
    return RILL_OK;
}

/* ---- accessors -------------------------------------------------------------- */

rill_reply_type rill_reply_type_of(const rill_reply *r) { return r ? r->type : RILL_REPLY_NULL; }
long long rill_reply_integer(const rill_reply *r) { return r ? r->integer : 0; }
double rill_reply_double(const rill_reply *r) { return r ? r->dbl : 0.0; }
const char *rill_reply_format(const rill_reply *r) { return r ? r->fmt : ""; }
size_t rill_reply_len(const rill_reply *r) { return r ? r->nelem : 0; }

const char *rill_reply_string(const rill_reply *r, size_t *len)
{
    if (!r || !r->str) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = r->len;
    return r->str;
}

const rill_reply *rill_reply_element(const rill_reply *r, size_t i)
{
    return r && i < r->nelem ? r->elem[i] : NULL;
}
