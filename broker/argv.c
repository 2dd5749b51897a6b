/* argv.c — a command's arguments: sbufs in arena chunks or on the heap. */
#include "argv.h"
#include "alloc.h"

#include <limits.h>
#include <string.h>

struct argv_chunk {
    struct argv_chunk *next;
    size_t size;
    char data[];
};

struct argv_orig {
    size_t len;
    char head[ARGV_PEEK_MAX];
};

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

void argv_init(argv_t *a)
{
    memset(a, 0, sizeof *a);
}

void argv_reserve(argv_t *a, int n)
{
    if (a->argc + n <= a->cap) return;
    long long cap = a->cap ? a->cap : 8;
    while (cap < (long long)a->argc + n) cap *= 2;
    if (cap > INT_MAX) cap = INT_MAX;
    a->argv = xrealloc(a->argv, sizeof(sbuf) * (size_t)cap);
    a->heap = xrealloc(a->heap, (size_t)cap);
    a->cap = (int)cap;
}

static void push_raw(argv_t *a, sbuf s, int heap)
{
    argv_reserve(a, 1);
    a->argv[a->argc] = s;
    a->heap[a->argc] = (unsigned char)heap;
    a->argc++;
}

sbuf argv_push(argv_t *a, const void *p, size_t len)
{
    if (len >= ARGV_HEAP_MIN) {
        sbuf s = sbuf_new(p, len);
        push_raw(a, s, 1);
        return s;
    }
    size_t need = ALIGN8(sizeof(struct sbuf_hdr) + len + 1);
    if (!a->chunks || a->chunk_used + need > a->chunks->size) {
        struct argv_chunk *c = xmalloc(sizeof *c + ARGV_CHUNK);
        c->size = ARGV_CHUNK;
        c->next = a->chunks;
        a->chunks = c;
        a->chunk_used = 0;
    }
    sbuf s = sbuf_place(a->chunks->data + a->chunk_used, p, len);
    a->chunk_used += need;
    push_raw(a, s, 0);
    return s;
}

void argv_push_sbuf(argv_t *a, sbuf s)
{
    push_raw(a, s, 1);
}

void argv_keep_original(argv_t *a)
{
    if (a->orig_argc > 0 || a->argc == 0) return;
    int n = a->argc < ARGV_PEEK_ARGS ? a->argc : ARGV_PEEK_ARGS;
    if (a->orig_cap < n) {
        a->orig = xrealloc(a->orig, sizeof *a->orig * (size_t)n);
        a->orig_cap = n;
    }
    for (int i = 0; i < n; i++) {
        size_t len = sbuf_len(a->argv[i]);
        a->orig[i].len = len;
        memcpy(a->orig[i].head, a->argv[i], len < ARGV_PEEK_MAX ? len : ARGV_PEEK_MAX);
    }
    a->orig_argc = a->argc;
}

int argv_original_argc(const argv_t *a) { return a->orig_argc > 0 ? a->orig_argc : a->argc; }

size_t argv_peek(const argv_t *a, int i, const char **p)
{
    if (a->orig_argc > 0) {
        *p = a->orig[i].head;
        return a->orig[i].len;
    }
    *p = a->argv[i];
    return sbuf_len(a->argv[i]);
}

sbuf argv_take(argv_t *a, int i)
{
    sbuf s = a->argv[i];
    argv_keep_original(a);
    if (a->heap[i]) {
        a->heap[i] = 0;   /* caller owns it now; argv[i] still points at it */
        return s;
    }
    return sbuf_new(s, sbuf_len(s));
}

void argv_replace(argv_t *a, int i, sbuf s)
{
    argv_keep_original(a);
    if (a->heap[i]) sbuf_free(a->argv[i]);
    a->argv[i] = s;
    a->heap[i] = 1;
}

void argv_reset(argv_t *a)
{
    for (int i = 0; i < a->argc; i++)
        if (a->heap[i]) sbuf_free(a->argv[i]);
    a->argc = 0;
    a->orig_argc = 0;
    if (a->chunks) {
        struct argv_chunk *c = a->chunks->next;
        while (c) {
            struct argv_chunk *n = c->next;
            xfree(c);
            c = n;
        }
        a->chunks->next = NULL;
        a->chunk_used = 0;
    }
    if (a->cap > 1024) {   /* a huge request passed: give the array back */
        xfree(a->argv);
        xfree(a->heap);
        a->argv = NULL;
        a->heap = NULL;
        a->cap = 0;
    }
}

void argv_free(argv_t *a)
{
    argv_reset(a);
    if (a->chunks) xfree(a->chunks);
    xfree(a->argv);
    xfree(a->heap);
    xfree(a->orig);
    memset(a, 0, sizeof *a);
}

void argv_copy(argv_t *dst, const argv_t *src)
{
    argv_reset(dst);
    argv_reserve(dst, src->argc);
    for (int i = 0; i < src->argc; i++)
        argv_push(dst, src->argv[i], sbuf_len(src->argv[i]));
}

size_t argv_mem(const argv_t *a)
{
    size_t n = (size_t)a->cap * (sizeof(sbuf) + 1);
    for (const struct argv_chunk *c = a->chunks; c; c = c->next)
        n += sizeof *c + c->size;
    for (int i = 0; i < a->argc; i++)
        if (a->heap[i]) n += sbuf_alloc_size(a->argv[i]);
    return n;
}
