/* chat.c — chat rooms over pub/sub, with the room's history in a stream.
 *
 *   chat [-u URL] [--exit-after N] ROOM NICK     join: history, then live; stdin lines are posted
 *   chat [-u URL] --say ROOM NICK TEXT...        post one message and exit
 *
 * A message is appended to the stream chat:<room>:log (XADD ... MAXLEN ~
 * 1000, fields nick and text) and its stream ID, nick and text are
 * published on chat:<room>.  A member joining late subscribes first, then
 * reads the last 50 messages with XREVRANGE and prints them oldest first;
 * live messages whose ID is not newer than the last one printed are
 * skipped, so nothing sent while joining is lost or shown twice.
 * Uses librill's async API inside a libevent loop (stdin is a libevent
 * event too).
 */
#include <rill/adapters/libevent.h>
#include <rill/rill_async.h>

#include <event2/event.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct event_base *base;
static rill_async *ac;
static const char *room, *nick;
static char logkey[256], channel[256];
static uint64_t seen_ms, seen_seq;   /* newest message ID printed */
static int history_done, exit_after = -1, live_count;

static void parse_id(const char *id, size_t n, uint64_t *ms, uint64_t *seq)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < 63 ? n : 63), id);
    *ms = strtoull(buf, NULL, 10);
    const char *dash = strchr(buf, '-');
    *seq = dash ? strtoull(dash + 1, NULL, 10) : 0;
}

static int newer(uint64_t ms, uint64_t seq) { return ms > seen_ms || (ms == seen_ms && seq > seen_seq); }

static void show(const char *id, size_t idlen, const char *who, size_t wlen, const char *text, size_t tlen, int live)
{
    uint64_t ms, seq;
    parse_id(id, idlen, &ms, &seq);
    if (!newer(ms, seq)) return;
    seen_ms = ms;
    seen_seq = seq;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    printf("%s[%02d:%02d:%02d] <%.*s> %.*s\n", live ? "" : "  ", tm.tm_hour, tm.tm_min, tm.tm_sec, (int)wlen, who,
           (int)tlen, text);
    fflush(stdout);
}

/* Live message payload: "<id>\n<nick>\n<text>". */
static void on_message(rill_async *a, const rill_message *m, void *arg)
{
    if (!history_done) return;   /* the history read covers it (or a later message will) */
    const char *p = m->payload, *end = p + m->payload_len;
    const char *nl1 = memchr(p, '\n', m->payload_len);
    const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
    if (!nl2) return;
    show(p, (size_t)(nl1 - p), nl1 + 1, (size_t)(nl2 - nl1 - 1), nl2 + 1, (size_t)(end - nl2 - 1), 1);
    if (exit_after > 0 && ++live_count >= exit_after) event_base_loopbreak(base);
}

static const char *field(const rill_reply *fields, const char *name, size_t *len)
{
    for (size_t i = 0; i + 1 < rill_reply_len(fields); i += 2) {
        const char *k = rill_reply_string(rill_reply_element(fields, i), NULL);
        if (k && !strcmp(k, name)) return rill_reply_string(rill_reply_element(fields, i + 1), len);
    }
    *len = 0;
    return "";
}

static void on_history(rill_async *a, int err, rill_reply *r, void *arg)
{
    if (err != RILL_OK || rill_reply_type(r) == RILL_REPLY_ERROR) {
        fprintf(stderr, "chat: reading history: %s\n", err ? rill_strerror(err) : rill_reply_string(r, NULL));
        event_base_loopbreak(base);
        return;
    }
    size_t n = rill_reply_len(r);
    printf("-- %s: last %zu message%s --\n", room, n, n == 1 ? "" : "s");
    for (size_t i = n; i-- > 0;) {   /* XREVRANGE is newest first */
        const rill_reply *e = rill_reply_element(r, i);
        size_t idlen, wl, tl;
        const char *id = rill_reply_string(rill_reply_element(e, 0), &idlen);
        const rill_reply *f = rill_reply_element(e, 1);
        const char *who = field(f, "nick", &wl), *text = field(f, "text", &tl);
        if (id) show(id, idlen, who, wl, text, tl, 0);
    }
    printf("-- live --\n");
    fflush(stdout);
    history_done = 1;
    if (exit_after == 0) event_base_loopbreak(base);
}

typedef struct post {
    char *text;
} post;

static void on_published(rill_async *a, int err, rill_reply *r, void *arg)
{
    if (err != RILL_OK) fprintf(stderr, "chat: publish: %s\n", rill_strerror(err));
}

static int sent_pending;
static void on_added(rill_async *a, int err, rill_reply *r, void *arg)
{
    post *p = arg;
    if (err != RILL_OK || rill_reply_type(r) != RILL_REPLY_BULK) {
        fprintf(stderr, "chat: XADD: %s\n", err ? rill_strerror(err) : rill_reply_string(r, NULL));
    } else {
        size_t idlen;
        const char *id = rill_reply_string(r, &idlen);
        size_t n = idlen + strlen(nick) + strlen(p->text) + 3;
        char *payload = malloc(n);
        int k = snprintf(payload, n, "%.*s\n%s\n%s", (int)idlen, id, nick, p->text);
        const char *argv[] = {"PUBLISH", channel, payload};
        size_t lens[] = {7, strlen(channel), (size_t)k};
        rill_async_command(a, on_published, NULL, 3, argv, lens);
        free(payload);
    }
    free(p->text);
    free(p);
    sent_pending--;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    if (sent_pending == 0 && rill_async_pending(ac) == 0) event_base_loopbreak(base);
}

static void say(const char *text)
{
    post *p = malloc(sizeof *p);
    p->text = strdup(text);
    const char *argv[] = {"XADD", logkey, "MAXLEN", "~", "1000", "*", "nick", nick, "text", text};
    sent_pending++;
    rill_async_command(ac, on_added, p, 10, argv, NULL);
}

static struct event *drain;   /* after stdin ends: exit once every post is sent */

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    char line[4096];
    ssize_t n = read(fd, line, sizeof line - 1);
    if (n <= 0) {
        event_del((struct event *)arg);
        struct timeval tv = {0, 5000};
        if (exit_after < 0) event_add(drain, &tv);
        return;
    }
    line[n] = 0;
    for (char *s = strtok(line, "\n"); s; s = strtok(NULL, "\n"))
        if (*s) say(s);
}


int main(int argc, char **argv)
{
    const char *url = "tcp://127.0.0.1:7379";
    int i = 1, saying = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-u") && i + 1 < argc) url = argv[++i];
        else if (!strcmp(argv[i], "--exit-after") && i + 1 < argc) exit_after = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--say")) saying = 1;
        else break;
    }
    if (argc - i < 2 || (saying && argc - i < 3)) {
        fprintf(stderr, "usage: chat [-u URL] [--exit-after N] ROOM NICK\n"
                        "       chat [-u URL] --say ROOM NICK TEXT...\n");
        return 2;
    }
    room = argv[i];
    nick = argv[i + 1];
    snprintf(logkey, sizeof logkey, "chat:%s:log", room);
    snprintf(channel, sizeof channel, "chat:%s", room);
    base = event_base_new();
    if (rill_async_connect(url, NULL, &ac) != RILL_OK) {
        fprintf(stderr, "chat: bad URL %s\n", url);
        return 1;
    }
    struct event *ev = rill_libevent_attach(ac, base);
    if (saying) {
        char text[4096] = "";
        for (int k = i + 2; k < argc; k++) {
            strncat(text, argv[k], sizeof text - strlen(text) - 2);
            if (k + 1 < argc) strcat(text, " ");
        }
        say(text);
        struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
        struct timeval tv = {0, 5000};
        event_add(tick, &tv);
        event_base_dispatch(base);
        event_free(tick);
    } else {
        rill_async_subscribe(ac, channel, on_message, NULL);   /* first: nothing falls between */
        rill_async_commandf(ac, on_history, NULL, "XREVRANGE %s + - COUNT 50", logkey);
        drain = event_new(base, -1, EV_PERSIST, on_tick, NULL);
        struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, event_self_cbarg());
        if (exit_after < 0) event_add(in, NULL);
        event_base_dispatch(base);
        event_free(in);
        event_free(drain);
    }
    rill_libevent_detach(ev);
    rill_async_close(ac);
    event_base_free(base);
    return 0;
}
