/* scan_args.h — argument parsing shared by several command files: the
 * cursor and options of SCAN, HSCAN, SSCAN, ZSCAN, the tail of [B]LMPOP and
 * [B]ZMPOP, and the count of HRANDFIELD and ZRANDMEMBER.
 *
 * Every parser here either returns 0 having filled its out-argument, or
 * replies Redis 7.0's error to c and returns -1; the caller then returns.
 */
#ifndef RILL_SCAN_ARGS_H
#define RILL_SCAN_ARGS_H

#include <stddef.h>

struct session;
struct obj;

typedef struct scan_args {
    long count;          /* COUNT, default 10 */
    const char *pat;     /* MATCH pattern, NULL for none or "*" */
    size_t plen;
    const char *type;    /* TYPE (SCAN only), NULL for none */
} scan_args;

/* scan_parse_cursor reads a cursor as Redis does (strtoul: "-1" wraps,
 * leading space or trailing bytes refused); 0, or -1 when invalid. */
int scan_parse_cursor(const char *arg, unsigned long *cursor);

/* scan_parse_options reads [MATCH p] [COUNT n] (and [TYPE t] when
 * allow_type) from c->args starting at index first.  Returns 0, or -1
 * after replying Redis's error (not an integer, COUNT < 1 or an unknown
 * option: syntax error). */
int scan_parse_options(struct session *c, int first, int allow_type, scan_args *out);

/* scan_cursor_arg parses c->args.argv[i] as a cursor; 0, or -1 after
 * replying "ERR invalid cursor". */
int scan_cursor_arg(struct session *c, int i, unsigned long *cursor);

/* scan_reply_empty replies a finished, empty scan: cursor "0", no items
 * (HSCAN/SSCAN/ZSCAN of a missing key). */
void scan_reply_empty(struct session *c);

/* scan_lookup is the common head of HSCAN/SSCAN/ZSCAN key cursor [MATCH p]
 * [COUNT n]: it parses the cursor (argv[2]), looks the key up for reading
 * and parses the options (argv[3] on), in Redis's order.  Returns the
 * object, of the given OBJ_* type; NULL once it has replied: "ERR invalid
 * cursor", WRONGTYPE, the empty scan of a missing key (scan_reply_empty),
 * or an option error.  The object stays the keyspace's. */
struct obj *scan_lookup(struct session *c, int type, unsigned long *cursor, scan_args *out);

/* scan_more says whether a scan of a dict goes on after visiting its
 * steps-th bucket: the cursor has not come back to 0, fewer than count
 * items are collected (got), and steps is at most count * 10 (saturating
 * at ULONG_MAX), Redis's bound on the buckets one call visits (it allows
 * count * 10 buckets after the first). */
int scan_more(unsigned long cursor, unsigned long steps, size_t got, long count);

/* scan_reply_cursor opens a scan reply: a 2-element array whose first
 * element is the next cursor as a bulk string.  The caller replies the
 * items array next. */
void scan_reply_cursor(struct session *c, unsigned long cursor);

/* ---- [B]LMPOP, [B]ZMPOP ---------------------------------------------- */

typedef struct mpop_args {
    int numkeys;     /* the keys are argv[nkidx + 1 .. nkidx + numkeys] */
    int which;       /* 0: the direction word w0 (LEFT, MIN), 1: w1 (RIGHT, MAX) */
    long long count; /* COUNT, 1 when absent */
} mpop_args;

/* mpop_args_parse reads "numkeys key [key ...] w0|w1 [COUNT count]" from
 * c->args starting at index nkidx (w0, w1 matched without case).  Errors:
 * "ERR numkeys should be greater than 0" (not an integer, or < 1), "ERR
 * count should be greater than 0" (likewise), a syntax error for too few
 * arguments, another direction word, or an unknown or repeated option. */
int mpop_args_parse(struct session *c, int nkidx, const char *w0, const char *w1, mpop_args *out);

/* ---- HRANDFIELD, ZRANDMEMBER ----------------------------------------- */

/* randcount_args_parse reads "count [<with>]" from argv[2] on, for
 * HRANDFIELD key count [WITHVALUES] and ZRANDMEMBER key count
 * [WITHSCORES] (with: "withvalues" or "withscores").  Sets *count and
 * *withx (1 when the option is given).  Errors: not an integer (or outside
 * long), below -LONG_MAX, a syntax error for anything but the one option,
 * and "ERR value is out of range" when the option doubles a count outside
 * +-LONG_MAX/2.  Only for argc >= 3. */
int randcount_args_parse(struct session *c, const char *with, long *count, int *withx);

#endif
