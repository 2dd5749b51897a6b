/* alloc.h — allocation wrappers: out of memory is fatal, as in Redis.
 * maxmemory policies (later) keep the server from ever reaching that point. */
#ifndef RILL_ALLOC_H
#define RILL_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
void xfree(void *p);
/* xmalloc_size is the usable size of a block (malloc_usable_size). */
size_t xmalloc_size(void *p);
/* xused_memory is the total of live allocations made through these wrappers. */
size_t xused_memory(void);
/* xallocator_name: "jemalloc-<version>" when linked with jemalloc, else
 * "libc" (INFO memory mem_allocator). */
const char *xallocator_name(void);
/* xallocator_purge returns the allocator's unused pages to the system now
 * (jemalloc: its dirty pages; glibc: malloc_trim).  0, or -1 on failure. */
int xallocator_purge(void);

#endif
