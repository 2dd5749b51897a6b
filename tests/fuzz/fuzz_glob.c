/* fuzz_glob.c — libFuzzer target for pubsub/glob: no crash, no runaway time, and a
 * few properties that must hold for every pattern.
 *
 * The input splits at its first NUL (or, without one, halfway) into pattern
 * and string; glob_match runs with and without nocase.  The whole input is
 * also matched against itself, which puts NUL bytes into patterns.
 *
 * Matching costs O(pattern length * string length) at worst, as in Redis
 * (think "*" followed by 2000 classes against 2000 bytes), so inputs longer
 * than FUZZ_GLOB_MAX_INPUT are skipped to keep every run to a few seconds
 * under sanitizers even when -max_len is raised.  Exponential blow-ups and
 * deep recursion, the failures worth finding, need no long input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"

#define FUZZ_GLOB_MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_GLOB_MAX_INPUT) return 0;

    const char *in = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size / 2;
    const char *pat = in;
    const char *str = nul ? in + plen + 1 : in + plen;
    size_t slen = size - (size_t)(str - in);

    int m = glob_match(pat, plen, str, slen, 0);
    int mi = glob_match(pat, plen, str, slen, 1);
    if ((m != 0 && m != 1) || (mi != 0 && mi != 1)) abort();

    /* A literal pattern matches exactly the equal string. */
    if (glob_is_literal(pat, plen) && m != (plen == slen && memcmp(pat, str, plen) == 0))
        abort();

    /* The string with each special byte escaped matches the string. */
    char *esc = malloc(2 * slen + 1);
    if (!esc) return 0;
    size_t elen = 0;
    for (size_t i = 0; i < slen; i++) {
        if (str[i] == '*' || str[i] == '?' || str[i] == '[' || str[i] == '\\') esc[elen++] = '\\';
        esc[elen++] = str[i];
    }
    if (!glob_match(esc, elen, str, slen, 0) || !glob_match(esc, elen, str, slen, 1)) abort();
    free(esc);

    (void)glob_match(in, size, in, size, 0);
    (void)glob_match(in, size, in, size, 1);
    return 0;
}
