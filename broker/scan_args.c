/* scan_args.c — argument parsing shared by several command files (see scan_args.h). */
#include "scan_args.h"
#include "server.h"
#include "session.h"
#include "reply.h"
#include "object.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <strings.h>

int scan_parse_cursor(const char *arg, unsigned long *cursor)
{
    char *end;
    errno = 0;
    *cursor = strtoul(arg, &end, 10);
    if (isspace((unsigned char)arg[0]) || end[0] != '\0' || errno == ERANGE) return -1;
    return 0;
}

int scan_parse_options(session *c, int first, int allow_type, scan_args *out)
{
    argv_t *a = &c->args;
    out->count = 10;
    out->pat = NULL;
    out->plen = 0;
    out->type = NULL;
    for (int i = first; i < a->argc; i += 2) {
        const char *opt = a->argv[i];
        int more = a->argc - i - 1;
        if (!strcasecmp(opt, "count") && more >= 1) {
            long long v;
            if (!str_to_ll(a->argv[i + 1], sbuf_len(a->argv[i + 1]), &v) || v < LONG_MIN || v > LONG_MAX) {
                reply_err_notint(c);
                return -1;
            }
            if (v < 1) {
                reply_err_syntax(c);
                return -1;
            }
            out->count = (long)v;
        } else if (!strcasecmp(opt, "match") && more >= 1) {
            out->pat = a->argv[i + 1];
            out->plen = sbuf_len(out->pat);
            if (out->plen == 1 && out->pat[0] == '*') out->pat = NULL;  /* matches all, "" included */
        } else if (allow_type && !strcasecmp(opt, "type") && more >= 1) {
            out->type = a->argv[i + 1];
        } else {
            reply_err_syntax(c);
            return -1;
        }
    }
    return 0;
}

int scan_cursor_arg(session *c, int i, unsigned long *cursor)
{
    if (scan_parse_cursor(c->args.argv[i], cursor) == 0) return 0;
    reply_error(c, "ERR invalid cursor");
    return -1;
}

void scan_reply_empty(session *c)
{
    reply_array(c, 2);
    reply_bulk(c, "0", 1);
    reply_array(c, 0);
}

obj *scan_lookup(session *c, int type, unsigned long *cursor, scan_args *out)
{
    if (scan_cursor_arg(c, 2, cursor) < 0) return NULL;
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], 0);
    if (o && o->type != type) {
        reply_err_wrongtype(c);
        return NULL;
    }
    if (!o) {
        scan_reply_empty(c);
        return NULL;
    }
    if (scan_parse_options(c, 3, 0, out) < 0) return NULL;
    return o;
}

int scan_more(unsigned long cursor, unsigned long steps, size_t got, long count)
{
    unsigned long max = (unsigned long)count > ULONG_MAX / 10 ? ULONG_MAX : (unsigned long)count * 10;
    return cursor && steps <= max && got < (size_t)count;
}

void scan_reply_cursor(session *c, unsigned long cursor)
{
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)cursor);
}

/* A long like Redis's getLongFromObject: 0, or -1 (no reply). */
static int parse_long(const char *s, long long *v)
{
    long long x;
    if (!str_to_ll(s, sbuf_len(s), &x) || x < LONG_MIN || x > LONG_MAX) return -1;
    *v = x;
    return 0;
}

int mpop_args_parse(session *c, int nkidx, const char *w0, const char *w1, mpop_args *out)
{
    argv_t *a = &c->args;
    long long numkeys, count = -1;
    if (parse_long(a->argv[nkidx], &numkeys) < 0 || numkeys < 1) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return -1;
    }
    if (numkeys > a->argc - nkidx - 2) {   /* no room for the keys and the direction */
        reply_err_syntax(c);
        return -1;
    }
    int wi = nkidx + 1 + (int)numkeys;
    if (!strcasecmp(a->argv[wi], w0)) out->which = 0;
    else if (!strcasecmp(a->argv[wi], w1)) out->which = 1;
    else {
        reply_err_syntax(c);
        return -1;
    }
    for (int j = wi + 1; j < a->argc; j++) {
        if (count == -1 && !strcasecmp(a->argv[j], "count") && j + 1 < a->argc) {
            j++;
            if (parse_long(a->argv[j], &count) < 0 || count < 1) {
                reply_error(c, "ERR count should be greater than 0");
                return -1;
            }
        } else {
            reply_err_syntax(c);
            return -1;
        }
    }
    out->numkeys = (int)numkeys;
    out->count = count == -1 ? 1 : count;
    return 0;
}

int randcount_args_parse(session *c, const char *with, long *count, int *withx)
{
    argv_t *a = &c->args;
    long long l;
    if (parse_long(a->argv[2], &l) < 0) {
        reply_err_notint(c);
        return -1;
    }
    if (l < -LONG_MAX) {
        reply_errorf(c, "ERR value is out of range, value must between %ld and %ld", -LONG_MAX, LONG_MAX);
        return -1;
    }
    if (a->argc > 4 || (a->argc == 4 && strcasecmp(a->argv[3], with) != 0)) {
        reply_err_syntax(c);
        return -1;
    }
    *withx = a->argc == 4;
    if (*withx && (l < -LONG_MAX / 2 || l > LONG_MAX / 2)) {
        reply_error(c, "ERR value is out of range");
        return -1;
    }
    *count = (long)l;
    return 0;
}
