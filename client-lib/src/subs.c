/* subs.c — the client-side subscription registry, push parsing and the
 * reconnect backoff schedule.  Pure: no NNG, unit-tested alone.
 *
 * The registry is a short singly linked list: a client subscribes to tens
 * of channels, not millions, and it is walked once per delivered message.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

rill_sub *rill_subs_find(const rill_subs *s, const char *name, size_t len, int pattern)
{
    for (rill_sub *e = s->head; e; e = e->next)
        if (e->pattern == pattern && e->len == len && memcmp(e->name, name, len) == 0) return e;
    return NULL;
}

int rill_subs_add(rill_subs *s, const char *name, size_t len, int pattern, rill_message_cb *cb, void *arg)
{
    rill_sub *e = rill_subs_find(s, name, len, pattern);
    if (e) {
        e->cb = cb;
        e->arg = arg;
        return 0;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->name = malloc(len + 1))) {
        free(e);
        return -1;
    }
    memcpy(e->name, name, len);
    e->name[len] = '\0';
    e->len = len;
    e->pattern = pattern;
    e->cb = cb;
    e->arg = arg;
    e->next = s->head;
    s->head = e;
    if (pattern) s->npatterns++;
    else s->nchannels++;
    return 0;
}

int rill_subs_remove(rill_subs *s, const char *name, size_t len, int pattern)
{
    for (rill_sub **pp = &s->head; *pp; pp = &(*pp)->next) {
        rill_sub *e = *pp;
        if (e->pattern == pattern && e->len == len && memcmp(e->name, name, len) == 0) {
            *pp = e->next;
            if (pattern) s->npatterns--;
            else s->nchannels--;
            free(e->name);
            free(e);
            return 1;
        }
    }
    return 0;
}

void rill_subs_clear(rill_subs *s)
{
    while (s->head) {
        rill_sub *e = s->head;
        s->head = e->next;
        free(e->name);
        free(e);
    }
    s->nchannels = s->npatterns = 0;
}

int rill_subs_argv(const rill_subs *s, int pattern, const char ***argv, size_t **lens)
{
    int n = pattern ? s->npatterns : s->nchannels;
    *argv = NULL;
    *lens = NULL;
    if (n == 0) return 0;
    const char **a = malloc((size_t)(n + 1) * sizeof *a);
    size_t *l = malloc((size_t)(n + 1) * sizeof *l);
    if (!a || !l) {
        free(a);
        free(l);
        return -1;
    }
    a[0] = pattern ? "PSUBSCRIBE" : "SUBSCRIBE";
    l[0] = strlen(a[0]);
    int k = 1;
    for (rill_sub *e = s->head; e; e = e->next) {
        if (e->pattern != pattern) continue;
        a[k] = e->name;
        l[k] = e->len;
        k++;
    }
    *argv = a;
    *lens = l;
    return k;
}

static int is_str(const rill_reply *r)
{
    return r && (r->type == RILL_REPLY_BULK || r->type == RILL_REPLY_SIMPLE);
}

static int str_is(const rill_reply *r, const char *s)
{
    size_t n = strlen(s);
    return is_str(r) && r->len == n && strncasecmp(r->str, s, n) == 0;
}

int rill_parse_message(const rill_reply *push, rill_message *m)
{
    memset(m, 0, sizeof *m);
    if (!push || (push->type != RILL_REPLY_PUSH && push->type != RILL_REPLY_ARRAY) || push->nelem < 3) return 0;
    const rill_reply *const *e = (const rill_reply *const *)push->elem;
    if ((str_is(e[0], "message") || str_is(e[0], "smessage")) && push->nelem == 3 && is_str(e[1]) && is_str(e[2])) {
        m->kind = str_is(e[0], "message") ? "message" : "smessage";
        m->channel = e[1]->str;
        m->channel_len = e[1]->len;
        m->payload = e[2]->str;
        m->payload_len = e[2]->len;
        return 1;
    }
    if (str_is(e[0], "pmessage") && push->nelem == 4 && is_str(e[1]) && is_str(e[2]) && is_str(e[3])) {
        m->kind = "pmessage";
        m->pattern = e[1]->str;
        m->pattern_len = e[1]->len;
        m->channel = e[2]->str;
        m->channel_len = e[2]->len;
        m->payload = e[3]->str;
        m->payload_len = e[3]->len;
        return 1;
    }
    return 0;
}

int rill_backoff_ms(int attempt, int min_ms, int max_ms)
{
    if (min_ms <= 0) min_ms = 1;
    if (max_ms < min_ms) max_ms = min_ms;
    long long d = min_ms;
    for (int i = 0; i < attempt && d < max_ms; i++) d *= 2;
    return d > max_ms ? max_ms : (int)d;
}
