/* cmd_lcs.c — LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN].
 *
 * The longest common subsequence of two strings by Redis 7.0's dynamic
 * programming table: (len1+1)*(len2+1) uint32 cells, refused before
 * allocating when it would exceed proto-max-bulk-len (or overflow), as
 * Redis refuses it.  The walk back through the table that builds the
 * string and the IDX ranges is Redis's, quirks included (a match that
 * does not extend the current range closes it and starts no new one), so
 * the ranges reported are the same.  Missing keys are empty strings.
 */
#include "server.h"
#include "commands.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* lcs_value: the string at key ("" when missing) copied into a new sbuf,
 * or NULL when the key holds another type. */
static sbuf lcs_value(session *c, const char *key, int *wrong)
{
    obj *o = db_lookup_read(c->srv, c->db, key, 0);
    if (!o) return sbuf_new("", 0);
    if (o->type != OBJ_STRING) {
        *wrong = 1;
        return NULL;
    }
    char buf[32];
    size_t len;
    const char *p = obj_string_ptr(o, buf, &len);
    return sbuf_new(p, len);
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
void cmd_lcs(session *c)
{
    argv_t *args = &c->args;
    long long minmatchlen = 0;
    int getlen = 0, getidx = 0, withmatchlen = 0, wrong = 0;
    uint32_t *dp = NULL;
    sbuf result = NULL;
    sbuf a = lcs_value(c, args->argv[1], &wrong);
    sbuf b = lcs_value(c, args->argv[2], &wrong);
    if (wrong) {
        reply_error(c, "ERR The specified keys must contain string values");
        goto out;
    }
    for (int j = 3; j < args->argc; j++) {
        const char *opt = args->argv[j];
        int moreargs = args->argc - 1 - j;
        if (!strcasecmp(opt, "IDX")) {
            getidx = 1;
        } else if (!strcasecmp(opt, "LEN")) {
            getlen = 1;
        } else if (!strcasecmp(opt, "WITHMATCHLEN")) {
            withmatchlen = 1;
        } else if (!strcasecmp(opt, "MINMATCHLEN") && moreargs) {
            if (!str_to_ll(args->argv[j + 1], sbuf_len(args->argv[j + 1]), &minmatchlen)) {
                reply_err_notint(c);
                goto out;
            }
            if (minmatchlen < 0) minmatchlen = 0;
            j++;
        } else {
            reply_err_syntax(c);
            goto out;
        }
    }
    if (getidx && getlen) {
        reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        goto out;
    }
    if (sbuf_len(a) >= UINT32_MAX - 1 || sbuf_len(b) >= UINT32_MAX - 1) {
        reply_error(c, "ERR String too long for LCS");
        goto out;
    }

    uint32_t alen = (uint32_t)sbuf_len(a), blen = (uint32_t)sbuf_len(b);
#define LCS(A, B) dp[(B) + ((A) * (size_t)(blen + 1))]
    unsigned long long lcssize = (unsigned long long)(alen + 1) * (blen + 1);
    unsigned long long lcsalloc = lcssize * sizeof(uint32_t);
    if (lcsalloc < SIZE_MAX && lcsalloc / lcssize == sizeof(uint32_t)) {
        if (lcsalloc > (unsigned long long)c->srv->cfg.proto_max_bulk_len) {
            reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
            goto out;
        }
        dp = malloc((size_t)lcsalloc);   /* may fail: the table is transient and refusable */
    }
    if (!dp) {
        reply_error(c, "ERR Insufficient memory, failed allocating transient memory for LCS");
        goto out;
    }

    for (uint32_t i = 0; i <= alen; i++) {
        for (uint32_t j = 0; j <= blen; j++) {
            if (i == 0 || j == 0) {
                LCS(i, j) = 0;
            } else if (a[i - 1] == b[j - 1]) {
                LCS(i, j) = LCS(i - 1, j - 1) + 1;
            } else {
                uint32_t lcs1 = LCS(i - 1, j), lcs2 = LCS(i, j - 1);
                LCS(i, j) = lcs1 > lcs2 ? lcs1 : lcs2;
            }
        }
    }

    uint32_t idx = LCS(alen, blen);
    uint32_t arange_start = alen, arange_end = 0, brange_start = 0, brange_end = 0;
    int computelcs = getidx || !getlen;
    if (computelcs) result = sbuf_new(NULL, idx);
    void *arraylen_h = NULL;
    long arraylen = 0;
    if (getidx) {
        reply_map(c, 2);
        reply_bulk_cstr(c, "matches");
        arraylen_h = reply_defer(c);
    }

    uint32_t i = alen, j = blen;
    while (computelcs && i > 0 && j > 0) {
        int emit_range = 0;
        if (a[i - 1] == b[j - 1]) {
            result[idx - 1] = a[i - 1];
            if (arange_start == alen) {
                arange_start = i - 1;
                arange_end = i - 1;
                brange_start = j - 1;
                brange_end = j - 1;
            } else if (arange_start == i && brange_start == j) {
                arange_start--;
                brange_start--;
            } else {
                emit_range = 1;
            }
            if (arange_start == 0 || brange_start == 0) emit_range = 1;
            idx--;
            i--;
            j--;
        } else {
            uint32_t lcs1 = LCS(i - 1, j), lcs2 = LCS(i, j - 1);
            if (lcs1 > lcs2) i--;
            else j--;
            if (arange_start != alen) emit_range = 1;
        }
        uint32_t match_len = arange_end - arange_start + 1;
        if (emit_range) {
            if ((minmatchlen == 0 || match_len >= minmatchlen) && arraylen_h) {
                reply_array(c, 2 + withmatchlen);
                reply_array(c, 2);
                reply_int(c, arange_start);
                reply_int(c, arange_end);
                reply_array(c, 2);
                reply_int(c, brange_start);
                reply_int(c, brange_end);
                if (withmatchlen) reply_int(c, match_len);
                arraylen++;
            }
            arange_start = alen;
        }
    }

    if (arraylen_h) {
        reply_bulk_cstr(c, "len");
        reply_int(c, LCS(alen, blen));
        reply_set_array_len(c, arraylen_h, arraylen);
    } else if (getlen) {
        reply_int(c, LCS(alen, blen));
    } else {
        reply_bulk(c, result, sbuf_len(result));
    }
#undef LCS

out:
    free(dp);
    sbuf_free(result);
    sbuf_free(a);
    sbuf_free(b);
}
