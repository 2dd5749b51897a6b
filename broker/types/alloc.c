/* alloc.c — allocation wrappers with a live-bytes counter. */
#include "alloc.h"

#include <malloc.h>

/* Set when the program is linked with jemalloc (CMake rill_link_allocator). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen) __attribute__((weak));
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic size_t used_memory;

static void oom(size_t n)
{
    fprintf(stderr, "rill: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    atomic_fetch_add_explicit(&used_memory, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) oom(n * m);
    atomic_fetch_add_explicit(&used_memory, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    size_t now = malloc_usable_size(q);
    if (now >= old)
        atomic_fetch_add_explicit(&used_memory, now - old, memory_order_relaxed);
    else
        atomic_fetch_sub_explicit(&used_memory, old - now, memory_order_relaxed);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void xfree(void *p)
{
    if (!p) return;
    atomic_fetch_sub_explicit(&used_memory, malloc_usable_size(p), memory_order_relaxed);
    free(p);
}

size_t xmalloc_size(void *p) { return p ? malloc_usable_size(p) : 0; }

size_t xused_memory(void) { return atomic_load_explicit(&used_memory, memory_order_relaxed); }

const char *xallocator_name(void)
{
    static char name[64];
    if (!mallctl) return "libc";
    if (!name[0]) {
        const char *v = "?";
        size_t len = sizeof v;
        if (mallctl("version", &v, &len, NULL, 0) != 0) v = "?";
        /* "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c": up to the '-' */
        snprintf(name, sizeof name, "jemalloc-%.*s", (int)strcspn(v, "-"), v);
    }
    return name;
}

int xallocator_purge(void)
{
    if (!mallctl) {
        malloc_trim(0);   /* glibc: free pages anywhere in the heap go back too */
        return 0;
    }
    /* MALLCTL_ARENAS_ALL is 4096 in jemalloc 5. */
    return mallctl("arena.4096.purge", NULL, NULL, NULL, 0) == 0 ? 0 : -1;
}
