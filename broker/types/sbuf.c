/* sbuf.c — binary-safe byte strings with a length header. */
#include "sbuf.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HDR sizeof(struct sbuf_hdr)

static sbuf sbuf_alloc(size_t cap)
{
    char *mem = xmalloc(HDR + cap + 1);
    /* Use whatever the allocator rounded up to. */
    size_t usable = xmalloc_size(mem);
    if (usable > HDR + cap + 1) {
        size_t c = usable - HDR - 1;
        cap = c > SBUF_MAX ? SBUF_MAX : c;
    }
    struct sbuf_hdr *h = (struct sbuf_hdr *)mem;
    h->len = 0;
    h->cap = (uint32_t)cap;
    mem[HDR] = '\0';
    return mem + HDR;
}

sbuf sbuf_new(const void *p, size_t len)
{
    sbuf s = sbuf_alloc(len);
    if (len) {
        if (p) memcpy(s, p, len);
        else memset(s, 0, len);
    }
    SBUF_HDR(s)->len = (uint32_t)len;
    s[len] = '\0';
    return s;
}

sbuf sbuf_empty(size_t cap) { return sbuf_alloc(cap); }
sbuf sbuf_from_cstr(const char *c) { return sbuf_new(c, strlen(c)); }
sbuf sbuf_dup(const char *s) { return sbuf_new(s, sbuf_len(s)); }

sbuf sbuf_from_ll(long long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    return sbuf_new(buf, (size_t)n);
}

void sbuf_free(sbuf s)
{
    if (s) xfree(s - HDR);
}

sbuf sbuf_grow(sbuf s, size_t add)
{
    size_t len = sbuf_len(s), cap = sbuf_cap(s);
    if (cap - len >= add) return s;
    size_t need = len + add;
    size_t ncap = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
    if (ncap > SBUF_MAX) ncap = SBUF_MAX;
    char *mem = xrealloc(s - HDR, HDR + ncap + 1);
    size_t usable = xmalloc_size(mem);
    if (usable > HDR + ncap + 1) {
        ncap = usable - HDR - 1;
        if (ncap > SBUF_MAX) ncap = SBUF_MAX;
    }
    ((struct sbuf_hdr *)mem)->cap = (uint32_t)ncap;
    return mem + HDR;
}

sbuf sbuf_cat(sbuf s, const void *p, size_t len)
{
    s = sbuf_grow(s, len);
    size_t cur = sbuf_len(s);
    memcpy(s + cur, p, len);
    SBUF_HDR(s)->len = (uint32_t)(cur + len);
    s[cur + len] = '\0';
    return s;
}

sbuf sbuf_catfmt(sbuf s, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return s;
    if ((size_t)n < sizeof small) return sbuf_cat(s, small, (size_t)n);
    s = sbuf_grow(s, (size_t)n + 1);
    size_t cur = sbuf_len(s);
    va_start(ap, fmt);
    vsnprintf(s + cur, (size_t)n + 1, fmt, ap);
    va_end(ap);
    SBUF_HDR(s)->len = (uint32_t)(cur + (size_t)n);
    return s;
}

void sbuf_setlen(sbuf s, size_t len)
{
    SBUF_HDR(s)->len = (uint32_t)len;
    s[len] = '\0';
}

sbuf sbuf_resize(sbuf s, size_t len)
{
    size_t cur = sbuf_len(s);
    if (len > cur) {
        s = sbuf_grow(s, len - cur);
        memset(s + cur, 0, len - cur);
    }
    sbuf_setlen(s, len);
    return s;
}

sbuf sbuf_shrink(sbuf s)
{
    size_t len = sbuf_len(s);
    if (sbuf_cap(s) - len < 64) return s;
    char *mem = xrealloc(s - HDR, HDR + len + 1);
    ((struct sbuf_hdr *)mem)->cap = (uint32_t)len;
    return mem + HDR;
}

void sbuf_range(sbuf s, size_t start, size_t len)
{
    size_t cur = sbuf_len(s);
    if (start > cur) start = cur;
    if (len > cur - start) len = cur - start;
    if (start && len) memmove(s, s + start, len);
    sbuf_setlen(s, len);
}

size_t sbuf_alloc_size(const char *s) { return xmalloc_size((void *)(s - HDR)); }

sbuf sbuf_place(void *mem, const void *p, size_t len)
{
    struct sbuf_hdr *h = mem;
    h->len = (uint32_t)len;
    h->cap = (uint32_t)len;
    char *s = (char *)mem + HDR;
    if (len) memcpy(s, p, len);
    s[len] = '\0';
    return s;
}
