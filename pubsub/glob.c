/* glob.c — Redis-compatible glob matching for KEYS, SCAN, CONFIG GET and PSUBSCRIBE.
 *
 * The matcher walks pattern and string left to right.  Only `*` branches: it
 * tries the rest of the pattern at each later position of the string, one
 * recursion level per star.  Two guards, both taken from Redis 7 so that
 * answers stay identical, keep hostile patterns cheap:
 *
 *   - Depth.  Each star entered adds one level; a level deeper than
 *     GLOB_MAX_DEPTH answers "no match".  Consecutive stars collapse into one
 *     first, so a pattern of 64 KB of `*` uses one level, and no match
 *     nests more than GLOB_MAX_DEPTH + 2 calls of match_at.
 *
 *   - Giving up.  When a star has tried the rest of the pattern at every
 *     later position and none matched, no earlier star can do better: a
 *     longer run for an earlier star only moves the rest of the pattern to a
 *     later start, which has just failed.  The star sets `give_up` and every
 *     level returns at once.  So only one star loop per level ever runs to
 *     the end and a match costs O(pattern length * string length), not an
 *     exponential number of retries of `*a*a*a*...`.
 *
 * One speed-up of our own does not change any answer: a star followed by a
 * plain byte jumps (memchr) to the next place that byte occurs, since every
 * position in between would fail on its first byte.
 *
 * Byte-level rules (each mirrors stringmatchlen in Redis 7.0 on x86-64):
 *
 *   - Bytes compare as signed char.  That only shows in ranges: [a-\xff] is
 *     the range -1..'a', which holds 0xff and 0x00..'a' but not 0x80..0xfe.
 *   - nocase folds with the C-locale tolower of glibc, which Redis calls on
 *     signed chars: 'A'..'Z' become 'a'..'z', bytes 0x80..0xfe (negative) become
 *     128..254, and 0xff stays -1 (EOF).  Equality is unaffected, but a
 *     nocase range folds its ends after ordering them, so [Z-a] and
 *     [\x80-z] match nothing under nocase.
 *   - Inside [...], `\x` compares x exactly even under nocase.
 *   - `]` straight after `[` or `[^` closes the class: [] matches nothing,
 *     [^] any one byte.  An unclosed class runs to the end of the pattern.
 *   - A `-` whose right end would be the last pattern byte is still a range:
 *     in "[a-]" the range is ']'..'a' and the class is unclosed.
 *   - A trailing `\` is a literal backslash, inside or outside a class.
 *   - The empty string matches only the empty pattern, so "*" does not match
 *     "" (Redis's KEYS and SCAN skip the matcher for a pattern of exactly
 *     "*"; callers that want that shortcut must take it themselves).
 */
#include "glob.h"

#include <string.h>

/* Stars entered before a branch answers "no match"; Redis uses 1000. */
#define GLOB_MAX_DEPTH 1000

struct glob_ctx {
    const char *pat;
    size_t plen;
    const char *str;
    size_t slen;
    int nocase;
    int give_up; /* set once a star's loop fails: every level stops */
};

/* fold_case is glibc's C-locale tolower over signed chars (see above). */
static int fold_case(int c)
{
    if (c >= 'A' && c <= 'Z') return c + ('a' - 'A');
    if (c < -1) return c + 256;
    return c;
}

static int same_byte(const struct glob_ctx *g, char a, char b)
{
    if (!g->nocase) return a == b;
    return fold_case((signed char)a) == fold_case((signed char)b);
}

/* class_match tests byte c against the class whose `[` is at pat[*pi].  It
 * leaves *pi on the class's last byte (its `]`, or the pattern's last byte
 * when the class is unclosed), so that the caller's step moves past it. */
static int class_match(const struct glob_ctx *g, size_t *pi, char c)
{
    const char *p = g->pat;
    size_t n = g->plen;
    size_t i = *pi + 1;
    int negate = 0, hit = 0;

    if (i < n && p[i] == '^') {
        negate = 1;
        i++;
    }
    for (;; i++) {
        if (i + 1 < n && p[i] == '\\') {
            i++;
            if (p[i] == c) hit = 1;
        } else if (i < n && p[i] == ']') {
            break;
        } else if (i == n) {
            i--;
            break;
        } else if (i + 2 < n && p[i + 1] == '-') {
            int lo = (signed char)p[i], hi = (signed char)p[i + 2];
            int b = (signed char)c;
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (g->nocase) {
                lo = fold_case(lo);
                hi = fold_case(hi);
                b = fold_case(b);
            }
            if (b >= lo && b <= hi) hit = 1;
            i += 2;
        } else if (same_byte(g, p[i], c)) {
            hit = 1;
        }
    }
    *pi = i;
    return negate ? !hit : hit;
}

/* next_candidate returns the first position from si on where the pattern
 * after a star (starting at pat[pi]) could begin to match, or slen.  It only
 * skips positions where that pattern opens with a plain byte the string
 * lacks: there match_at would fail on the first byte without touching
 * give_up, so skipping them leaves every answer unchanged.  Under nocase
 * only bytes that are not letters are skipped on, since those compare as
 * plain bytes (folding joins no other pair of bytes). */
static size_t next_candidate(const struct glob_ctx *g, size_t pi, size_t si)
{
    char c = g->pat[pi];

    if (c == '*' || c == '?' || c == '[' || c == '\\') return si;
    if (g->nocase && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return si;
    const char *hit = memchr(g->str + si, c, g->slen - si);
    return hit ? (size_t)(hit - g->str) : g->slen;
}

/* match_at answers whether pat[pi..] matches str[si..] exactly.  depth is
 * the number of stars entered on the way here. */
static int match_at(struct glob_ctx *g, size_t pi, size_t si, int depth)
{
    const char *p = g->pat;

    if (depth > GLOB_MAX_DEPTH) return 0;

    while (pi < g->plen && si < g->slen) {
        switch (p[pi]) {
        case '*':
            while (pi + 1 < g->plen && p[pi + 1] == '*') pi++;
            if (pi + 1 == g->plen) return 1;
            for (; si < g->slen; si++) {
                si = next_candidate(g, pi + 1, si);
                if (si == g->slen) break;
                if (match_at(g, pi + 1, si, depth + 1)) return 1;
                if (g->give_up) return 0;
            }
            g->give_up = 1;
            return 0;
        case '?':
            break;
        case '[':
            if (!class_match(g, &pi, g->str[si])) return 0;
            break;
        case '\\':
            if (pi + 1 < g->plen) pi++;
            /* fall through */
        default:
            if (!same_byte(g, p[pi], g->str[si])) return 0;
            break;
        }
        pi++;
        si++;
        /* Trailing stars match the empty rest, but only once a byte has
         * been consumed: this is what makes "*" fail on "". */
        if (si == g->slen) {
            while (pi < g->plen && p[pi] == '*') pi++;
            break;
        }
    }
    return pi == g->plen && si == g->slen;
}

int glob_match(const char *pattern, size_t plen, const char *str, size_t slen, int nocase)
{
    struct glob_ctx g = {pattern, plen, str, slen, nocase != 0, 0};

    return match_at(&g, 0, 0, 0);
}

int glob_is_literal(const char *pattern, size_t plen)
{
    for (size_t i = 0; i < plen; i++) {
        switch (pattern[i]) {
        case '*':
        case '?':
        case '[':
        case '\\':
            return 0;
        }
    }
    return 1;
}
