/* set.h — the set type: an unordered collection of unique byte strings.
 *
 * Two encodings, as Redis 7.0 has them:
 *  - intset: a sorted array of integers, all of one width (16, 32 or 64
 *    bits), widened when a value does not fit.  Used while every member is
 *    a canonical decimal integer (str_to_ll's rules: no leading zeros, no
 *    "+", no "-0") and there are at most max_intset members.  Membership is
 *    a binary search; iteration is in ascending numeric order.
 *  - hashtable: a dict whose keys are sbuf members (owned by the dict) and
 *    whose values are unused.
 * A set starts as an intset or a hashtable (set_new_for decides from the
 * first member, as Redis's setTypeCreate) and converts to a hashtable once,
 * when a non-integer is added or the intset grows past max_intset; it never
 * converts back (only a rebuilt set, like SPOP's remainder, starts anew).
 *
 * Ownership: the set owns its members.  Functions taking a member (p, len)
 * copy it when they keep it.  Members handed out (set_elem, iterators) are
 * valid until the set next changes.  set_pop returns an sbuf the caller owns.
 * Nothing here knows the server; out of memory aborts (alloc.h).
 */
#ifndef RILL_SET_H
#define RILL_SET_H

#include <stddef.h>
#include <stdint.h>
#include "sbuf.h"
#include "dict.h"

enum set_encoding { SET_INTSET = 0, SET_HASHTABLE = 1 };

typedef struct intset intset;

typedef struct set {
    int enc;                /* SET_INTSET or SET_HASHTABLE */
    union {
        intset *is;
        dict *ht;
    } u;
} set;

/* One member as handed out: an integer (intset) or bytes (hashtable). */
typedef struct set_elem {
    int is_int;
    long long v;            /* when is_int */
    const char *p;          /* when !is_int: an sbuf owned by the set */
    size_t len;
} set_elem;

/* set_elem_str gives the member's bytes; buf (>= 24 bytes) holds an integer's digits. */
const char *set_elem_str(const set_elem *e, char *buf, size_t *len);

/* set_new_intset / set_new_hashtable make an empty set of that encoding. */
set *set_new_intset(void);
set *set_new_hashtable(void);
/* set_new_for makes an empty set able to hold p (intset if p is an integer). */
set *set_new_for(const char *p, size_t len);
void set_free(set *s);
/* set_dup deep-copies s, keeping its encoding. */
set *set_dup(const set *s);
/* set_mem is the bytes s takes (headers, tables and members). */
size_t set_mem(const set *s);

size_t set_size(const set *s);
static inline int set_encoding(const set *s) { return s->enc; }

/* set_add adds member p (copied); returns 1 if added, 0 if already there.
 * An intset converts to a hashtable when p is not an integer or the set
 * would then hold more than max_intset members. */
int set_add(set *s, const char *p, size_t len, size_t max_intset);
/* set_add_ll adds an integer member (as set_add of its decimal form). */
int set_add_ll(set *s, long long v, size_t max_intset);
/* set_add_elem adds a member handed out by another set. */
int set_add_elem(set *s, const set_elem *e, size_t max_intset);
/* set_remove removes member p; returns 1 if it was there. */
int set_remove(set *s, const char *p, size_t len);
int set_contains(const set *s, const char *p, size_t len);
int set_contains_elem(const set *s, const set_elem *e);
/* set_convert_to_hashtable converts an intset (no-op for a hashtable). */
void set_convert_to_hashtable(set *s);

/* set_random fills *e with a random member; 0, or -1 when s is empty. */
int set_random(set *s, set_elem *e);
/* set_pop removes a random member and returns it as an sbuf the caller
 * owns; NULL when s is empty. */
sbuf set_pop(set *s);

/* Iteration in storage order (ascending for intsets).  The set must not
 * change during an iteration. */
typedef struct set_iter {
    set *s;
    size_t i;
    dict_iter di;
} set_iter;

void set_iter_init(set_iter *it, set *s);
/* set_next fills *e with the next member; 1, or 0 at the end. */
int set_next(set_iter *it, set_elem *e);
void set_iter_done(set_iter *it);

/* set_scan visits part of a hashtable set from cursor and returns the next
 * cursor (0: done), as dict_scan; an intset is visited whole, returning 0. */
typedef void set_scan_fn(void *priv, const set_elem *e);
uint64_t set_scan(set *s, uint64_t cursor, set_scan_fn *fn, void *priv);

/* Intset internals exposed for tests: element width in bytes (2, 4, 8). */
int set_intset_width(const set *s);

#endif
