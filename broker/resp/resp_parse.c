/* resp_parse.c — incremental RESP request parser: bytes -> argv.
 *
 * Design notes
 *
 * The parser mirrors Redis 7.0's processInlineBuffer / processMultibulkBuffer
 * decision for decision, so that a client sees the same replies (and the
 * same protocol errors) from Rill as from Redis.  The observable rules,
 * each checked against redis-server 7.0.15:
 *
 *  - A request whose first byte is '*' is multibulk, anything else inline.
 *  - Line ends are searched the way Redis's strchr() does on its
 *    NUL-terminated query buffer: a NUL byte before the '\r' (multibulk
 *    headers) or '\n' (inline lines) hides the line end, so the request
 *    waits for more bytes until the "too big" limit fires.  Bulk payloads
 *    are never scanned and may hold any byte.
 *  - A header line ends at the first '\r' and needs one more byte after it,
 *    which is skipped unchecked; likewise the two bytes after a bulk's
 *    payload are skipped unchecked ("$4\r\nPINGxx" is PING).
 *  - "Too big" errors fire only when no line end is in the buffer and more
 *    than RESP_INLINE_MAX bytes are waiting.
 *  - Integers follow string2ll: optional '-', no '+', no spaces, no leading
 *    zeros ("0" alone is fine, "-0" and "01" are not), at most 20 bytes,
 *    no overflow.
 *
 * Memory: lengths are validated before anything is allocated.  A bulk that
 * is complete in the buffer (payload and its two trailing bytes) is copied
 * into the argv (arena for small ones, no malloc).  A small bulk that is not
 * complete is left in the caller's buffer: we return MORE having consumed
 * its header.  A bulk of RESP_BIG_ARG bytes or more that is not complete is
 * moved into p->big as bytes arrive; the sbuf grows by sbuf_grow's amortised
 * doubling, so it never holds more than about twice the bytes seen, and is
 * handed to the argv (trimmed, not copied) when its trailer has arrived.
 *
 * Multibulk counts are accepted up to p->max_multibulk, INT_MAX by default
 * as in Redis 7.0; the argv array grows as arguments arrive, never sized
 * from the claimed count (at most 1024 slots up front).
 */
#include "resp_parse.h"
#include "alloc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define PROTO_MAX_BULK_DEFAULT (512LL * 1024 * 1024)
#define PROTO_MAX_MULTIBULK_DEFAULT ((long long)INT_MAX)  /* as Redis 7.0 */
#define UNAUTH_MAX_MULTIBULK 10
#define UNAUTH_MAX_BULK 16384
#define ARGV_PREALLOC_MAX 1024   /* Redis's min(multibulklen, 1024) */

enum { T_IDLE = 0, T_MULTIBULK = 1, T_INLINE = 2, T_FAILED = 3 };

void resp_parser_init(resp_parser *p)
{
    memset(p, 0, sizeof *p);
    p->max_bulk = PROTO_MAX_BULK_DEFAULT;
    p->max_multibulk = PROTO_MAX_MULTIBULK_DEFAULT;
    p->authenticated = 1;   /* Redis's default: no password, no auth limits */
    p->bulk_len = -1;
}

void resp_parser_reset(resp_parser *p)
{
    if (p->big) sbuf_free(p->big);
    p->big = NULL;
    p->type = T_IDLE;
    p->mb_left = 0;
    p->bulk_len = -1;
    p->err[0] = '\0';
}

size_t resp_parse_pending(const resp_parser *p)
{
    return p->big ? sbuf_alloc_size(p->big) : 0;
}

size_t resp_parse_received(const resp_parser *p)
{
    return p->big ? sbuf_len(p->big) : 0;
}

/* ---------------------------------------------------------------- helpers */

/* fail records msg and marks the parser failed until reset. */
static int fail(resp_parser *p, const char *msg)
{
    snprintf(p->err, sizeof p->err, "%s", msg);
    p->type = T_FAILED;
    return RESP_PARSE_ERR;
}

/* FAIL, inside resp_parse: on errors *consumed is where the bad element starts. */
#define FAIL(msg) do { *consumed = pos; return fail(p, (msg)); } while (0)

/* parse_ll parses s[0..n) exactly as Redis's string2ll: returns 1 and sets
 * *out, or 0 when the bytes are not a canonical decimal long long. */
static int parse_ll(const char *s, size_t n, long long *out)
{
    if (n == 0 || n >= 21) return 0;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        if (++i == n) return 0;
    }
    if (s[i] < '1' || s[i] > '9') return 0;
    unsigned long long v = (unsigned long long)(s[i++] - '0');
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > ULLONG_MAX / 10) return 0;
        v *= 10;
        if (v > ULLONG_MAX - d) return 0;
        v += d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

/* find_eol returns the first c in s[0..n), or NULL when there is none or a
 * NUL comes first (Redis searches with strchr on a C string). */
static const char *find_eol(const char *s, size_t n, char c)
{
    const char *e = memchr(s, c, n);
    size_t upto = e ? (size_t)(e - s) : n;
    if (upto && memchr(s, '\0', upto)) return NULL;
    return e;
}

/* Header line results. */
enum { LINE_OK, LINE_MORE, LINE_TOO_BIG };

/* header_line finds a "<x><digits>\r?" line at s[0..n): on LINE_OK *eol is
 * the '\r' and at least one byte follows it (skipped unchecked, as Redis). */
static int header_line(const char *s, size_t n, const char **eol)
{
    if (n == 0) return LINE_MORE;
    const char *cr = find_eol(s, n, '\r');
    if (!cr) return n > RESP_INLINE_MAX ? LINE_TOO_BIG : LINE_MORE;
    if ((size_t)(cr - s) + 2 > n) return LINE_MORE;
    *eol = cr;
    return LINE_OK;
}

/* ----------------------------------------------------------- inline split */

static int is_blank(unsigned char c)   /* isspace() in the C locale */
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* split_token reads one token starting at *pp (not blank, < end) into out
 * (room for end - *pp bytes), moving *pp past it.  Returns its length, or
 * -1 on unbalanced quotes.  Follows sdssplitargs exactly: only ' ' \n \r \t
 * end an unquoted token; a quote may open in mid-token; a closing quote must
 * be followed by a blank (isspace) or the end. */
static long split_token(const char **pp, const char *end, char *out)
{
    const char *p = *pp;
    size_t n = 0;
    int inq = 0, insq = 0;
    for (;;) {
        if (inq) {
            if (p == end) return -1;
            if (*p == '\\' && end - p >= 4 && p[1] == 'x' &&
                hex_val((unsigned char)p[2]) >= 0 && hex_val((unsigned char)p[3]) >= 0) {
                out[n++] = (char)(hex_val((unsigned char)p[2]) * 16 + hex_val((unsigned char)p[3]));
                p += 4;
            } else if (*p == '\\' && end - p >= 2) {
                char c;
                switch (p[1]) {
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'b': c = '\b'; break;
                case 'a': c = '\a'; break;
                default: c = p[1]; break;
                }
                out[n++] = c;
                p += 2;
            } else if (*p == '"') {
                p++;
                if (p != end && !is_blank((unsigned char)*p)) return -1;
                break;
            } else {
                out[n++] = *p++;
            }
        } else if (insq) {
            if (p == end) return -1;
            if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
                out[n++] = '\'';
                p += 2;
            } else if (*p == '\'') {
                p++;
                if (p != end && !is_blank((unsigned char)*p)) return -1;
                break;
            } else {
                out[n++] = *p++;
            }
        } else {
            if (p == end) break;
            char c = *p;
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                p++;   /* the separator goes with the token, as in Redis */
                break;
            }
            if (c == '"') inq = 1;
            else if (c == '\'') insq = 1;
            else out[n++] = c;
            p++;
        }
    }
    *pp = p;
    return (long)n;
}

int resp_split_inline(const char *line, size_t len, argv_t *av)
{
    /* sdssplitargs reads a C string: a NUL ends the line. */
    const char *nul = len ? memchr(line, '\0', len) : NULL;
    const char *p = line, *end = nul ? nul : line + len;
    char stack[512];
    char *scratch = NULL;   /* room for the longest possible token */
    int rc = 0;

    for (;;) {
        while (p < end && is_blank((unsigned char)*p)) p++;
        if (p == end) break;

        /* Fast path: a plain token, pushed straight from the line. */
        const char *t = p;
        while (t < end && *t != ' ' && *t != '\n' && *t != '\r' && *t != '\t' &&
               *t != '"' && *t != '\'')
            t++;
        if (t == end || (*t != '"' && *t != '\'')) {
            argv_push(av, p, (size_t)(t - p));
            p = t == end ? t : t + 1;
            continue;
        }

        /* Quotes: unescape into scratch (a token never grows). */
        size_t room = (size_t)(end - p);
        char *out = stack;
        if (room > sizeof stack) {
            if (!scratch) scratch = xmalloc(room);
            out = scratch;
        }
        long n = split_token(&p, end, out);
        if (n < 0) {
            rc = -1;
            break;
        }
        argv_push(av, out, (size_t)n);
    }
    xfree(scratch);
    return rc;
}

/* --------------------------------------------------------------- requests */

/* parse_inline handles one inline request at buf[0..len): returns OK (av
 * filled, *used = line with its ending), MORE with *used = 0 when the line
 * is not complete, MORE with *used = line when it was empty, or ERR with
 * *used = 0. */
static int parse_inline(resp_parser *p, const char *buf, size_t len, size_t *used, argv_t *av)
{
    const char *nl = find_eol(buf, len, '\n');
    if (!nl) {
        *used = 0;
        if (len > RESP_INLINE_MAX) return fail(p, "Protocol error: too big inline request");
        p->type = T_INLINE;   /* nothing kept: the caller still holds the line */
        return RESP_PARSE_MORE;
    }
    size_t linelen = (size_t)(nl - buf);
    if (linelen && buf[linelen - 1] == '\r') linelen--;
    p->type = T_IDLE;
    int before = av->argc;
    if (resp_split_inline(buf, linelen, av) < 0) {
        *used = 0;
        return fail(p, "Protocol error: unbalanced quotes in request");
    }
    *used = (size_t)(nl - buf) + 1;
    return av->argc > before ? RESP_PARSE_OK : RESP_PARSE_MORE;
}

/* big_take moves up to n payload bytes into p->big (creating it on first
 * bytes); returns the bytes taken. */
static size_t big_take(resp_parser *p, const char *src, size_t n)
{
    size_t have = p->big ? sbuf_len(p->big) : 0;
    size_t want = (size_t)p->bulk_len - have;
    if (n > want) n = want;
    if (n == 0) return 0;
    if (!p->big) p->big = sbuf_empty(n);
    /* Past 1 MB sbuf_grow adds only 1 MB at a time, which makes collecting
     * a 100 MB bulk quadratic (each realloc may copy): ask for doubling
     * ourselves, its extra 1 MB included, so still at most twice the bytes
     * seen and never past the claimed length (plus that 1 MB). */
    size_t need = have + n, mb = 1024 * 1024;
    if (sbuf_cap(p->big) < need && have > mb) {
        size_t cap = need + have - mb;
        if (cap > (size_t)p->bulk_len) cap = need > (size_t)p->bulk_len ? need : (size_t)p->bulk_len;
        p->big = sbuf_grow(p->big, cap - have);
    }
    p->big = sbuf_cat(p->big, src, n);
    return n;
}

int resp_parse(resp_parser *p, const char *buf, size_t len, size_t *consumed, argv_t *av)
{
    size_t pos = 0;
    *consumed = 0;
    if (p->type == T_FAILED) return RESP_PARSE_ERR;

    for (;;) {
        /* ---- start of a request */
        if (p->type != T_MULTIBULK) {
            if (pos == len) break;
            if (buf[pos] != '*') {
                size_t used;
                int rc = parse_inline(p, buf + pos, len - pos, &used, av);
                pos += used;
                if (rc == RESP_PARSE_MORE && used) continue;   /* empty line */
                *consumed = pos;
                return rc;
            }
            const char *s = buf + pos, *eol;
            switch (header_line(s, len - pos, &eol)) {
            case LINE_MORE: goto more;
            case LINE_TOO_BIG: FAIL("Protocol error: too big mbulk count string");
            }
            long long n;
            if (!parse_ll(s + 1, (size_t)(eol - s - 1), &n) || n > INT_MAX || n > p->max_multibulk)
                FAIL("Protocol error: invalid multibulk length");
            if (n > UNAUTH_MAX_MULTIBULK && !p->authenticated)
                FAIL("Protocol error: unauthenticated multibulk length");
            pos = (size_t)(eol - buf) + 2;
            if (n <= 0) continue;   /* *0 and *-1: nothing to run */
            p->type = T_MULTIBULK;
            p->mb_left = n;
            p->bulk_len = -1;
            argv_reserve(av, n < ARGV_PREALLOC_MAX ? (int)n : ARGV_PREALLOC_MAX);
        }

        /* ---- the bulks of a multibulk request */
        while (p->mb_left > 0) {
            if (p->bulk_len < 0) {
                const char *s = buf + pos, *eol;
                switch (header_line(s, len - pos, &eol)) {
                case LINE_MORE: goto more;
                case LINE_TOO_BIG: FAIL("Protocol error: too big bulk count string");
                }
                if (*s != '$') {
                    /* Redis turns \r and \n in error text into spaces. */
                    char c = *s == '\r' || *s == '\n' ? ' ' : *s;
                    snprintf(p->err, sizeof p->err, "Protocol error: expected '$', got '%c'", c);
                    p->type = T_FAILED;
                    *consumed = pos;
                    return RESP_PARSE_ERR;
                }
                long long n;
                if (!parse_ll(s + 1, (size_t)(eol - s - 1), &n) || n < 0 || n > p->max_bulk ||
                    (unsigned long long)n > SBUF_MAX)
                    FAIL("Protocol error: invalid bulk length");
                if (n > UNAUTH_MAX_BULK && !p->authenticated)
                    FAIL("Protocol error: unauthenticated bulk length");
                pos = (size_t)(eol - buf) + 2;
                p->bulk_len = n;
            }

            size_t blen = (size_t)p->bulk_len, avail = len - pos;
            if (!p->big && avail >= blen + 2) {
                /* Whole bulk in the buffer: the common case. */
                argv_push(av, buf + pos, blen);
                pos += blen + 2;
            } else if (p->big || blen >= RESP_BIG_ARG) {
                pos += big_take(p, buf + pos, avail);
                size_t have = p->big ? sbuf_len(p->big) : 0;
                if (have < blen || len - pos < 2) goto more;   /* payload or trailer missing */
                pos += 2;
                sbuf s = sbuf_shrink(p->big);   /* in place: gives back doubling slack */
                p->big = NULL;
                argv_push_sbuf(av, s);
            } else {
                goto more;   /* small bulk: the caller keeps its bytes */
            }
            p->bulk_len = -1;
            p->mb_left--;
        }
        p->type = T_IDLE;
        *consumed = pos;
        return RESP_PARSE_OK;
    }
more:
    *consumed = pos;
    return RESP_PARSE_MORE;
}
