/* fuzz_resp_parse.c — libFuzzer target for the RESP request parser.
 *
 * Input layout: byte 0 picks the limits (authenticated or not, a small or
 * the default max_bulk, a small or the default max_multibulk), byte 1 seeds
 * the piece sizes; the rest is the byte stream.  The stream is fed to the
 * parser the way a connection would (append a piece, parse until MORE,
 * keep the unconsumed bytes), and the contract is checked:
 *  - consumed <= bytes offered, on every return;
 *  - OK always carries argc >= 1 and arguments that are NUL-terminated;
 *  - after MORE the caller keeps at most a line (<= RESP_INLINE_MAX, or a
 *    longer header ending in '\r' that waits for one more byte), the unread
 *    part of one small bulk, or under 2 bytes of a big bulk's trailer;
 *  - a big bulk in progress holds no more than about twice what was fed;
 *  - errors carry a "Protocol error: " text;
 *  - a whole-buffer parse and the piecewise parse give the same commands
 *    (when the whole-buffer parse gets that far).
 * resp_split_inline is also run on the raw stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "resp_parse.h"
#include "sbuf.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void set_limits(resp_parser *p, uint8_t mode)
{
    p->authenticated = !(mode & 1);
    if (mode & 2) p->max_bulk = mode & 4 ? 0 : 100;
    if (mode & 8) p->max_multibulk = 5;
}

/* digest folds one command into h (FNV-1a over argc, lengths and bytes). */
static uint64_t digest(uint64_t h, const argv_t *av)
{
    h = (h ^ (uint64_t)av->argc) * 1099511628211ULL;
    for (int i = 0; i < av->argc; i++) {
        size_t n = sbuf_len(av->argv[i]);
        CHECK(av->argv[i][n] == '\0');
        h = (h ^ n) * 1099511628211ULL;
        for (size_t j = 0; j < n; j++) h = (h ^ (uint8_t)av->argv[i][j]) * 1099511628211ULL;
    }
    return h;
}

/* run parses in[0..len) in pieces from the seed (0: all at once); returns
 * the digest of the commands, the count of them and the final return code. */
static uint64_t run(const uint8_t *in, size_t len, uint8_t mode, uint32_t seed, int *ncmd, int *last)
{
    resp_parser p;
    argv_t av;
    resp_parser_init(&p);
    set_limits(&p, mode);
    argv_init(&av);
    char *buf = malloc(len + 1);
    size_t have = 0, off = 0, fed = 0;
    uint64_t h = 1469598103934665603ULL;
    int rc = RESP_PARSE_MORE;
    *ncmd = 0;

    while (off < len && rc != RESP_PARSE_ERR) {
        size_t n = len - off;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            size_t maxp = (seed >> 28) < 8 ? 1 + (seed >> 16) % 8 : 1 + (seed >> 8) % 4096;
            if (n > maxp) n = maxp;
        }
        memcpy(buf + have, in + off, n);
        have += n;
        off += n;
        fed += n;
        for (;;) {
            size_t used = (size_t)-1;
            rc = resp_parse(&p, buf, have, &used, &av);
            CHECK(used <= have);
            if (rc == RESP_PARSE_ERR) {
                CHECK(strncmp(p.err, "Protocol error: ", 16) == 0);
                break;
            }
            memmove(buf, buf + used, have - used);
            have -= used;
            size_t pend = resp_parse_pending(&p);
            CHECK(pend <= 2 * fed + 65536);
            if (rc == RESP_PARSE_MORE) {
                if (p.type == 1 && p.bulk_len >= 0) {   /* waiting in a bulk */
                    if (p.big || p.bulk_len >= RESP_BIG_ARG) CHECK(have < 2);
                    else CHECK(have < (size_t)p.bulk_len + 2);
                } else {                                 /* waiting for a line */
                    CHECK(have <= RESP_INLINE_MAX || buf[have - 1] == '\r');
                }
                break;
            }
            CHECK(rc == RESP_PARSE_OK);
            CHECK(av.argc >= 1);
            h = digest(h, &av);
            (*ncmd)++;
            argv_reset(&av);
        }
    }
    *last = rc;
    free(buf);
    resp_parser_reset(&p);
    CHECK(resp_parse_pending(&p) == 0);
    argv_free(&av);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0];
    uint32_t seed = (uint32_t)data[1] * 2654435761u | 1u;
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    int n_whole, n_pieces, rc_whole, rc_pieces;
    uint64_t h_whole = run(in, len, mode, 0, &n_whole, &rc_whole);
    uint64_t h_pieces = run(in, len, mode, seed, &n_pieces, &rc_pieces);
    /* Both see the same bytes, so the same commands and the same ending;
     * the one exception is the too-big limits, which depend on how much is
     * buffered at once: compare only when neither run ended in an error. */
    if (rc_whole != RESP_PARSE_ERR && rc_pieces != RESP_PARSE_ERR) {
        CHECK(n_whole == n_pieces);
        CHECK(h_whole == h_pieces);
    }

    argv_t av;
    argv_init(&av);
    int rc = resp_split_inline((const char *)in, len, &av);
    CHECK(rc == 0 || rc == -1);
    for (int i = 0; i < av.argc; i++) CHECK(sbuf_len(av.argv[i]) <= len);
    argv_free(&av);
    return 0;
}
