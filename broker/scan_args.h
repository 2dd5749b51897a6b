/* scan_args.h — the cursor and options shared by SCAN, HSCAN, SSCAN, ZSCAN. */
#ifndef RILL_SCAN_ARGS_H
#define RILL_SCAN_ARGS_H

#include <stddef.h>

struct session;

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

#endif
