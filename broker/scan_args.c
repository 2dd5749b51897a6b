/* scan_args.c — the cursor and options shared by the SCAN family. */
#include "scan_args.h"
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
