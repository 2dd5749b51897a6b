/* object.h — the value header every key points at.
 *
 * An obj records its type (string, list, ...), its encoding (how the bytes
 * are laid out), an LRU clock for OBJECT IDLETIME, and a refcount.  Shared
 * objects (small integers) are immortal: refcount OBJ_SHARED_REFCOUNT, never
 * freed.  Type modules register their free/dup/memory functions in
 * obj_types[] so the keyspace can handle any type without knowing it.
 *
 * Strings: ENC_INT keeps a long long in the pointer; ENC_EMBSTR puts the
 * sbuf in the same allocation as the header (44 bytes or less, as Redis);
 * ENC_RAW points at a separate sbuf.
 */
#ifndef RILL_OBJECT_H
#define RILL_OBJECT_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include "sbuf.h"

enum obj_type_id {
    OBJ_STRING = 0,
    OBJ_LIST = 1,
    OBJ_SET = 2,
    OBJ_ZSET = 3,
    OBJ_HASH = 4,
    OBJ_STREAM = 6,
    OBJ_QUEUE = 7,
    OBJ_TYPE_MAX = 16
};

enum obj_encoding {
    ENC_RAW = 0,
    ENC_INT = 1,
    ENC_HASHTABLE = 2,
    ENC_LISTPACK = 3,
    ENC_INTSET = 4,
    ENC_SKIPLIST = 5,
    ENC_QUICKLIST = 6,
    ENC_STREAM = 7,
    ENC_EMBSTR = 8,
    ENC_QUEUE = 9,
};

#define OBJ_SHARED_REFCOUNT INT_MAX
#define OBJ_SHARED_INTEGERS 10000
#define OBJ_EMBSTR_MAX 44
#define LRU_CLOCK_MAX ((1u << 24) - 1)

typedef struct obj {
    unsigned type : 4;
    unsigned encoding : 4;
    unsigned lru : 24;       /* seconds clock, for OBJECT IDLETIME */
    int refcount;
    void *ptr;
} obj;

/* obj_emit_fn receives one command (argv[0] is its name) that helps
 * recreate a value; it copies what it keeps.  Returns 0, or -1 to stop
 * (the snapshot's write failed). */
typedef int obj_emit_fn(void *priv, int argc, const char *const *argv, const size_t *lens);

/* Large values are rewritten as several commands of at most this many
 * elements (list items, hash pairs, stream entries, jobs ...). */
#define OBJ_REWRITE_BATCH 64

typedef struct obj_type {
    const char *name;                      /* TYPE reply: "string", "list", ... */
    void (*free)(obj *o);                  /* free the payload (not the header) */
    obj *(*dup)(const obj *o);             /* deep copy for COPY */
    size_t (*mem)(const obj *o);           /* payload bytes, for MEMORY/INFO */
    /* rewrite is the snapshot interface (issue 7): it emits commands that,
     * run in order through the command table against a database without
     * `key`, recreate this value exactly, including state the data
     * commands do not show (a stream's last ID and groups with their
     * pending lists, a queue's jobs with their states, due and lease
     * times).  Not the key's expiry: the snapshot writer adds PEXPIREAT.
     * Commands carry absolute times only, never "now"-relative ones.
     * Returns 0, or -1 as soon as emit returns -1.  A type without it
     * cannot be snapshotted (the writer fails loudly, never skips). */
    int (*rewrite)(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv);
} obj_type;

extern const obj_type *obj_types[OBJ_TYPE_MAX];
void obj_register_type(int type, const obj_type *t);

/* obj_lru_clock is the current 24-bit seconds clock (set by the server). */
extern unsigned obj_lru_clock;

obj *obj_new(int type, int encoding, void *ptr);
void obj_incref(obj *o);
/* obj_decref drops one reference, freeing the object at zero. */
void obj_decref(obj *o);
/* obj_free_void is obj_decref for dict callbacks. */
void obj_free_void(void *o);
obj *obj_dup(const obj *o);
const char *obj_type_name(const obj *o);
const char *obj_encoding_name(const obj *o);
size_t obj_mem(const obj *o);

/* Strings. */
obj *obj_new_string(const void *p, size_t len);      /* int/embstr/raw chosen like Redis SET */
obj *obj_new_string_raw(const void *p, size_t len);  /* never int-encoded */
obj *obj_new_string_sbuf(sbuf s);                    /* takes s; may int-encode or embed */
obj *obj_new_ll(long long v);                        /* shared when 0..9999 */
/* obj_string_ptr gives the bytes of a string object; buf (>= 24 bytes) holds int-encoded digits. */
const char *obj_string_ptr(const obj *o, char *buf, size_t *len);
size_t obj_string_len(const obj *o);
/* obj_get_ll parses a string object as a long long; 0 ok, -1 not an integer. */
int obj_get_ll(const obj *o, long long *v);
/* obj_string_unshare returns a raw, unshared, writable string object for
 * in-place changes (APPEND, SETRANGE); the caller stores it back if it changed. */
obj *obj_string_unshare(obj *o);

/* Number helpers with Redis's exact rules. */
int str_to_ll(const char *s, size_t len, long long *v);     /* string2ll: 1 ok, 0 not */
int str_to_ld(const char *s, size_t len, long double *v);   /* string2ld: 1 ok */
int str_to_d(const char *s, size_t len, double *v);         /* strict double: 1 ok, 0 bad (NaN refused) */
int ll_to_str(char *dst, size_t dstlen, long long v);       /* returns length */
/* ld_to_str formats like Redis's ld2string humanfriendly (INCRBYFLOAT). */
int ld_to_str(char *buf, size_t len, long double value, int humanfriendly);
/* d_to_str formats a double like Redis's RESP2 double reply (%.17g, inf/-inf). */
int d_to_str(char *buf, size_t len, double d);

#endif
