/* argv.h — a command's arguments: an array of sbufs backed by an arena.
 *
 * Front ends fill an argv_t with one command's arguments; handlers read
 * argv[i] as sbufs (length via sbuf_len, NUL-terminated).  Small arguments
 * are copied into arena chunks (no malloc per argument); arguments of
 * ARGV_HEAP_MIN bytes or more live in their own heap sbufs.  Pointers stay
 * valid until argv_reset: chunks are chained, never moved.
 * argv_take gives the caller ownership of one argument as a heap sbuf (for
 * free when large, a copy when small), so a 100 MB SET stores its value
 * without copying it.
 *
 * Originals: a command may give an argument away (argv_take: the taker may
 * then free it, as MSET k big k small does) or rewrite the arguments into
 * its effect (SETEX -> SET ... PXAT).  Before the first such change,
 * argv_keep_original records the first ARGV_PEEK_ARGS arguments (at most
 * ARGV_PEEK_MAX bytes of each, and their lengths) and the count, so that
 * readers after the command (the slow log) see what the client sent.
 * argv_take and argv_replace call it; so must any other rewriter.
 */
#ifndef RILL_ARGV_H
#define RILL_ARGV_H

#include "sbuf.h"

#define ARGV_HEAP_MIN 4096
#define ARGV_CHUNK 16384
#define ARGV_PEEK_ARGS 32
#define ARGV_PEEK_MAX 128

struct argv_chunk;
struct argv_orig;

typedef struct argv_t {
    int argc;
    int cap;
    sbuf *argv;
    unsigned char *heap;          /* heap[i]: argv[i] is a heap sbuf we own */
    struct argv_chunk *chunks;    /* newest first */
    size_t chunk_used;            /* bytes used in chunks (the newest) */
    struct argv_orig *orig;       /* originals (argv_keep_original), when kept */
    int orig_argc;                /* -1 or 0 when none are kept */
    int orig_cap;
} argv_t;

void argv_init(argv_t *a);
/* argv_reset frees heap arguments and arena chunks but the first; argc = 0. */
void argv_reset(argv_t *a);
void argv_free(argv_t *a);
/* argv_reserve makes room for n more arguments. */
void argv_reserve(argv_t *a, int n);
/* argv_push appends a copy of p[0..len) and returns it. */
sbuf argv_push(argv_t *a, const void *p, size_t len);
/* argv_push_sbuf appends s, taking ownership of it. */
void argv_push_sbuf(argv_t *a, sbuf s);
/* argv_take returns argv[i] as a heap sbuf the caller owns; argv[i] stays
 * readable until argv_reset (it may then point at the caller's copy, so the
 * caller must not free it before the command ends). */
sbuf argv_take(argv_t *a, int i);
/* argv_keep_original records the arguments as they are now, unless
 * already recorded since the last argv_reset (see above). */
void argv_keep_original(argv_t *a);
/* argv_original_argc: the argument count the command arrived with. */
int argv_original_argc(const argv_t *a);
/* argv_peek: argument i (< ARGV_PEEK_ARGS, < argv_original_argc) as the
 * command arrived: returns its length and points *p at its bytes, of
 * which at least min(length, ARGV_PEEK_MAX) are readable. */
size_t argv_peek(const argv_t *a, int i, const char **p);
/* argv_replace puts a new heap sbuf s at position i (taking ownership). */
void argv_replace(argv_t *a, int i, sbuf s);
/* argv_copy makes dst an independent copy of src (dst must be initialised). */
void argv_copy(argv_t *dst, const argv_t *src);
/* argv_mem is the memory held, for client accounting. */
size_t argv_mem(const argv_t *a);

#endif
