/* glob_test.c — unit tests for pubsub/glob: each syntax element, Redis's edge cases,
 * cases from Redis's own test suite, and hostile patterns that must finish fast.
 *
 * Expected answers were checked against redis-server 7.0.15 (KEYS for the
 * case-sensitive cases, COMMAND LIST FILTERBY PATTERN and CONFIG GET for the
 * nocase ones).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glob.h"

/* Literal arguments keep their embedded NULs: lengths come from sizeof. */
#define MATCH(p, s)     assert_int_equal(glob_match(p, sizeof(p) - 1, s, sizeof(s) - 1, 0), 1)
#define NO_MATCH(p, s)  assert_int_equal(glob_match(p, sizeof(p) - 1, s, sizeof(s) - 1, 0), 0)
#define IMATCH(p, s)    assert_int_equal(glob_match(p, sizeof(p) - 1, s, sizeof(s) - 1, 1), 1)
#define NO_IMATCH(p, s) assert_int_equal(glob_match(p, sizeof(p) - 1, s, sizeof(s) - 1, 1), 0)

/* Hostile patterns must finish well inside this many CPU seconds, even
 * under sanitizers; without the give-up rule they would never finish. */
#define FAST_ENOUGH_SECS 2.0

static char *repeat(const char *unit, size_t times, size_t *len)
{
    size_t ulen = strlen(unit);
    char *buf = malloc(ulen * times + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < times; i++) memcpy(buf + i * ulen, unit, ulen);
    buf[ulen * times] = '\0';
    *len = ulen * times;
    return buf;
}

static double cpu_secs_since(clock_t start)
{
    return (double)(clock() - start) / CLOCKS_PER_SEC;
}

/* ---- plain bytes ---------------------------------------------------- */

static void test_literal_matches_itself_only(void **state)
{
    (void)state;
    MATCH("hello", "hello");
    NO_MATCH("hello", "hell");
    NO_MATCH("hell", "hello");
    NO_MATCH("hello", "hellO");
    MATCH("", "");
    NO_MATCH("", "a");
    NO_MATCH("a", "");
    /* Outside a class these are ordinary bytes. */
    MATCH("]^-", "]^-");
    MATCH("a]", "a]");
}

static void test_binary_safe(void **state)
{
    (void)state;
    MATCH("a\0b", "a\0b");
    NO_MATCH("a\0b", "a\0c");
    NO_MATCH("a", "a\0");
    NO_MATCH("a\0", "a");
    MATCH("*\0*", "x\0y");
    NO_MATCH("*\0*", "xy");
    MATCH("?", "\0");
    MATCH("[\0]", "\0");
    MATCH("[^\0]", "a");
    NO_MATCH("[^\0]", "\0");
    MATCH("\xff\x80", "\xff\x80");
    NO_MATCH("\xff", "\xfe");
}

/* ---- * ---------------------------------------------------------------- */

static void test_star_matches_any_run(void **state)
{
    (void)state;
    MATCH("*", "a");
    MATCH("*", "anything at all");
    MATCH("h*llo", "hllo");
    MATCH("h*llo", "heeeello");
    NO_MATCH("h*llo", "hello!");
    MATCH("*a", "ba");
    NO_MATCH("*a", "ab");
    MATCH("a*", "a");
    MATCH("a*", "abc");
    MATCH("a*b*c", "aXbYc");
    MATCH("a*b*c", "abc");
    NO_MATCH("a*b*c", "acb");
    MATCH("*b*", "abc");
    NO_MATCH("*d*", "abc");
}

static void test_star_does_not_match_empty_string(void **state)
{
    (void)state;
    /* Redis answers no here; KEYS and SCAN special-case a lone "*". */
    NO_MATCH("*", "");
    NO_MATCH("**", "");
    NO_MATCH("*?", "");
    /* Trailing stars after at least one consumed byte do match empty. */
    MATCH("a*", "a");
    MATCH("a***", "a");
    MATCH("?*", "x");
}

static void test_star_runs_collapse(void **state)
{
    (void)state;
    MATCH("a***b", "ab");
    MATCH("a***b", "axxb");
    MATCH("*****", "x");
    MATCH("**a**", "a");
    NO_MATCH("a***b", "axxc");
}

/* ---- ? ---------------------------------------------------------------- */

static void test_question_mark_is_one_byte(void **state)
{
    (void)state;
    MATCH("h?llo", "hello");
    MATCH("h?llo", "hallo");
    MATCH("h?llo", "hxllo");
    NO_MATCH("h?llo", "hllo");
    NO_MATCH("h?llo", "heello");
    NO_MATCH("?", "");
    NO_MATCH("??", "a");
    MATCH("??", "ab");
    MATCH("?", "\xff");
}

/* ---- [...] ------------------------------------------------------------ */

static void test_class_set(void **state)
{
    (void)state;
    MATCH("h[ae]llo", "hello");
    MATCH("h[ae]llo", "hallo");
    NO_MATCH("h[ae]llo", "hillo");
    NO_MATCH("h[ae]llo", "hllo");
    MATCH("[*?]", "*");
    MATCH("[*?]", "?");
    NO_MATCH("[*?]", "a");
    MATCH("[[]", "[");
    MATCH("[a^]", "^");
}

static void test_class_negated(void **state)
{
    (void)state;
    MATCH("h[^e]llo", "hallo");
    MATCH("h[^e]llo", "hbllo");
    NO_MATCH("h[^e]llo", "hello");
    NO_MATCH("h[^e]llo", "hllo");
    MATCH("[^a-c]", "d");
    NO_MATCH("[^a-c]", "b");
    /* Only a leading ^ negates. */
    MATCH("[a^]", "a");
    NO_MATCH("[a^]", "b");
}

static void test_class_range(void **state)
{
    (void)state;
    MATCH("h[a-b]llo", "hallo");
    MATCH("h[a-b]llo", "hbllo");
    NO_MATCH("h[a-b]llo", "hcllo");
    MATCH("[0-9][0-9]", "42");
    NO_MATCH("[0-9]", "x");
    MATCH("[a-cx-z]", "y");
    NO_MATCH("[a-cx-z]", "m");
    /* A '-' at the start, or with no room for a right end, is literal. */
    MATCH("[-a]", "-");
    MATCH("[a-", "-");
    MATCH("[a-", "a");
}

static void test_class_range_reversed(void **state)
{
    (void)state;
    MATCH("[z-a]", "m");
    MATCH("[z-a]", "a");
    MATCH("[z-a]", "z");
    NO_MATCH("[z-a]", "A");
    MATCH("[9-0]x", "5x");
}

static void test_class_range_uses_signed_bytes(void **state)
{
    (void)state;
    /* Redis compares range ends as (signed) char: [a-\xff] is -1..'a'. */
    MATCH("[a-\xff]", "\xff");
    MATCH("[a-\xff]", "A");
    MATCH("[a-\xff]", "\0");
    NO_MATCH("[a-\xff]", "b");
    NO_MATCH("[a-\xff]", "\x80");
    MATCH("[\x80-\xff]", "\xc4");
    NO_MATCH("[\x80-\xff]", "a");
}

static void test_class_close_bracket_first_closes(void **state)
{
    (void)state;
    /* [] is an empty class, [^] any byte; the ']' after is literal. */
    NO_MATCH("[]", "]");
    NO_MATCH("[]a]", "a");
    NO_MATCH("[]a]", "]");
    MATCH("[^]", "x");
    MATCH("[^]a]", "xa]");
    NO_MATCH("[^]", "");
}

static void test_class_unterminated_runs_to_end(void **state)
{
    (void)state;
    MATCH("[abc", "a");
    MATCH("[abc", "c");
    NO_MATCH("[abc", "d");
    NO_MATCH("[abc", "ab");
    MATCH("x[ab", "xb");
    NO_MATCH("[", "[");
    NO_MATCH("[", "");
    MATCH("[^", "x");
    MATCH("[^a", "b");
    NO_MATCH("[^a", "a");
    /* In "[a-]" the range is ']'..'a' (reversed) and the class is open. */
    MATCH("[a-]", "^");
    MATCH("[a-]", "]");
    NO_MATCH("[a-]", "-");
    NO_MATCH("[a-]", "b");
}

static void test_class_escapes(void **state)
{
    (void)state;
    MATCH("[\\]]", "]");
    NO_MATCH("[\\]]", "\\");
    MATCH("[\\-]", "-");
    MATCH("[a\\-z]", "-");
    MATCH("[a\\-z]", "z");
    NO_MATCH("[a\\-z]", "m");
    MATCH("[\\^a]", "^");
    MATCH("[\\\\]", "\\");
    /* A trailing backslash inside an open class is a literal backslash. */
    MATCH("[\\", "\\");
    MATCH("[a\\", "\\");
    NO_MATCH("[\\", "a");
}

/* ---- \ ---------------------------------------------------------------- */

static void test_escape_outside_class(void **state)
{
    (void)state;
    MATCH("\\*", "*");
    NO_MATCH("\\*", "a");
    MATCH("\\?", "?");
    NO_MATCH("\\?", "a");
    MATCH("\\[a]", "[a]");
    NO_MATCH("\\[a]", "a");
    MATCH("\\\\", "\\");
    MATCH("\\a", "a");
    MATCH("a\\*b", "a*b");
    NO_MATCH("a\\*b", "axb");
}

static void test_trailing_backslash_is_literal(void **state)
{
    (void)state;
    MATCH("\\", "\\");
    NO_MATCH("\\", "");
    MATCH("a\\", "a\\");
    NO_MATCH("a\\", "a");
    MATCH("*\\", "xx\\");
    NO_MATCH("*\\", "xx");
}

/* ---- nocase ----------------------------------------------------------- */

static void test_nocase_folds_ascii(void **state)
{
    (void)state;
    IMATCH("HELLO", "hello");
    IMATCH("hello", "HeLLo");
    NO_MATCH("HELLO", "hello");
    IMATCH("h[AE]llo", "hello");
    IMATCH("h[A-Z]llo", "hello");
    NO_MATCH("h[A-Z]llo", "hello");
    IMATCH("H?LLO", "hello");
    IMATCH("*GET", "xget");
    IMATCH("\\Get", "get"); /* an escaped byte outside a class still folds */
    /* Folding is ASCII only: no Latin-1 or UTF-8 case pairs. */
    NO_IMATCH("\xc4", "\xe4");
    IMATCH("\xc4", "\xc4");
}

static void test_nocase_class_escape_is_exact(void **state)
{
    (void)state;
    /* Inside a class, \x compares x without folding (as Redis does). */
    NO_IMATCH("g[\\E]t", "get");
    IMATCH("g[\\e]t", "get");
    IMATCH("g[E]t", "get");
}

static void test_nocase_range_folds_after_ordering(void **state)
{
    (void)state;
    /* Redis orders the ends, then folds them: [Z-a] becomes 'z'..'a',
     * an empty range, while without nocase it is 'Z'..'a'. */
    NO_IMATCH("[Z-a]et", "get");
    NO_IMATCH("[Z-a]", "a");
    MATCH("[Z-a]", "a");
    MATCH("[a-Z]", "_");
    NO_IMATCH("[a-Z]", "_");
    /* glibc folds bytes 0x80..0xfe to 128..254 and leaves 0xff at -1. */
    NO_IMATCH("[\x80-z]et", "get");
    MATCH("[\x80-z]et", "get");
    IMATCH("[\xff-z]et", "get");
    IMATCH("[\xff-z]et", "set");
}

/* ---- cases from Redis's test suite ------------------------------------ */

static void test_redis_keys_with_pattern(void **state)
{
    /* keyspace.tcl "KEYS with pattern": KEYS foo* -> foo_a foo_b foo_c */
    (void)state;
    MATCH("foo*", "foo_a");
    MATCH("foo*", "foo_b");
    MATCH("foo*", "foo_c");
    NO_MATCH("foo*", "key_x");
    NO_MATCH("foo*", "key_y");
    NO_MATCH("foo*", "key_z");
    MATCH("*", "dlskeriewrioeuwqoirueioqwrueoqwrueqw");
}

static void test_redis_psubscribe_basics(void **state)
{
    /* pubsub.tcl "PUBLISH/PSUBSCRIBE basics": patterns foo.* and bar.* */
    (void)state;
    MATCH("foo.*", "foo.1");
    MATCH("bar.*", "bar.1");
    NO_MATCH("foo.*", "foo1");
    NO_MATCH("bar.*", "foo1");
    NO_MATCH("foo.*", "barfoo.1");
    NO_MATCH("bar.*", "barfoo.1");
    NO_MATCH("foo.*", "qux.1");
    NO_MATCH("bar.*", "qux.1");
    /* pubsub.tcl keyspace notification tests subscribe to "*". */
    MATCH("*", "__keyspace@9__:foo");
    MATCH("*", "__keyevent@9__:set");
}

static void test_redis_scan_match(void **state)
{
    /* scan.tcl "SCAN MATCH": key:1?? over key:0..key:999 yields 100 keys. */
    (void)state;
    char key[16];
    int hits = 0;
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "key:%d", i);
        hits += glob_match("key:1??", 7, key, (size_t)n, 0);
    }
    assert_int_equal(hits, 100);
}

static void test_redis_sscan_with_pattern(void **state)
{
    /* scan.tcl "SSCAN with PATTERN" and issue #1345 cases. */
    (void)state;
    MATCH("foo*", "foo");
    MATCH("foo*", "foobar");
    NO_MATCH("foo*", "fab");
    NO_MATCH("foo*", "fiz");
    NO_MATCH("foo*", "1");
    MATCH("*a*", "a");
    NO_MATCH("*a*", "1");
    MATCH("*1*", "1");
    NO_MATCH("*1*", "a");
}

static void test_redis_long_nested_loops(void **state)
{
    /* keyspace.tcl "Regression for pattern matching long nested loops". */
    (void)state;
    char s[41];
    memset(s, 'a', 40);
    s[40] = '\0';
    const char *p = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    clock_t start = clock();
    assert_int_equal(glob_match(p, strlen(p), s, 40, 0), 0);
    assert_true(cpu_secs_since(start) < FAST_ENOUGH_SECS);
}

static void test_redis_very_long_nested_loops(void **state)
{
    /* keyspace.tcl "Regression for pattern matching very long nested
     * loops": "*?" x 50000 against "a" x 50000 gives no match, because the
     * depth limit stops the search. */
    (void)state;
    size_t plen, slen;
    char *p = repeat("*?", 50000, &plen);
    char *s = repeat("a", 50000, &slen);
    clock_t start = clock();
    assert_int_equal(glob_match(p, plen, s, slen, 0), 0);
    assert_true(cpu_secs_since(start) < FAST_ENOUGH_SECS);
    free(p);
    free(s);
}

/* ---- hostile patterns ------------------------------------------------- */

static void test_depth_limit_boundary(void **state)
{
    /* 1000 stars deep still matches; 1001 answers no, as in Redis. */
    (void)state;
    size_t slen, plen;
    char *s = repeat("a", 1100, &slen);
    char *p = repeat("*a", 1000, &plen);
    assert_int_equal(glob_match(p, plen, s, slen, 0), 1);
    free(p);
    p = repeat("*a", 1001, &plen);
    assert_int_equal(glob_match(p, plen, s, slen, 0), 0);
    free(p);
    /* "a*" x 1001 needs only 1000 levels below the first star entered. */
    p = repeat("a*", 1001, &plen);
    assert_int_equal(glob_match(p, plen, s, slen, 0), 1);
    free(p);
    free(s);
}

static void test_star_a_pathological_is_fast(void **state)
{
    /* "*a*a*...*a*b" against a long run of a's is exponential for a naive
     * backtracker; the give-up rule makes it linear here. */
    (void)state;
    size_t alen, slen;
    char *stars = repeat("*a", 500, &alen);
    char *p = malloc(alen + 3);
    assert_non_null(p);
    memcpy(p, stars, alen);
    memcpy(p + alen, "*b", 2);
    char *s = repeat("a", 100000, &slen);
    clock_t start = clock();
    assert_int_equal(glob_match(p, alen + 2, s, slen, 0), 0);
    assert_int_equal(glob_match(p, alen + 2, s, slen, 1), 0);
    s[slen - 1] = 'b';
    assert_int_equal(glob_match(p, alen + 2, s, slen, 0), 1);
    assert_true(cpu_secs_since(start) < FAST_ENOUGH_SECS);
    free(stars);
    free(p);
    free(s);
}

static void test_64k_of_stars_does_not_recurse(void **state)
{
    (void)state;
    size_t plen, slen;
    char *p = repeat("*", 65536, &plen);
    char *s = repeat("a", 65536, &slen);
    clock_t start = clock();
    assert_int_equal(glob_match(p, plen, "hello", 5, 0), 1);
    assert_int_equal(glob_match(p, plen, s, slen, 0), 1);
    assert_int_equal(glob_match(p, plen, "", 0, 0), 0);
    /* A byte after the run forces one pass over the string. */
    p[plen - 1] = 'x';
    assert_int_equal(glob_match(p, plen, s, slen, 0), 0);
    s[slen - 1] = 'x';
    assert_int_equal(glob_match(p, plen, s, slen, 0), 1);
    assert_true(cpu_secs_since(start) < FAST_ENOUGH_SECS);
    free(p);
    free(s);
}

static void test_64k_hostile_shapes_are_fast(void **state)
{
    (void)state;
    size_t plen, slen;
    char *s = repeat("a", 65536, &slen);
    clock_t start = clock();
    char *p = repeat("*a", 32768, &plen); /* 64 KB of alternating stars */
    assert_int_equal(glob_match(p, plen, s, slen, 0), 0); /* over the depth limit */
    free(p);
    p = repeat("[", 65536, &plen); /* one unterminated class */
    assert_int_equal(glob_match(p, plen, "[", 1, 0), 1);
    free(p);
    p = repeat("\\", 65536, &plen); /* 32768 escaped backslashes */
    assert_int_equal(glob_match(p, plen, "\\", 1, 0), 0);
    free(p);
    p = repeat("?", 65536, &plen);
    assert_int_equal(glob_match(p, plen, s, slen, 0), 1);
    free(p);
    assert_true(cpu_secs_since(start) < FAST_ENOUGH_SECS);
    free(s);
}

/* ---- random inputs ---------------------------------------------------- */

/* A 64-bit LCG; only its high bits are used, the low ones cycle fast. */
static uint32_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*x >> 33);
}

static void test_random_inputs_answer_zero_or_one(void **state)
{
    /* Like Redis's stringmatchlen fuzz test: random bytes must neither
     * crash (the sanitizers watch) nor answer anything but 0 or 1.  A
     * literal pattern must agree with plain byte equality, and a string
     * with its specials escaped must match itself. */
    (void)state;
    uint64_t seed = 12345;
    char pat[32], str[32], esc[64];
    for (int cycle = 0; cycle < 200000; cycle++) {
        size_t plen = lcg(&seed) % sizeof pat;
        size_t slen = lcg(&seed) % sizeof str;
        for (size_t j = 0; j < plen; j++) pat[j] = (char)(lcg(&seed) % 128);
        for (size_t j = 0; j < slen; j++) str[j] = (char)(lcg(&seed) % 128);
        int m = glob_match(pat, plen, str, slen, 0);
        assert_true(m == 0 || m == 1);
        if (glob_is_literal(pat, plen))
            assert_int_equal(m, plen == slen && memcmp(pat, str, plen) == 0);

        size_t elen = 0;
        for (size_t j = 0; j < slen; j++) {
            if (str[j] != '\0' && strchr("*?[\\", str[j])) esc[elen++] = '\\';
            esc[elen++] = str[j];
        }
        assert_int_equal(glob_match(esc, elen, str, slen, 0), 1);
        assert_int_equal(glob_match(esc, elen, str, slen, 1), 1);
    }
}

/* ---- glob_is_literal -------------------------------------------------- */

static void test_is_literal(void **state)
{
    (void)state;
    assert_int_equal(glob_is_literal("", 0), 1);
    assert_int_equal(glob_is_literal("abc", 3), 1);
    assert_int_equal(glob_is_literal("a]^-b", 5), 1);
    assert_int_equal(glob_is_literal("a\0b", 3), 1);
    assert_int_equal(glob_is_literal("a*", 2), 0);
    assert_int_equal(glob_is_literal("a?", 2), 0);
    assert_int_equal(glob_is_literal("[a", 2), 0);
    assert_int_equal(glob_is_literal("a\\", 2), 0);
    /* Binary safe: a special after a NUL still counts, and bytes past
     * plen do not. */
    assert_int_equal(glob_is_literal("a\0*", 3), 0);
    assert_int_equal(glob_is_literal("ab*", 2), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_matches_itself_only),
        cmocka_unit_test(test_binary_safe),
        cmocka_unit_test(test_star_matches_any_run),
        cmocka_unit_test(test_star_does_not_match_empty_string),
        cmocka_unit_test(test_star_runs_collapse),
        cmocka_unit_test(test_question_mark_is_one_byte),
        cmocka_unit_test(test_class_set),
        cmocka_unit_test(test_class_negated),
        cmocka_unit_test(test_class_range),
        cmocka_unit_test(test_class_range_reversed),
        cmocka_unit_test(test_class_range_uses_signed_bytes),
        cmocka_unit_test(test_class_close_bracket_first_closes),
        cmocka_unit_test(test_class_unterminated_runs_to_end),
        cmocka_unit_test(test_class_escapes),
        cmocka_unit_test(test_escape_outside_class),
        cmocka_unit_test(test_trailing_backslash_is_literal),
        cmocka_unit_test(test_nocase_folds_ascii),
        cmocka_unit_test(test_nocase_class_escape_is_exact),
        cmocka_unit_test(test_nocase_range_folds_after_ordering),
        cmocka_unit_test(test_redis_keys_with_pattern),
        cmocka_unit_test(test_redis_psubscribe_basics),
        cmocka_unit_test(test_redis_scan_match),
        cmocka_unit_test(test_redis_sscan_with_pattern),
        cmocka_unit_test(test_redis_long_nested_loops),
        cmocka_unit_test(test_redis_very_long_nested_loops),
        cmocka_unit_test(test_depth_limit_boundary),
        cmocka_unit_test(test_star_a_pathological_is_fast),
        cmocka_unit_test(test_64k_of_stars_does_not_recurse),
        cmocka_unit_test(test_64k_hostile_shapes_are_fast),
        cmocka_unit_test(test_random_inputs_answer_zero_or_one),
        cmocka_unit_test(test_is_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
