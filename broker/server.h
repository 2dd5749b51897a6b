/* server.h — struct server, the explicit context every handler receives.
 *
 * There is no global server: handlers get it from their session (c->srv).
 * The core thread owns everything here; nothing in it takes locks.
 */
#ifndef RILL_SERVER_H
#define RILL_SERVER_H

#include <stdint.h>
#include <time.h>
#include "config.h"
#include "db.h"
#include "dict.h"
#include "session.h"
#include "command.h"
#include "reply.h"
#include "log.h"

struct event_base;
struct event;

typedef struct server_stats {
    long long numcommands;
    long long numconnections;
    long long rejected_conn;
    long long expiredkeys;
    long long expired_stale_perc;
    long long evictedkeys;
    long long keyspace_hits, keyspace_misses;
    long long net_input_bytes, net_output_bytes;
    long long total_error_replies;
    long long unexpected_error_replies;
    long long total_reads, total_writes;
    long long io_threaded_reads, io_threaded_writes;
    long long client_qbuf_limit_disconnections;
    long long client_outbuf_limit_disconnections;
    long long loop_coalesced;   /* coalescing sleeps (server.c coalesce) */
    long long effects;                 /* effects emitted */
    /* INFO's instantaneous rates (info.c): the counters at the last sample
     * and the rates computed then; zeroed with the rest by CONFIG RESETSTAT. */
    long long inst_ms, inst_ops, inst_net_in, inst_net_out;
    double inst_ops_sec, inst_in_kbps, inst_out_kbps;
    /* INFO errorstats (info.c): error replies by code ("ERR", "WRONGTYPE");
     * codes past the first SERVER_ERROR_CODES are not itemised. */
#define SERVER_ERROR_CODES 128
    struct server_errorstat { char code[32]; long long count; } errors[SERVER_ERROR_CODES];
    int nerrors;
} server_stats;

typedef struct server {
    config cfg;
    struct event_base *base;
    struct event *cron_ev;
    struct event *expire_ev;     /* active-expiry slices between crons (on_expire_slice) */
    struct event *sig_ev[3];
    int shutdown_asap;
    int exit_code;

    /* Time, cached at each command / loop iteration. */
    long long mstime;        /* unix ms */
    long long ustime;        /* unix us */
    long long start_ms;
    long long cmd_start_ms;  /* the time a command runs at (expiry checks) */
    uint64_t cronloops;
    struct loop_pace {       /* polling before sleeping under pipelined load (server.c loop_wait) */
        long long reads, cmds;  /* stat.total_reads / numcommands at the last check */
        long long budget_ns;    /* how long the next poll may spin */
        long long think_us;     /* average time clients take from our reply to their next request */
        long long oversleep_ns; /* average time nanosleep overshoots what was asked */
        int ready16;            /* average clients read per busy iteration, x16 */
    } pace;
    struct cmd_clock {       /* times commands for commandstats (server.c cmd_clock_us) */
        int tsc;             /* 0 clock_gettime, 1 invariant TSC uncalibrated, 2 calibrated */
        unsigned long long tsc0;
        long long ns0;
        double us_per_tick;
    } clk;

    db *dbs;
    int ndb;

    dict *commands;          /* lower-case name -> command */
    struct command **cmd_list;
    int cmd_count;

    /* Sessions */
    session *clients;        /* doubly linked */
    int nclients;
    uint64_t next_client_id;
    session *pending_write;
    session *pending_deliver;   /* sessions given pub/sub messages: flushed before pending_write */
    int delivering;             /* a PUBLISH is fanning out (session_mark_write) */
    session *to_close;
    dict *clients_by_id;     /* u64 id -> session (via key = id) */
    session *current;        /* session whose command is running */

    /* Listeners */
    struct listener *listeners;
    int nlisteners;

    /* Data state */
    long long dirty;         /* changes since last save */
    long long dirty_before;  /* used by call() */
    long long nested_errors; /* error replies of calls nested in the running one */
    int in_exec;             /* running EXEC */
    int loading;
    time_t lastsave;

    /* Effects (see effect.h) */
    struct effect_sink *sinks;
    struct aof *aof;          /* the append log (persist/aof.h), NULL when off */
    struct persist *persist;  /* snapshot child, save points (persist/persist.h) */

    server_stats stat;
    char runid[41];
    int pid;
    char executable[512];
    long long peak_memory;
    int lazyfree_pending;

    struct ps_index *pubsub;  /* subscriptions (pubsub/pubsub.h) */
    struct block_state *blk;  /* blocked clients, ready keys (blocking.h) */
    struct qreg *queues;      /* job queues: registry and timer (cmd_queue.c) */
    struct slowlog *slowlog;  /* slow commands (slowlog.h), NULL until the first */
} server;

/* server_new builds a server from cfg (which it takes over). */
server *server_new(config *cfg, char *err, size_t errlen);
/* server_listen opens the configured listeners; 0 or -1 (logged). */
int server_listen(server *s);
/* server_run runs the loop until shutdown; returns the exit code. */
int server_run(server *s);
void server_free(server *s);

/* Time helpers */
long long ustime_now(void);
long long mstime_now(void);
void server_update_time(server *s);
void server_note_read(server *s, long long last_reply_us);

/* call() runs one command for c with full bookkeeping (stats, effects). */
void server_call(session *c, struct command *cmd);
/* server_process_command does lookup, checks and call/queue for c->args. */
void server_process_command(session *c);

/* server_before_sleep flushes output, frees closed sessions, etc. */
void server_before_sleep(server *s);
void server_request_shutdown(server *s);

/* Memory usage of all live allocations. */
size_t server_used_memory(void);

#endif
