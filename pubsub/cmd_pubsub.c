/* cmd_pubsub.c — SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
 * SSUBSCRIBE SUNSUBSCRIBE SPUBLISH PUBSUB, and the server glue of pubsub.h.
 *
 * Replies follow Redis 7.0 byte for byte: each (un)subscription answers a
 * [kind, name, count] aggregate (a push under RESP3), where count is the
 * session's channel + pattern subscriptions (shard channels for the S
 * forms).  A session with any subscription carries SESS_PUBSUB; under
 * RESP2 the dispatcher then allows only the subscribed-context commands.
 *
 * Delivery: pubsub_publish encodes the message at most once per protocol
 * (and per matching pattern for pmessage) into a shared ps_msg and queues
 * a reference to it on each receiver's output (session_out_shared; a copy
 * only when that small queue is full); the output-buffer limits
 * (session.c), which count those bytes, cut off receivers that fall behind.
 */
#include "pubsub.h"
#include "server.h"
#include "commands.h"
#include "alloc.h"
#include "glob.h"

#include <string.h>
#include <strings.h>

/* ---- server glue ---------------------------------------------------------- */

void pubsub_server_init(server *s) { s->pubsub = ps_index_new(); }

void pubsub_server_free(server *s)
{
    ps_index_free(s->pubsub);
    s->pubsub = NULL;
}

static ps_client *client_of(session *c)
{
    if (!c->ps) c->ps = ps_client_new(c);
    return c->ps;
}

static void update_flag(session *c)
{
    ps_client *cl = c->ps;
    if (cl && ps_client_channels(cl) + ps_client_patterns(cl) + ps_client_shard(cl) > 0)
        c->flags |= SESS_PUBSUB;
    else
        c->flags &= ~(uint32_t)SESS_PUBSUB;
}

void pubsub_session_cleanup(session *c)
{
    if (c->ps) {
        ps_client_free(c->srv->pubsub, c->ps);
        c->ps = NULL;
    }
    c->flags &= ~(uint32_t)SESS_PUBSUB;
}

typedef struct pubctx {
    int kind;
    const char *ch, *msg;
    size_t chlen, msglen;
    ps_msg *enc[2];          /* message/smessage for RESP2, RESP3 */
    const char *pat;         /* the pattern penc[] was encoded for */
    ps_msg *penc[2];
} pubctx;

static void deliver(void *priv, const char *pattern, void *owner)
{
    pubctx *x = priv;
    session *c = owner;
    int r3 = c->resp == 3;
    ps_msg *m;
    if (!pattern) {
        if (!x->enc[r3])
            x->enc[r3] = ps_encode_message(c->resp, x->kind == PS_SHARD ? "smessage" : "message", NULL, 0,
                                           x->ch, x->chlen, x->msg, x->msglen);
        m = x->enc[r3];
    } else {
        if (pattern != x->pat) {   /* patterns arrive grouped: one encoding per pattern */
            ps_msg_unref(x->penc[0]);
            ps_msg_unref(x->penc[1]);
            x->penc[0] = x->penc[1] = NULL;
            x->pat = pattern;
        }
        if (!x->penc[r3])
            x->penc[r3] = ps_encode_message(c->resp, "pmessage", pattern, sbuf_len(pattern), x->ch, x->chlen,
                                            x->msg, x->msglen);
        m = x->penc[r3];
    }
    /* RESP sessions take a reference to the shared bytes; others (native
     * front end, in-process) get them through their own encoder.  A RESP
     * session under CLIENT REPLY OFF/SKIP (reply_discard_ops) still gets
     * the message: Redis 7.0.15 marks pub/sub pushes CLIENT_PUSHING, which
     * the reply silencing does not apply to. */
    if (session_is_resp(c)) session_out_shared(c, m);
    else reply_raw(c, m->data, m->len);
}

long pubsub_publish(server *s, int kind, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    if (!s->pubsub) return 0;
    pubctx x = {.kind = kind, .ch = ch, .chlen = chlen, .msg = msg, .msglen = msglen};
    int was = s->delivering;
    s->delivering = 1;   /* subscribers hear it before the publisher hears back */
    long n = ps_match(s->pubsub, kind, ch, chlen, deliver, &x);
    s->delivering = was;
    ps_msg_unref(x.enc[0]);
    ps_msg_unref(x.enc[1]);
    ps_msg_unref(x.penc[0]);
    ps_msg_unref(x.penc[1]);
    return n;
}

/* ---- replies ----------------------------------------------------------------- */

/* A (p|s)(un)subscribe confirmation: a push, so, as the messages above, it
 * is sent under CLIENT REPLY OFF/SKIP too (Redis's CLIENT_PUSHING). */
static void reply_sub(session *c, const char *kind, const char *name, size_t n, long count)
{
    const reply_ops *saved = c->rops;
    if (saved == &reply_discard_ops) c->rops = c->resp == 3 ? &resp3_ops : &resp2_ops;
    reply_push(c, 3);
    reply_bulk(c, kind, strlen(kind));
    if (name) reply_bulk(c, name, n);
    else reply_null(c);
    reply_int(c, count);
    c->rops = saved;
}

static long count_main(session *c) { return (long)(ps_client_channels(c->ps) + ps_client_patterns(c->ps)); }
static long count_shard(session *c) { return (long)ps_client_shard(c->ps); }

/* ---- SUBSCRIBE family ---------------------------------------------------------- */

static void subscribe_generic(session *c, int kind)
{
    if (kind == PS_SHARD && (c->flags & SESS_EXECUTING)) {
        /* Redis refuses SSUBSCRIBE from a CLIENT_DENY_BLOCKING client (EXEC
         * sets it); SUBSCRIBE and PSUBSCRIBE are let through inside MULTI
         * "for backward compatibility". */
        reply_error(c, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    ps_client *cl = client_of(c);
    for (int i = 1; i < c->args.argc; i++) {
        sbuf ch = c->args.argv[i];
        ps_subscribe(c->srv->pubsub, cl, kind, ch, sbuf_len(ch));
        update_flag(c);
        if (kind == PS_SHARD) reply_sub(c, "ssubscribe", ch, sbuf_len(ch), count_shard(c));
        else reply_sub(c, "subscribe", ch, sbuf_len(ch), count_main(c));
    }
}

/* unsubscribe_generic: kind PS_CHANNEL/PS_SHARD, or -1 for patterns. */
static void unsubscribe_generic(session *c, int kind)
{
    static const char *const names[] = {"punsubscribe", "unsubscribe", "sunsubscribe"};
    const char *what = names[kind + 1];
    ps_client *cl = client_of(c);
    ps_index *ix = c->srv->pubsub;
    long (*count)(session *) = kind == PS_SHARD ? count_shard : count_main;

    if (c->args.argc == 1) {
        char **all;
        size_t n = ps_client_names(cl, kind, &all);
        /* Copy the names: unsubscribing frees the client's own copies. */
        for (size_t i = 0; i < n; i++) all[i] = sbuf_dup(all[i]);
        for (size_t i = 0; i < n; i++) {
            if (kind < 0) ps_punsubscribe(ix, cl, all[i], sbuf_len(all[i]));
            else ps_unsubscribe(ix, cl, kind, all[i], sbuf_len(all[i]));
            update_flag(c);
            reply_sub(c, what, all[i], sbuf_len(all[i]), count(c));
            sbuf_free(all[i]);
        }
        xfree(all);
        if (n == 0) reply_sub(c, what, NULL, 0, count(c));
    } else {
        for (int i = 1; i < c->args.argc; i++) {
            sbuf ch = c->args.argv[i];
            if (kind < 0) ps_punsubscribe(ix, cl, ch, sbuf_len(ch));
            else ps_unsubscribe(ix, cl, kind, ch, sbuf_len(ch));
            update_flag(c);
            reply_sub(c, what, ch, sbuf_len(ch), count(c));
        }
    }
    update_flag(c);
}

/* SUBSCRIBE channel [channel ...] */
void cmd_subscribe(session *c) { subscribe_generic(c, PS_CHANNEL); }
/* SSUBSCRIBE shardchannel [shardchannel ...] */
void cmd_ssubscribe(session *c) { subscribe_generic(c, PS_SHARD); }
/* UNSUBSCRIBE [channel ...] */
void cmd_unsubscribe(session *c) { unsubscribe_generic(c, PS_CHANNEL); }
/* SUNSUBSCRIBE [shardchannel ...] */
void cmd_sunsubscribe(session *c) { unsubscribe_generic(c, PS_SHARD); }
/* PUNSUBSCRIBE [pattern ...] */
void cmd_punsubscribe(session *c) { unsubscribe_generic(c, -1); }

/* PSUBSCRIBE pattern [pattern ...] */
void cmd_psubscribe(session *c)
{
    ps_client *cl = client_of(c);
    for (int i = 1; i < c->args.argc; i++) {
        sbuf p = c->args.argv[i];
        ps_psubscribe(c->srv->pubsub, cl, p, sbuf_len(p));
        update_flag(c);
        reply_sub(c, "psubscribe", p, sbuf_len(p), count_main(c));
    }
}

/* PUBLISH channel message */
void cmd_publish(session *c)
{
    sbuf ch = c->args.argv[1], msg = c->args.argv[2];
    reply_int(c, pubsub_publish(c->srv, PS_CHANNEL, ch, sbuf_len(ch), msg, sbuf_len(msg)));
}

/* SPUBLISH shardchannel message */
void cmd_spublish(session *c)
{
    sbuf ch = c->args.argv[1], msg = c->args.argv[2];
    reply_int(c, pubsub_publish(c->srv, PS_SHARD, ch, sbuf_len(ch), msg, sbuf_len(msg)));
}

/* ---- PUBSUB ------------------------------------------------------------------ */

typedef struct listctx {
    session *c;
    long n;
} listctx;

static void list_one(void *priv, const char *name)
{
    listctx *x = priv;
    reply_bulk(x->c, name, sbuf_len(name));
    x->n++;
}

static void channels_generic(session *c, int kind)
{
    if (c->args.argc > 3) {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP.",
                     c->args.argv[1]);
        return;
    }
    const char *pat = c->args.argc == 3 ? c->args.argv[2] : NULL;
    void *h = reply_defer(c);
    listctx x = {c, 0};
    ps_channel_list(c->srv->pubsub, kind, pat, pat ? sbuf_len(pat) : 0, list_one, &x);
    reply_set_array_len(c, h, x.n);
}

static void numsub_generic(session *c, int kind)
{
    reply_array(c, (long)(c->args.argc - 2) * 2);
    for (int i = 2; i < c->args.argc; i++) {
        sbuf ch = c->args.argv[i];
        reply_bulk(c, ch, sbuf_len(ch));
        reply_int(c, (long long)ps_numsub(c->srv->pubsub, kind, ch, sbuf_len(ch)));
    }
}

/* PUBSUB CHANNELS [pattern] */
void cmd_pubsub_channels(session *c) { channels_generic(c, PS_CHANNEL); }
/* PUBSUB SHARDCHANNELS [pattern] */
void cmd_pubsub_shardchannels(session *c) { channels_generic(c, PS_SHARD); }
/* PUBSUB NUMSUB [channel ...] */
void cmd_pubsub_numsub(session *c) { numsub_generic(c, PS_CHANNEL); }
/* PUBSUB SHARDNUMSUB [shardchannel ...] */
void cmd_pubsub_shardnumsub(session *c) { numsub_generic(c, PS_SHARD); }
/* PUBSUB NUMPAT */
void cmd_pubsub_numpat(session *c) { reply_int(c, (long long)ps_numpat(c->srv->pubsub)); }

/* PUBSUB HELP */
void cmd_pubsub_help(session *c)
{
    static const char *const lines[] = {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof lines / sizeof lines[0];
    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) reply_simple(c, lines[i]);
}
