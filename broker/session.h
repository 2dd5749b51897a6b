/* session.h — one client connection, whatever the front end.
 *
 * A session holds the client's state (db, protocol version, name, flags,
 * transaction queue), its input (query buffer, parser, the current argv)
 * and its output buffer.  Front ends own the transport: they feed bytes in
 * (session_feed) and flush output when the loop is about to sleep
 * (server_before_sleep calls session_flush through the front end's ops).
 *
 * Teardown is deferred: session_close_async marks the session and puts it
 * on the server's close list; it is freed in the before-sleep hook, never
 * inside its own callback.
 */
#ifndef RILL_SESSION_H
#define RILL_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "argv.h"
#include "resp_parse.h"
#include "reply.h"
#include "sbuf.h"

struct server;
struct ps_msg;
struct db;
struct command;
struct event;

enum {
    SESS_CLOSE_ASAP = 1 << 0,         /* free in before-sleep */
    SESS_CLOSE_AFTER_REPLY = 1 << 1,  /* stop reading; close once output is written */
    SESS_MULTI = 1 << 2,              /* inside MULTI */
    SESS_DIRTY_CAS = 1 << 3,          /* a WATCHed key changed: EXEC fails */
    SESS_DIRTY_EXEC = 1 << 4,         /* a queueing error: EXEC aborts */
    SESS_AUTHENTICATED = 1 << 5,
    SESS_PENDING_WRITE = 1 << 6,      /* on the server's pending-write list */
    SESS_BLOCKED = 1 << 7,
    SESS_PUBSUB = 1 << 8,
    SESS_UNIX = 1 << 9,
    SESS_EXECUTING = 1 << 10,         /* a command of it is running (EXEC etc.) */
    SESS_NO_EVICT = 1 << 11,
    SESS_PAUSED_READ = 1 << 12,       /* reading paused (blocked/close-after-reply) */
    SESS_PROTECTED = 1 << 13,         /* not to be freed right now */
    SESS_AOF_WAIT = 1 << 14,          /* output held until the log is fsynced (persist/aof.h) */
    SESS_REPLY_OFF = 1 << 15,         /* CLIENT REPLY OFF: no replies until ON */
    SESS_REPLY_SKIP = 1 << 16,        /* CLIENT REPLY SKIP: this command's reply is dropped */
    SESS_REPLY_SKIP_NEXT = 1 << 17,   /* ... set by it: the next command's is */
};

/* What a front end does for its sessions; every field required. */
typedef struct session_ops {
    const char *name;                                   /* "resp", "native" */
    /* flush tries to send pending output now; returns 0, or -1 if the peer is gone. */
    int (*flush)(struct session *c);
    /* close releases transport resources (the session itself is freed by the core). */
    void (*close)(struct session *c);
    /* pause/resume reading input (blocked clients, close-after-reply). */
    void (*pause_read)(struct session *c);
    void (*resume_read)(struct session *c);
} session_ops;

#define SESSION_OREF_MAX 16   /* shared buffers one session may reference */

typedef struct multi_cmd {
    struct command *cmd;
    argv_t args;
} multi_cmd;

typedef struct session {
    uint64_t id;
    struct server *srv;
    const session_ops *ops;
    const reply_ops *rops;
    int fd;                       /* -1 for non-socket sessions */
    void *fe_state;               /* the front end's per-session state (native: its pipe, reply builder) */
    int fe_pending;               /* the front end holds output outside obuf (native: parked or
                                     log-held replies): before-sleep calls flush even when obuf is empty */
    struct event *rev, *wev;
    int resp;                     /* 2 or 3 */
    uint32_t flags;
    struct db *db;
    int dbid;
    sbuf name, lib_name, lib_ver;
    char addr[64], laddr[64];
    long long ctime, last_interaction;   /* ms */
    long long last_reply_us;             /* unix us our last reply went out (server_note_read) */

    /* Input */
    char *qbuf;
    size_t qlen, qpos, qcap, qpeak;
    resp_parser parser;
    argv_t args;
    struct command *cmd, *lastcmd;
    argv_t eff;                   /* effect_rewrite's argv */
    int eff_mode;                 /* 0 own argv, 1 eff, 2 suppressed */
    uint64_t aof_wait_seq;        /* SESS_AOF_WAIT: the log write its replies wait for */

    /* Output: a contiguous buffer; bytes [osent, olen) are pending. */
    char *obuf;
    size_t olen, ocap, osent;
    long long obuf_soft_since;    /* ms, for soft output limits */
    /* Shared output (pub/sub messages): references to immutable refcounted
     * buffers, oref[i] logically inserted at obuf offset pos (pos >= osent,
     * nondecreasing), so byte order with ordinary replies is kept; written
     * with writev.  oref_sent bytes of oref[0] are already out; oref_bytes
     * is what is left of all of them.  Only front ends that set oref_ok
     * (resp) flush it; others always get copies. */
    struct { struct ps_msg *m; size_t pos; } oref[SESSION_OREF_MAX];
    int nref, oref_ok;
    size_t oref_sent, oref_bytes;

    /* Transaction */
    multi_cmd *mstate;
    int mcount, mcap;
    struct watched_key *watched;  /* list (cmd_multi.c) */

    /* Pub/sub (pubsub/pubsub.h): subscriptions, NULL until the first. */
    struct ps_client *ps;
    /* Blocking (blocking.h): what it waits for, NULL unless SESS_BLOCKED. */
    struct block_client *bc;

    /* Links */
    struct session *prev, *next;          /* server's client list */
    struct session *pw_next;              /* pending-write list */
    struct session *close_next;           /* close list */

    /* Stats */
    long long net_in, net_out, commands;
} session;

session *session_new(struct server *s, const session_ops *ops, int fd);
/* session_free frees the session now (core only, outside its callbacks). */
void session_free(session *c);
/* session_close_async marks c to be freed in the before-sleep hook. */
void session_close_async(session *c);

/* session_process_input parses and runs every complete command in the query
 * buffer; stops early when the session is closing or blocked. */
void session_process_input(session *c);

/* CLIENT REPLY (RESP sessions only).  While replies are off or skipped,
 * c->rops is reply_discard_ops, so every reply (errors, HELP, a blocked
 * command's late answer under OFF) goes nowhere; pub/sub messages, which
 * are encoded once for all receivers, are still delivered.
 * session_is_resp: is c a RESP session (not native)?
 * session_reply_sync: sets c->rops from c->resp and the REPLY flags.
 * session_reply_step: after each command of a session with SKIP or
 * SKIP_NEXT: SKIP ends, SKIP_NEXT becomes SKIP (Redis's resetClient);
 * for a command that blocked, once it is unblocked (blocking.c), so that
 * a skipped BLPOP's late reply is dropped too, as in Redis 7.0. */
int session_is_resp(const session *c);
void session_reply_sync(session *c);
void session_reply_step(session *c);

/* Output buffer primitives used by the reply encoders. */
void session_out(session *c, const void *p, size_t n);
/* session_out_reserve makes room for n bytes and returns where to write. */
char *session_out_reserve(session *c, size_t n);
static inline void session_out_commit(session *c, size_t n) { c->olen += n; }
/* session_out_pending is the obuf bytes not yet written (shared ones not included). */
static inline size_t session_out_pending(const session *c) { return c->olen - c->osent; }
/* session_out_total is every byte not yet written, shared buffers included. */
static inline size_t session_out_total(const session *c) { return c->olen - c->osent + c->oref_bytes; }
/* session_out_shared queues a reference to m's bytes (or copies them when
 * the queue is full, the front end cannot, or c is running a command, whose
 * deferred replies may still move obuf bytes). */
void session_out_shared(session *c, struct ps_msg *m);
/* session_out_iov fills at most max iovecs (struct iovec) with the pending
 * bytes in order; returns the count (0 if nothing is pending).  max must be
 * at least 2 * SESSION_OREF_MAX + 1 to cover everything. */
int session_out_iov(session *c, void *iov, int max);
/* session_out_sent consumes n written bytes (dropping finished references). */
void session_out_sent(session *c, size_t n);
/* session_check_output_limit closes c asynchronously (logged, counted)
 * when its pending output breaks client-output-buffer-limit; 1 if closing. */
int session_check_output_limit(session *c);
/* session_mark_write queues c for a flush before the loop sleeps (and
 * checks the output-buffer limit first). */
void session_mark_write(session *c);

/* session_set_resp switches the reply protocol (HELLO). */
void session_set_resp(session *c, int resp);
/* session_select changes the db; 0, or -1 if out of range. */
int session_select(session *c, int id);
/* session_info_line writes the CLIENT LIST line for c into out (an sbuf). */
sbuf session_info_line(session *c, sbuf out);

#endif
