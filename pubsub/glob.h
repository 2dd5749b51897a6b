/* glob.h — Redis-compatible glob matching for KEYS, SCAN MATCH, CONFIG GET,
 * PSUBSCRIBE and PUBSUB CHANNELS.
 *
 * Syntax: `*` any run, `?` any one byte, `[abc]`, `[a-z]`, `[^a]` (negated),
 * `\x` a literal x.  Matching is binary safe, with the pattern's edge cases
 * matching Redis's stringmatchlen (an unterminated `[` matches up to its end,
 * a trailing `\` is a literal backslash, reversed ranges like [z-a] work).
 * The matcher bounds its recursion so hostile patterns cannot blow the
 * stack or run forever on `*` sequences.
 */
#ifndef RILL_GLOB_H
#define RILL_GLOB_H

#include <stddef.h>

/* glob_match returns 1 when str matches pattern, else 0. nocase folds ASCII. */
int glob_match(const char *pattern, size_t plen, const char *str, size_t slen, int nocase);
/* glob_is_literal returns 1 if pattern has no special characters (a fast path). */
int glob_is_literal(const char *pattern, size_t plen);

#endif
