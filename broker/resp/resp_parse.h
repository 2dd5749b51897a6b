/* resp_parse.h — incremental RESP request parser: bytes -> argv.
 *
 * Understands multibulk requests (*N\r\n$L\r\n...\r\n) and inline commands
 * (a line split on spaces with Redis's quoting: "..." with \n \r \t \b \a
 * \\ \" \xHH escapes, '...' with \' only), exactly as Redis 7 does.
 *
 * Pure module: no I/O, no server.  The caller keeps unconsumed bytes and
 * calls again with them plus whatever arrives next.  Every length is checked
 * against the limits before anything of that size is allocated; a bulk of
 * RESP_BIG_ARG bytes or more is collected in its own sbuf that grows as the
 * bytes actually arrive (never allocated up front from the claimed length),
 * then handed to the argv without a further copy.
 *
 * Errors carry Redis's exact text (without the leading "-ERR "), e.g.
 * "Protocol error: invalid multibulk length"; after an error the parser must
 * be reset before reuse (the connection is closed anyway).
 */
#ifndef RILL_RESP_PARSE_H
#define RILL_RESP_PARSE_H

#include <stddef.h>
#include "argv.h"

#define RESP_BIG_ARG (32 * 1024)
#define RESP_INLINE_MAX (64 * 1024)

enum {
    RESP_PARSE_ERR = -1,   /* protocol error: p->err says why */
    RESP_PARSE_MORE = 0,   /* need more bytes; everything usable was consumed */
    RESP_PARSE_OK = 1,     /* av holds one complete command (argc >= 1) */
};

typedef struct resp_parser {
    /* Limits: set by the caller, may change between calls. */
    long long max_bulk;         /* proto-max-bulk-len (Redis default 512 MB) */
    long long max_multibulk;    /* most arguments in one request: INT_MAX, as Redis */
    int authenticated;          /* 0: Redis's unauthenticated limits apply (multibulk > 10, bulk > 16384 refused) */

    /* State: private. */
    int type;                   /* 0 between requests, 1 multibulk, 2 inline */
    long long mb_left;          /* bulks still to come in this multibulk */
    long long bulk_len;         /* -1 when the next thing is a $ header */
    sbuf big;                   /* big bulk being collected, or NULL */
    char err[128];
} resp_parser;

/* resp_parser_init sets Redis's default limits and an empty state. */
void resp_parser_init(resp_parser *p);
/* resp_parser_reset drops a half-parsed request (frees a big bulk in progress). */
void resp_parser_reset(resp_parser *p);

/* resp_parse parses from buf[0..len).  It sets *consumed to the bytes used
 * (also on MORE: headers and whole bulks already taken stay in av, so the
 * caller discards consumed bytes and keeps the rest).  On OK av holds one
 * whole command; the caller runs it, argv_resets av and calls again with the
 * remaining bytes.  Empty inline lines and *0 / *-1 requests are skipped
 * silently, as Redis does.  Never allocates more than the bytes seen plus
 * the fixed argv growth, whatever lengths the input claims. */
int resp_parse(resp_parser *p, const char *buf, size_t len, size_t *consumed, argv_t *av);

/* resp_parse_pending is the memory held by a half-parsed big bulk. */
size_t resp_parse_pending(const resp_parser *p);
/* resp_parse_received is the bytes of that bulk received so far: what
 * client-query-buffer-limit counts, as Redis counts its query buffer's
 * length (the memory is at most about twice that). */
size_t resp_parse_received(const resp_parser *p);

/* resp_split_inline splits one inline line (without its line ending) the way
 * Redis's sdssplitargs does, pushing each argument into av; returns 0, or -1
 * on unbalanced quotes.  Also used by the config-file reader. */
int resp_split_inline(const char *line, size_t len, argv_t *av);

#endif
