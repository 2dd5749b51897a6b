/* notify.c — keyspace and keyevent notifications over pub/sub.
 *
 * The enabled classes live in the config (notify-keyspace-events, parsed
 * and shown by the functions below, as Redis 7.0 does).  Each event is
 * published as an ordinary message, so channel and pattern subscribers
 * both receive it, over either protocol.
 */
#include "notify.h"
#include "pubsub.h"
#include "server.h"
#include "alloc.h"

#include <stdio.h>
#include <string.h>

static const struct {
    char letter;
    int flag;
} letters[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING}, {'l', NOTIFY_LIST},    {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH},    {'z', NOTIFY_ZSET},   {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM},  {'d', NOTIFY_MODULE}, {'n', NOTIFY_NEW},     {'K', NOTIFY_KEYSPACE},
    {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};
#define NLETTERS (sizeof letters / sizeof letters[0])

int notify_flags_parse(const char *s, size_t n)
{
    int flags = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 'A') {
            flags |= NOTIFY_ALL;
            continue;
        }
        size_t j;
        for (j = 0; j < NLETTERS && letters[j].letter != s[i]; j++) {}
        if (j == NLETTERS) return -1;
        flags |= letters[j].flag;
    }
    return flags;
}

void notify_flags_string(int flags, char *out)
{
    char *p = out;
    if ((flags & NOTIFY_ALL) == NOTIFY_ALL) {
        *p++ = 'A';
    } else {
        for (size_t j = 0; j < NLETTERS; j++) {
            int f = letters[j].flag;
            if (f == NOTIFY_KEYSPACE || f == NOTIFY_KEYEVENT || f == NOTIFY_KEY_MISS) continue;
            if (flags & f) *p++ = letters[j].letter;
        }
    }
    /* As Redis 7.0: "n" is only shown outside "A"; then K, E, m. */
    if (flags & NOTIFY_KEYSPACE) *p++ = 'K';
    if (flags & NOTIFY_KEYEVENT) *p++ = 'E';
    if (flags & NOTIFY_KEY_MISS) *p++ = 'm';
    *p = '\0';
}

void notify_keyspace_event_len(server *s, int type, const char *event, const char *key, size_t keylen, int dbid)
{
    int flags = s->cfg.notify_keyspace_events;
    if (!(flags & type) || !(flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT))) return;
    size_t evlen = strlen(event);
    char small[256];
    char *buf = small;
    size_t need = 32 + (keylen > evlen ? keylen : evlen);
    if (need > sizeof small) buf = xmalloc(need);
    if (flags & NOTIFY_KEYSPACE) {
        int h = snprintf(buf, 32, "__keyspace@%d__:", dbid);
        memcpy(buf + h, key, keylen);
        pubsub_publish(s, PS_CHANNEL, buf, (size_t)h + keylen, event, evlen);
    }
    if (flags & NOTIFY_KEYEVENT) {
        int h = snprintf(buf, 32, "__keyevent@%d__:", dbid);
        memcpy(buf + h, event, evlen);
        pubsub_publish(s, PS_CHANNEL, buf, (size_t)h + evlen, key, keylen);
    }
    if (buf != small) xfree(buf);
}

void notify_keyspace_event(server *s, int type, const char *event, const char *key, int dbid)
{
    notify_keyspace_event_len(s, type, event, key, sbuf_len(key), dbid);
}
