/* rill_async.h — librill's asynchronous API: callbacks, for applications
 * that run their own event loop.
 *
 * The core knows no event loop.  It exposes one file descriptor that
 * becomes readable when callbacks are ready to run, and one function,
 * rill_async_process, that runs them on the caller's thread.  Watch the fd
 * with any loop (poll, epoll, libevent, libuv...) and call process when it
 * is readable; <rill/adapters/libevent.h> does exactly this for libevent.
 * NNG does the network I/O on its own threads; their completions are queued
 * under a mutex and signalled through an eventfd, so every callback runs on
 * the thread that calls rill_async_process, never on an NNG thread.
 *
 * Thread safety: a rill_async is used from one thread (the loop's).  Only
 * rill_async_fd's readiness comes from other threads.
 *
 * Connection and reconnection.  rill_async_connect returns at once and
 * dials in the background; commands issued before the connection is up wait
 * in a local queue.  When the connection drops, every command in flight
 * fails with RILL_ECLOSED ("the command may or may not have run"): nothing
 * is ever resent, so a command never runs twice.  Commands not yet sent
 * stay queued.  NNG re-dials with exponential backoff (reconnect_min_ms
 * doubling up to reconnect_max_ms).  On every new connection the client
 * first sends AUTH and SELECT (when configured), then SUBSCRIBE and
 * PSUBSCRIBE for every subscription made through rill_async_subscribe,
 * then resumes its long-poll, and only then sends queued commands.
 *
 * Callbacks.  A command's callback runs exactly once: with RILL_OK and the
 * reply, or with an error code and a NULL reply (RILL_ECLOSED, RILL_ETIMEDOUT,
 * RILL_EPROTO, or RILL_ECANCELED when the client is closed).  If a call
 * fails synchronously (returns an error), its callback never runs.  The
 * reply belongs to the library and is freed when the callback returns,
 * unless the callback calls rill_async_keep_reply; then the callback owns it
 * and frees it with rill_reply_free.
 *
 *     static void on_get(rill_async *ac, int err, rill_reply *r, void *arg) {...}
 *     rill_async *ac;
 *     rill_async_connect("tcp://127.0.0.1:7379", NULL, &ac);
 *     rill_async_commandf(ac, on_get, NULL, "GET %s", key);
 *     ... loop: poll(rill_async_fd(ac)) readable -> rill_async_process(ac) ...
 *     rill_async_close(ac);
 */
#ifndef RILL_RILL_ASYNC_H
#define RILL_RILL_ASYNC_H

#include "rill/rill.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An extra error code of the async API (the enum rill_err goes to 8). */
#define RILL_ECANCELED 9   /* the client was closed before the reply came */

typedef struct rill_async rill_async;

/* rill_reply_cb receives a command's outcome (see the top comment). */
typedef void rill_reply_cb(rill_async *ac, int err, rill_reply *reply, void *arg);

/* rill_connect_cb reports connection changes: up = 1 connected (after AUTH,
 * SELECT and re-subscription were sent), 0 lost (in-flight commands have
 * failed; a re-dial is under way). */
typedef void rill_connect_cb(rill_async *ac, int up, void *arg);

/* A pub/sub message as delivered to a subscription callback.  The pointers
 * are valid during the callback only. */
typedef struct rill_message {
    const char *kind;        /* "message", "pmessage" or "smessage" */
    const char *pattern;     /* pmessage: the matching pattern; else NULL */
    size_t pattern_len;
    const char *channel;
    size_t channel_len;
    const char *payload;
    size_t payload_len;
} rill_message;

typedef void rill_message_cb(rill_async *ac, const rill_message *m, void *arg);

/* Options; zero-initialise and set what you need (NULL opts: defaults). */
typedef struct rill_async_opts {
    int command_timeout_ms;   /* per command once sent; 0: none */
    int reconnect_min_ms;     /* first re-dial delay; 0: 50 */
    int reconnect_max_ms;     /* backoff cap; 0: 2000 */
    const char *password;     /* AUTH on every connection; NULL: none */
    const char *username;     /* with password: AUTH username password */
    int db;                   /* SELECT db on every connection when > 0 */
    int poll_wait_ms;         /* long-poll wait per POLL; 0: 1000 */
    int poll_batch;           /* pushes per POLL reply at most; 0: 256 */
    int max_queued;           /* commands waiting to be sent at most; 0: 65536 */
    int max_in_flight;        /* commands sent and unanswered at most; 0 or > 64: 64 */
} rill_async_opts;

/* rill_async_connect creates a client for url and starts dialing in the
 * background; it does not wait for the server.  RILL_OK: *out is the
 * client (close it with rill_async_close).  RILL_ECONNECT: bad URL or
 * transport; RILL_ENOMEM.  opts is copied (strings too). */
RILL_API int rill_async_connect(const char *url, const rill_async_opts *opts, rill_async **out);

/* rill_async_fd is a descriptor that is readable while callbacks wait to run.
 * Do not read or close it: rill_async_process clears it. */
RILL_API int rill_async_fd(const rill_async *ac);

/* rill_async_process runs every ready callback on the calling thread, and
 * sends queued commands that may go now.  Never blocks.  Returns the number
 * of command callbacks run.  Callbacks may issue commands and subscribe; they
 * must not call rill_async_close (close after process returns). */
RILL_API int rill_async_process(rill_async *ac);

/* rill_async_close fails every outstanding command with RILL_ECANCELED
 * (their callbacks run now, from inside this call), closes the connection
 * and frees ac. */
RILL_API void rill_async_close(rill_async *ac);

/* rill_async_set_connect_cb registers cb for connection changes. */
RILL_API void rill_async_set_connect_cb(rill_async *ac, rill_connect_cb *cb, void *arg);

/* rill_async_command queues one command (argvlen NULL: strlen).  cb may be
 * NULL (the reply is dropped).  RILL_EINVAL (argc < 1), RILL_ENOMEM,
 * RILL_ESTATE (max_queued commands already waiting). */
RILL_API int rill_async_command(rill_async *ac, rill_reply_cb *cb, void *arg, int argc,
                                const char *const *argv, const size_t *argvlen);

/* Batching (docs/protocol.md, "Batches").  Commands given while the client
 * is corked wait; rill_async_uncork sends them packed into batch messages
 * (one message carrying up to 1024 commands, one reply message carrying
 * their replies), which costs far less per command than a message each.
 * Without cork every command is a message of its own, as before.  Each
 * command still gets its own callback, in order.  Needs a server that knows batches (Rill 0.1 with
 * Request.batch); an older one answers every command of a batch with
 * "ERR Protocol error: empty request: argv has no command". */
RILL_API void rill_async_cork(rill_async *ac);
RILL_API void rill_async_uncork(rill_async *ac);

/* rill_async_commandf formats like rill_commandf. */
RILL_API int rill_async_commandf(rill_async *ac, rill_reply_cb *cb, void *arg, const char *fmt, ...);

/* rill_async_keep_reply, called inside a reply callback, hands the reply to
 * the callback (which then frees it with rill_reply_free). */
RILL_API void rill_async_keep_reply(rill_async *ac);

/* rill_async_pending counts commands queued or in flight (not the long-poll). */
RILL_API int rill_async_pending(const rill_async *ac);

/* rill_async_connected is 1 while a connection is up. */
RILL_API int rill_async_connected(const rill_async *ac);

/* ---- subscriptions ------------------------------------------------------
 * rill_async_subscribe subscribes to a channel (rill_async_psubscribe to a
 * glob pattern) and calls cb for each message.  The subscription is kept
 * client-side and re-established after every reconnect; messages are
 * fetched with a long-poll (POLL) kept parked on the server.  Subscribing
 * again to the same name replaces the callback.  RILL_ENOMEM, RILL_EINVAL. */
RILL_API int rill_async_subscribe(rill_async *ac, const char *channel, rill_message_cb *cb, void *arg);
RILL_API int rill_async_psubscribe(rill_async *ac, const char *pattern, rill_message_cb *cb, void *arg);
/* rill_async_unsubscribe / punsubscribe drop one; RILL_EINVAL if unknown. */
RILL_API int rill_async_unsubscribe(rill_async *ac, const char *channel);
RILL_API int rill_async_punsubscribe(rill_async *ac, const char *pattern);

/* rill_async_set_error_cb receives errors of the library's own requests
 * (AUTH, SELECT, SUBSCRIBE, POLL) as text; without one they are dropped. */
typedef void rill_error_cb(rill_async *ac, int err, const char *msg, void *arg);
RILL_API void rill_async_set_error_cb(rill_async *ac, rill_error_cb *cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
