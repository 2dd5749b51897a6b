/* pubsub_test.c — the subscription index (pubsub/pubsub.c): channels, shard
 * channels, patterns and the literal-prefix trie, per-client sets, and the
 * shared message encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "glob.h"
#include "pubsub.h"
#include "sbuf.h"

#define S(x) x, strlen(x)

typedef struct rec {
    int n;
    void *owner[64];
    char pat[64][32];
} rec;

static void record(void *priv, const char *pattern, void *owner)
{
    rec *r = priv;
    if (r->n < 64) {
        r->owner[r->n] = owner;
        strcpy(r->pat[r->n], pattern ? pattern : "");
    }
    r->n++;
}

static long match(ps_index *ix, int kind, const char *ch, rec *r)
{
    memset(r, 0, sizeof *r);
    return ps_match(ix, kind, ch, strlen(ch), record, r);
}

static void test_channels_in_subscription_order(void **state)
{
    (void)state;
    int a, b, c;
    ps_index *ix = ps_index_new();
    ps_client *ca = ps_client_new(&a), *cb = ps_client_new(&b), *cc = ps_client_new(&c);
    assert_int_equal(ps_subscribe(ix, cb, PS_CHANNEL, S("news")), 1);
    assert_int_equal(ps_subscribe(ix, ca, PS_CHANNEL, S("news")), 1);
    assert_int_equal(ps_subscribe(ix, cc, PS_CHANNEL, S("news")), 1);
    assert_int_equal(ps_subscribe(ix, ca, PS_CHANNEL, S("news")), 0);   /* twice: refused */
    assert_int_equal(ps_numsub(ix, PS_CHANNEL, S("news")), 3);
    rec r;
    assert_int_equal(match(ix, PS_CHANNEL, "news", &r), 3);
    assert_ptr_equal(r.owner[0], &b);
    assert_ptr_equal(r.owner[1], &a);
    assert_ptr_equal(r.owner[2], &c);
    assert_int_equal(match(ix, PS_CHANNEL, "new", &r), 0);
    assert_int_equal(match(ix, PS_SHARD, "news", &r), 0);              /* shard channels are apart */

    assert_int_equal(ps_unsubscribe(ix, ca, PS_CHANNEL, S("news")), 1);
    assert_int_equal(ps_unsubscribe(ix, ca, PS_CHANNEL, S("news")), 0);
    assert_int_equal(match(ix, PS_CHANNEL, "news", &r), 2);
    assert_ptr_equal(r.owner[0], &b);
    assert_ptr_equal(r.owner[1], &c);
    ps_client_free(ix, cb);
    ps_client_free(ix, cc);
    assert_int_equal(ps_nchannels(ix, PS_CHANNEL), 0);                  /* empty channels go */
    ps_client_free(ix, ca);
    ps_index_free(ix);
}

static void test_binary_and_long_names(void **state)
{
    (void)state;
    int a;
    ps_index *ix = ps_index_new();
    ps_client *ca = ps_client_new(&a);
    char big[1000];
    memset(big, 'q', sizeof big);
    assert_int_equal(ps_subscribe(ix, ca, PS_CHANNEL, "a\0b", 3), 1);
    assert_int_equal(ps_subscribe(ix, ca, PS_CHANNEL, big, sizeof big), 1);
    assert_int_equal(ps_numsub(ix, PS_CHANNEL, "a\0b", 3), 1);
    assert_int_equal(ps_numsub(ix, PS_CHANNEL, "a", 1), 0);
    assert_int_equal(ps_numsub(ix, PS_CHANNEL, big, sizeof big), 1);
    assert_int_equal(ps_unsubscribe(ix, ca, PS_CHANNEL, big, sizeof big), 1);
    assert_int_equal(ps_client_channels(ca), 1);
    ps_client_free(ix, ca);
    ps_index_free(ix);
}

static void test_patterns_and_prefix_trie(void **state)
{
    (void)state;
    int a, b;
    ps_index *ix = ps_index_new();
    ps_client *ca = ps_client_new(&a), *cb = ps_client_new(&b);
    assert_int_equal(ps_psubscribe(ix, ca, S("news.*")), 1);
    assert_int_equal(ps_psubscribe(ix, ca, S("news.*")), 0);
    assert_int_equal(ps_psubscribe(ix, cb, S("news.*")), 1);
    assert_int_equal(ps_psubscribe(ix, ca, S("*")), 1);
    assert_int_equal(ps_psubscribe(ix, ca, S("n[aeiou]ws.?rt")), 1);
    assert_int_equal(ps_psubscribe(ix, ca, S("x\\*y")), 1);
    assert_int_equal(ps_psubscribe(ix, ca, S("sports.football.*")), 1);
    assert_int_equal(ps_numpat(ix), 5);
    assert_int_equal(ps_client_patterns(ca), 5);

    rec r;
    /* news.art: "*", "n[aeiou]ws.?rt" and "news.*" (twice: a and b). */
    assert_int_equal(match(ix, PS_CHANNEL, "news.art", &r), 4);
    int star = 0, news = 0, cls = 0;
    for (int i = 0; i < r.n; i++) {
        star += !strcmp(r.pat[i], "*");
        news += !strcmp(r.pat[i], "news.*");
        cls += !strcmp(r.pat[i], "n[aeiou]ws.?rt");
    }
    assert_int_equal(star, 1);
    assert_int_equal(news, 2);
    assert_int_equal(cls, 1);
    /* The trie only offers patterns whose literal prefix fits the channel. */
    assert_int_equal(ps_pattern_candidates(ix, S("news.art")), 3);    /* "*", "n[..", "news.*" */
    assert_int_equal(ps_pattern_candidates(ix, S("weather")), 1);     /* "*" only */
    assert_int_equal(ps_pattern_candidates(ix, S("sports.football.x")), 2);
    assert_int_equal(match(ix, PS_CHANNEL, "x*y", &r), 2);            /* escaped star is literal */
    assert_int_equal(match(ix, PS_CHANNEL, "xzy", &r), 1);
    assert_int_equal(match(ix, PS_SHARD, "news.art", &r), 0);         /* no patterns for shard */

    /* Channel subscribers come before pattern subscribers. */
    ps_subscribe(ix, cb, PS_CHANNEL, S("news.art"));
    assert_int_equal(match(ix, PS_CHANNEL, "news.art", &r), 5);
    assert_ptr_equal(r.owner[0], &b);
    assert_string_equal(r.pat[0], "");

    assert_int_equal(ps_punsubscribe(ix, ca, S("news.*")), 1);
    assert_int_equal(ps_numpat(ix), 5);                               /* b still has it */
    assert_int_equal(ps_punsubscribe(ix, cb, S("news.*")), 1);
    assert_int_equal(ps_numpat(ix), 4);
    assert_int_equal(ps_pattern_candidates(ix, S("news.art")), 2);
    assert_int_equal(ps_punsubscribe(ix, ca, S("nope")), 0);
    ps_client_free(ix, ca);                                           /* drops the rest */
    assert_int_equal(ps_numpat(ix), 0);
    assert_int_equal(ps_pattern_candidates(ix, S("sports.football.x")), 0);
    ps_client_free(ix, cb);
    assert_int_equal(ps_nchannels(ix, PS_CHANNEL), 0);
    ps_index_free(ix);
}

/* The trie gives the same answers as testing every pattern. */
static void test_trie_agrees_with_scan(void **state)
{
    (void)state;
    static const char *pats[] = {"a*", "ab*", "abc", "a?c", "[ab]*", "*c", "abc*", "b\\?*", "", "a[^b]c", "ab"};
    static const char *chans[] = {"a", "ab", "abc", "abd", "acc", "b?x", "bc", "c", "", "abcd", "aXc"};
    int owners[11];
    ps_index *ix = ps_index_new();
    ps_client *cl[11];
    for (int i = 0; i < 11; i++) {
        cl[i] = ps_client_new(&owners[i]);
        ps_psubscribe(ix, cl[i], S(pats[i]));
    }
    for (int j = 0; j < 11; j++) {
        rec r;
        long n = match(ix, PS_CHANNEL, chans[j], &r);
        long want = 0;
        for (int i = 0; i < 11; i++) want += glob_match(S(pats[i]), S(chans[j]), 0);
        assert_int_equal(n, want);
    }
    for (int i = 0; i < 11; i++) ps_client_free(ix, cl[i]);
    ps_index_free(ix);
}

/* ps_match_scan (the benchmark's baseline, every pattern tried) and the
 * trie path give the same receivers, as multisets of (pattern, owner),
 * over many patterns sharing prefixes, starting with wildcards, escaped
 * and bracketed, with several clients per pattern and channel
 * subscribers as well. */
typedef struct pairs {
    size_t n;
    uintptr_t v[4096][2];
} pairs;

static void collect_pair(void *priv, const char *pattern, void *owner)
{
    pairs *p = priv;
    assert_true(p->n < 4096);
    p->v[p->n][0] = (uintptr_t)pattern;
    p->v[p->n][1] = (uintptr_t)owner;
    p->n++;
}

static int cmp_pair(const void *a, const void *b)
{
    const uintptr_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

static void test_scan_path_same_receivers(void **state)
{
    (void)state;
    static const char *forms[] = {"news.%d.*", "news.*.%d", "*.%d", "user:%d:*", "user:%d:?",
                                  "room:[ab]%d*", "r\\oom:%d*", "%d", "n*%d", "user:%d"};
    enum { NCL = 7, NPAT = 400 };
    int owners[NCL];
    ps_client *cl[NCL];
    ps_index *ix = ps_index_new();
    for (int i = 0; i < NCL; i++) cl[i] = ps_client_new(&owners[i]);
    char buf[64];
    for (int i = 0; i < NPAT; i++) {
        snprintf(buf, sizeof buf, forms[i % 10], i % 37);
        ps_psubscribe(ix, cl[i % NCL], S(buf));
        ps_psubscribe(ix, cl[(i * 3 + 1) % NCL], S(buf));   /* often a second subscriber */
    }
    ps_subscribe(ix, cl[0], PS_CHANNEL, S("news.5.x"));
    ps_subscribe(ix, cl[1], PS_CHANNEL, S("news.5.x"));
    static const char *chforms[] = {"news.%d.x", "news.x.%d", "user:%d:a", "user:%d:ab", "room:a%d",
                                    "room:c%d", "roo:%d", "%d", "news.%d.", "user:%d", "x.%d"};
    static pairs a, b;
    long total = 0;
    for (int f = 0; f < 11; f++)
        for (int k = 0; k < 40; k++) {
            snprintf(buf, sizeof buf, chforms[f], k);
            a.n = b.n = 0;
            long na = ps_match(ix, PS_CHANNEL, S(buf), collect_pair, &a);
            long nb = ps_match_scan(ix, PS_CHANNEL, S(buf), collect_pair, &b);
            assert_int_equal(na, nb);
            assert_int_equal(a.n, b.n);
            qsort(a.v, a.n, sizeof a.v[0], cmp_pair);
            qsort(b.v, b.n, sizeof b.v[0], cmp_pair);
            assert_memory_equal(a.v, b.v, a.n * sizeof a.v[0]);
            total += na;
        }
    assert_true(total > 1000);   /* the cases do match */
    /* Shard channels never see patterns, on either path. */
    a.n = 0;
    assert_int_equal(ps_match_scan(ix, PS_SHARD, S("news.5.x"), collect_pair, &a), 0);
    for (int i = 0; i < NCL; i++) ps_client_free(ix, cl[i]);
    assert_int_equal(ps_numpat(ix), 0);
    ps_index_free(ix);
}

static void test_encode_message(void **state)
{
    (void)state;
    ps_msg *m = ps_encode_message(2, "message", NULL, 0, S("ch"), S("hello"));
    assert_int_equal(m->len, strlen("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"));
    assert_memory_equal(m->data, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n", m->len);
    ps_msg_ref(m);
    ps_msg_unref(m);
    ps_msg_unref(m);
    m = ps_encode_message(3, "pmessage", S("c*"), S("ch"), "", 0);
    assert_memory_equal(m->data, ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n", m->len);
    ps_msg_unref(m);
}

static void test_client_names(void **state)
{
    (void)state;
    int a;
    ps_index *ix = ps_index_new();
    ps_client *ca = ps_client_new(&a);
    ps_subscribe(ix, ca, PS_SHARD, S("s1"));
    ps_subscribe(ix, ca, PS_SHARD, S("s2"));
    ps_psubscribe(ix, ca, S("p*"));
    char **names;
    assert_int_equal(ps_client_names(ca, PS_SHARD, &names), 2);
    xfree(names);
    assert_int_equal(ps_client_names(ca, PS_CHANNEL, &names), 0);
    assert_int_equal(ps_client_names(ca, -1, &names), 1);
    assert_string_equal(names[0], "p*");
    xfree(names);
    assert_int_equal(ps_numsub(ix, PS_SHARD, S("s1")), 1);
    assert_int_equal(ps_nchannels(ix, PS_SHARD), 2);
    ps_client_free(ix, ca);
    assert_int_equal(ps_nchannels(ix, PS_SHARD), 0);
    ps_index_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels_in_subscription_order),
        cmocka_unit_test(test_binary_and_long_names),
        cmocka_unit_test(test_patterns_and_prefix_trie),
        cmocka_unit_test(test_trie_agrees_with_scan),
        cmocka_unit_test(test_scan_path_same_receivers),
        cmocka_unit_test(test_encode_message),
        cmocka_unit_test(test_client_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
