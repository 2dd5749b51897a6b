/* server.c — the core: event loop, dispatch, call(), cron, shutdown.
 *
 * One thread runs everything.  The loop is libevent's, run one iteration at a
 * time so that server_before_sleep can do, before every wait: free sessions
 * marked for closing, write out pending replies (one write per client per
 * iteration, covering every command it pipelined), and later group-commit
 * the append log and serve unblocked clients.  Under pipelined load it polls
 * briefly before sleeping (loop_wait), and commands are timed with the TSC
 * where it is invariant (cmd_clock_us).
 */
#include "server.h"
#include "alloc.h"
#include "effect.h"
#include "listener.h"
#include "log.h"
#include "multi.h"
#include "blocking.h"
#include "pubsub.h"
#include "aof.h"
#include "cmd_queue.h"
#include "persist.h"
#include "slowlog.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

long long ustime_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

long long mstime_now(void) { return ustime_now() / 1000; }

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- command clock -----------------------------------------------------
 * server_call times every command for INFO commandstats, two clock reads
 * per command.  clock_gettime costs ~35 ns on our VMs, 7% of a pipelined
 * GET, where the CPU's time-stamp counter costs ~15 ns.  So where the TSC
 * is invariant (constant_tsc and nonstop_tsc in /proc/cpuinfo) it is read
 * instead, converted with a rate that the cron measures against
 * CLOCK_MONOTONIC from start-up on (first after 100 ms; until then, and
 * everywhere else, clock_gettime).  Both give whole microseconds, so short
 * commands count 0 or 1 µs each, as Redis's ustime does. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
#define CLK_HAVE_TSC 1
#endif

static void cmd_clock_init(server *s)
{
    memset(&s->clk, 0, sizeof s->clk);
#ifdef CLK_HAVE_TSC
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        if (strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc")) s->clk.tsc = 1;
        break;
    }
    fclose(f);
    if (s->clk.tsc) {
        s->clk.tsc0 = __rdtsc();
        s->clk.ns0 = mono_ns();
    }
#endif
}

static void cmd_clock_calibrate(server *s)
{
#ifdef CLK_HAVE_TSC
    if (!s->clk.tsc) return;
    unsigned long long t = __rdtsc();
    long long ns = mono_ns();
    if (ns - s->clk.ns0 < 100000000LL || t <= s->clk.tsc0) return;
    s->clk.us_per_tick = (double)(ns - s->clk.ns0) / 1000.0 / (double)(t - s->clk.tsc0);
    s->clk.tsc = 2;
#endif
}

/* cmd_clock_us: monotonic microseconds, for durations only. */
static inline long long cmd_clock_us(server *s)
{
#ifdef CLK_HAVE_TSC
    if (s->clk.tsc == 2) return (long long)((double)(__rdtsc() - s->clk.tsc0) * s->clk.us_per_tick);
#endif
    return mono_ns() / 1000;
}

/* server_note_read: a client's input arrived (s->ustime is current).  The
 * time since our last reply to it is its "think time": what the client
 * spends before its next request (its own work, and serving its other
 * connections).  Their average sizes the loop's coalescing sleep (see
 * coalesce).  Gaps are capped at PACE_THINK_CAP_US so that idle clients
 * count as "long" without swamping the average. */
#define PACE_THINK_CAP_US 2000
void server_note_read(server *s, long long last_reply_us)
{
    long long gap = s->ustime - last_reply_us;
    if (gap < 0) return;
    if (gap > PACE_THINK_CAP_US) gap = PACE_THINK_CAP_US;
    s->pace.think_us += (gap - s->pace.think_us) / 16;
}

void server_update_time(server *s)
{
    s->ustime = ustime_now();
    s->mstime = s->ustime / 1000;
    obj_lru_clock = (unsigned)((s->mstime / 1000) & LRU_CLOCK_MAX);
}

size_t server_used_memory(void) { return xused_memory(); }

/* ---- dispatch --------------------------------------------------------- */

static void reject(session *c, command *cmd, const char *msg)
{
    if (cmd) cmd->rejected_calls++;
    multi_flag_error(c);
    extern cmd_fn cmd_exec;
    if (cmd && cmd->fn == cmd_exec) multi_exec_abort(c, msg);   /* as Redis: EXECABORT ... because of: */
    else reply_error(c, msg);
}

static void reject_unknown(session *c)
{
    argv_t *a = &c->args;
    char args[512];
    size_t n = 0;
    args[0] = '\0';
    for (int i = 1; i < a->argc && n < 128; i++) {
        int room = 128 - (int)n;
        int k = snprintf(args + n, sizeof args - n, "'%.*s' ", room, a->argv[i]);
        if (k < 0) break;
        n += (size_t)k < sizeof args - n ? (size_t)k : sizeof args - n - 1;
    }
    char msg[1024];
    snprintf(msg, sizeof msg, "ERR unknown command '%.128s', with args beginning with: %s", a->argv[0], args);
    reject(c, NULL, msg);
}

static int is_multi_exempt(const command *cmd)
{
    cmd_fn *f = cmd->fn;
    extern cmd_fn cmd_exec, cmd_discard, cmd_multi, cmd_watch, cmd_quit, cmd_reset;
    return f == cmd_exec || f == cmd_discard || f == cmd_multi || f == cmd_watch || f == cmd_quit || f == cmd_reset;
}

/* pubsub_context_allows: what a subscribed RESP2 session may still send. */
static int pubsub_context_allows(const command *cmd)
{
    cmd_fn *f = cmd->fn;
    extern cmd_fn cmd_ping, cmd_subscribe, cmd_ssubscribe, cmd_unsubscribe, cmd_sunsubscribe, cmd_psubscribe,
        cmd_punsubscribe, cmd_quit, cmd_reset;
    return f == cmd_ping || f == cmd_subscribe || f == cmd_ssubscribe || f == cmd_unsubscribe ||
           f == cmd_sunsubscribe || f == cmd_psubscribe || f == cmd_punsubscribe || f == cmd_quit || f == cmd_reset;
}

/* aof_refuses: what -MISCONF refuses while the append log cannot be
 * written: writes, PING (as Redis, so monitors notice) and an EXEC that
 * would run a write. */
static int aof_refuses(session *c, const command *cmd)
{
    extern cmd_fn cmd_ping, cmd_exec;
    if ((cmd->flags & CMD_WRITE) || cmd->fn == cmd_ping) return 1;
    if (cmd->fn == cmd_exec && (c->flags & SESS_MULTI))
        for (int i = 0; i < c->mcount; i++)
            if (c->mstate[i].cmd->flags & CMD_WRITE) return 1;
    return 0;
}

void server_process_command(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    command *cmd = command_lookup(s, a->argv[0], sbuf_len(a->argv[0]));
    if (cmd && cmd->nsubs && a->argc >= 2) {
        command *sub = command_lookup_sub(cmd, a->argv[1], sbuf_len(a->argv[1]));
        if (!sub) {
            char up[64], msg[512];
            size_t i;
            for (i = 0; cmd->name[i] && i < sizeof up - 1; i++) up[i] = (char)toupper((unsigned char)cmd->name[i]);
            up[i] = '\0';
            snprintf(msg, sizeof msg, "ERR unknown subcommand '%.128s'. Try %s HELP.", a->argv[1], up);
            c->cmd = c->lastcmd = NULL;
            reject(c, NULL, msg);
            return;
        }
        cmd = sub;
    }
    c->cmd = c->lastcmd = cmd;   /* as Redis: CLIENT LIST shows the running (or queued) command */
    if (!cmd) {
        reject_unknown(c);
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != a->argc) || a->argc < -cmd->arity) {
        char msg[256];
        snprintf(msg, sizeof msg, "ERR wrong number of arguments for '%s' command", cmd->name);
        reject(c, cmd, msg);
        return;
    }
    /* Only while a password is configured: clearing requirepass lets everyone in, as Redis. */
    if (!(c->flags & SESS_AUTHENTICATED) && s->cfg.requirepass && s->cfg.requirepass[0] &&
        !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd, "NOAUTH Authentication required.");
        return;
    }
    if ((c->flags & SESS_PUBSUB) && c->resp == 2 && !pubsub_context_allows(cmd)) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                 command_fullname(cmd));
        reject(c, cmd, msg);
        return;
    }
    if (persist_bgsave_failed(s) && aof_refuses(c, cmd)) {
        reject(c, cmd, "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
                       "disk. Commands that may modify the data set are disabled, because this instance is "
                       "configured to report errors during writes if RDB snapshotting fails "
                       "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
                       "RDB error.");
        return;
    }
    int aof_err = aof_write_error(s);
    if (aof_err && aof_refuses(c, cmd)) {
        char msg[256];
        snprintf(msg, sizeof msg, "MISCONF Errors writing to the AOF file: %s", strerror(aof_err));
        reject(c, cmd, msg);
        return;
    }
    if ((c->flags & SESS_MULTI) && !is_multi_exempt(cmd)) {
        if (cmd->flags & CMD_NO_MULTI) {
            reject(c, cmd, "ERR Command not allowed inside a transaction");
            return;
        }
        multi_queue(c);
        return;
    }
    server_call(c, cmd);
}

void server_call(session *c, command *cmd)
{
    server *s = c->srv;
    session *prev = s->current;
    s->current = c;
    long long dirty = s->dirty;
    long long errors = s->stat.total_error_replies;
    long long saved_nested = s->nested_errors;
    s->nested_errors = 0;
    int dbid = c->dbid;
    c->eff_mode = 0;
    c->cmd = cmd;

    long long start = cmd_clock_us(s);
    cmd->fn(c);
    long long dur = cmd_clock_us(s) - start;

    cmd->calls++;
    cmd->usec += dur;
    /* Unsigned: a negative threshold (slow log off) is never reached. */
    if ((unsigned long long)dur >= (unsigned long long)s->cfg.slowlog_log_slower_than)
        slowlog_command(c, cmd, dur);
    /* Errors replied by commands this one ran (EXEC) are theirs, not ours. */
    long long total = s->stat.total_error_replies - errors;
    if (total - s->nested_errors > 0) cmd->failed_calls++;
    s->nested_errors = saved_nested + total;
    s->stat.numcommands++;
    c->commands++;

    if (s->dirty != dirty && c->eff_mode != 2) {
        if (c->eff_mode == 1) effect_emit(s, dbid, c->eff.argc, c->eff.argv);
        else if (cmd->flags & CMD_WRITE) effect_emit(s, dbid, c->args.argc, c->args.argv);
    }
    if (c->eff_mode == 1) argv_reset(&c->eff);
    c->eff_mode = 0;
    s->current = prev;
    if (!s->in_exec) block_handle_ready(s);   /* waiters served after the writing command (or EXEC) */
}

/* ---- loop hooks ------------------------------------------------------- */

static void free_closed(server *s)
{
    while (s->to_close) {
        session *c = s->to_close;
        s->to_close = c->close_next;
        session_free(c);
    }
}

static session *reversed(session *l)
{
    session *r = NULL;
    for (session *next; l; l = next) {
        next = l->pw_next;
        l->pw_next = r;
        r = l;
    }
    return r;
}

void server_before_sleep(server *s)
{
    free_closed(s);
    do {
        queue_flush_wakes(s);   /* blocked QFETCHes are served once per iteration (cmd_queue.c) */
        block_before_sleep(s);
    } while (queue_wakes_pending(s));
    aof_before_sleep(s);   /* the iteration's records go out before any reply */
    /* Output order.  The lists are pushed at the head: reversed, replies
     * leave in the order their sessions got output, so a producer whose
     * push woke blocked fetchers hears back before them and its next push
     * comes sooner (+14-25% on the queue cycle).  Pub/sub deliveries go
     * first, before the publisher's reply: a publisher that hears back
     * first publishes again before its last messages are out, and with
     * 1,000 subscribers the messages in flight doubled the latency under
     * load (bench/fanout.py). */
    session *c = reversed(s->pending_write);
    for (session *d = s->pending_deliver, *next; d; d = next) {   /* pushed on front: reversed too */
        next = d->pw_next;
        d->pw_next = c;
        c = d;
    }
    s->pending_write = s->pending_deliver = NULL;
    long long now_us = c ? ustime_now() : 0;
    while (c) {
        session *next = c->pw_next;
        c->flags &= ~SESS_PENDING_WRITE;
        c->pw_next = NULL;
        if (!(c->flags & (SESS_CLOSE_ASAP | SESS_AOF_WAIT))) {   /* held: released once fsynced (aof.c) */
            if (session_out_total(c) == 0 && !c->fe_pending) {
                if (c->flags & SESS_CLOSE_AFTER_REPLY) session_close_async(c);
            } else if (c->ops->flush(c) < 0) {
                session_close_async(c);
            }
            c->last_reply_us = now_us;
        }
        c = next;
    }
    free_closed(s);
}

void server_request_shutdown(server *s)
{
    s->shutdown_asap = 1;
    event_base_loopbreak(s->base);
}

static void clients_cron(server *s)
{
    if (s->cfg.timeout <= 0) return;
    long long limit = (long long)s->cfg.timeout * 1000;
    for (session *c = s->clients; c; c = c->next) {
        if (c->flags & (SESS_BLOCKED | SESS_PUBSUB | SESS_CLOSE_ASAP)) continue;
        if (s->mstime - c->last_interaction > limit) {
            log_verbose("Closing idle client id=%llu addr=%s", (unsigned long long)c->id, c->addr);
            session_close_async(c);
        }
    }
}

/* Active expiry runs in slices of at most EXPIRE_SLICE_US (less when 25% of
 * the cron period is less), so it never holds the loop long.  Each cron
 * runs one; a slice that used its whole budget left due keys behind, so
 * further slices follow, EXPIRE_GAP_US of loop for clients between each,
 * until one ends early: a big backlog goes at about half the CPU instead
 * of waiting for crons (see db_active_expire in db.c). */
#define EXPIRE_SLICE_US 5000
#define EXPIRE_GAP_US 5000

static void expire_slices_arm(server *s)
{
    struct timeval tv = {0, EXPIRE_GAP_US};
    if (!evtimer_pending(s->expire_ev, NULL)) evtimer_add(s->expire_ev, &tv);
}

static void on_expire_slice(evutil_socket_t fd, short what, void *arg)
{
    server *s = arg;
    if (!s->cfg.active_expire_enabled) return;
    long long start = ustime_now();
    db_active_expire(s, EXPIRE_SLICE_US);
    if (ustime_now() - start >= EXPIRE_SLICE_US) expire_slices_arm(s);
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
    server *s = arg;
    server_update_time(s);
    s->cronloops++;
    cmd_clock_calibrate(s);
    size_t used = server_used_memory();
    if ((long long)used > s->peak_memory) s->peak_memory = (long long)used;

    /* Active expiry: 25% of each cron period at most, as Redis, in one slice. */
    if (s->cfg.active_expire_enabled) {
        long long budget = 1000000 / s->cfg.hz / 4;
        if (budget > EXPIRE_SLICE_US) budget = EXPIRE_SLICE_US;
        long long start = ustime_now();
        db_active_expire(s, budget);
        if (ustime_now() - start >= budget) expire_slices_arm(s);
    }
    /* Incremental rehashing: about 1 ms per cron for the first db that needs it. */
    for (int i = 0; i < s->ndb; i++)
        if (db_rehash_step(&s->dbs[i])) break;
    clients_cron(s);
    persist_cron(s);   /* reap the snapshot child, save points, automatic rewrite */
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    server *s = arg;
    log_warning("Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (persist_shutdown(s, 0, 0) != 0) {   /* the final save failed: keep running, as Redis */
        log_warning("%s received but errors trying to shut down the server, check the logs for more information",
                    sig == SIGINT ? "SIGINT" : "SIGTERM");
        return;
    }
    server_request_shutdown(s);
}

static int cfg_hook(void *priv, const char *name, char *err, size_t errlen)
{
    server *s = priv;
    if (!strcmp(name, "loglevel")) log_set_level(s->cfg.loglevel);
    else if (!strcmp(name, "hz")) {
        struct timeval tv = {0, 1000000 / s->cfg.hz};
        evtimer_add(s->cron_ev, &tv);
    } else if (!strcmp(name, "appendfsync")) {
        aof_config_changed(s);
    }
    return 0;
}

/* ---- life cycle ------------------------------------------------------- */

extern const obj_type hash_obj_type;      /* cmd_hash.c */
extern const obj_type set_obj_type;       /* cmd_set.c */
extern const obj_type zset_obj_type;      /* cmd_zset.c */
extern const obj_type list_obj_type;      /* cmd_list.c */
extern const obj_type queue_obj_type;     /* cmd_queue.c */
extern const obj_type stream_obj_type;    /* streams/stream_obj.c */

/* types_register_all registers each value type's free/dup/mem functions
 * (object.h obj_types[]); one line per type. */
static void types_register_all(void)
{
    obj_register_type(OBJ_HASH, &hash_obj_type);
    obj_register_type(OBJ_SET, &set_obj_type);
    obj_register_type(OBJ_ZSET, &zset_obj_type);
    obj_register_type(OBJ_LIST, &list_obj_type);
    obj_register_type(OBJ_QUEUE, &queue_obj_type);
    obj_register_type(OBJ_STREAM, &stream_obj_type);
    /* strings are built into object.c */
}

static uint64_t id_hash(const void *key)
{
    uint64_t x = (uint64_t)(uintptr_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static const dict_type id_dict_type = {.hash = id_hash};

static void random_bytes(void *buf, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    if (fd >= 0) {
        ssize_t r = read(fd, buf, n);
        if (r > 0) got = (size_t)r;
        close(fd);
    }
    for (size_t i = got; i < n; i++) ((unsigned char *)buf)[i] = (unsigned char)(rand() ^ (int)ustime_now());
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
    return 0;
}

server *server_new(config *cfg, char *err, size_t errlen)
{
    server *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    config_set_hook(&s->cfg, cfg_hook, s);
    server_update_time(s);
    s->start_ms = s->mstime;
    s->pid = (int)getpid();
    s->lastsave = time(NULL);

    uint8_t seed[16];
    random_bytes(seed, sizeof seed);
    dict_set_hash_seed(seed);
    pubsub_server_init(s);
    unsigned char rid[20];
    random_bytes(rid, sizeof rid);
    for (int i = 0; i < 20; i++) snprintf(s->runid + 2 * i, 3, "%02x", rid[i]);

    if (s->cfg.dir && s->cfg.dir[0] && mkdir_p(s->cfg.dir) < 0) {
        snprintf(err, errlen, "Can't create data directory '%s': %s", s->cfg.dir, strerror(errno));
        xfree(s);
        return NULL;
    }
    s->ndb = s->cfg.databases;
    s->dbs = xcalloc((size_t)s->ndb, sizeof(db));
    for (int i = 0; i < s->ndb; i++) db_init(&s->dbs[i], i);
    s->clients_by_id = dict_create(&id_dict_type);
    command_table_init(s);
    types_register_all();
    cmd_clock_init(s);

    s->base = event_base_new();
    if (!s->base) {
        snprintf(err, errlen, "Can't create the event loop");
        return NULL;
    }
    s->cron_ev = event_new(s->base, -1, EV_PERSIST, on_cron, s);
    struct timeval tv = {0, 1000000 / (s->cfg.hz > 0 ? s->cfg.hz : 10)};
    evtimer_add(s->cron_ev, &tv);
    s->expire_ev = evtimer_new(s->base, on_expire_slice, s);
    s->sig_ev[0] = evsignal_new(s->base, SIGINT, on_signal, s);
    s->sig_ev[1] = evsignal_new(s->base, SIGTERM, on_signal, s);
    event_add(s->sig_ev[0], NULL);
    event_add(s->sig_ev[1], NULL);
    signal(SIGPIPE, SIG_IGN);
    return s;
}

int server_listen(server *s) { return listeners_open(s); }

/* ---- loop pacing -------------------------------------------------------
 * Under pipelined load from many clients (redis-benchmark -P 16 -c 50) the
 * loop drains its input faster than the clients refill it and goes to sleep
 * in epoll_wait several times per thousand requests; each sleep makes the
 * next client write pay a wake-up (and the loop pay a context switch).  On
 * a two-core machine the client is the bottleneck, so those wake-ups cost
 * throughput.  So after an iteration whose input was pipelined (at least
 * PACE_MIN_PIPELINE commands per read on average) the loop polls without
 * sleeping for up to a budget, and only then blocks.  The budget follows
 * the gaps between batches:
 *  - input found while polling after t ns: budget >= 2t;
 *  - input found by the blocking wait after a gap of t <= PACE_MAX_NS (a
 *    longer spin would have caught it): budget >= 2t;
 *  - a longer gap, or a wake-up with no input: budget halves;
 * always within [PACE_MIN_NS, PACE_MAX_NS]; output made meanwhile (a
 * timer, an fsync releasing held replies) ends the poll at once, so it is
 * never delayed.  So a steady pipelined load
 * rarely sleeps, and a load that stops costs a few microseconds of polling
 * per iteration.  Unpipelined traffic (one command per read, many
 * clients) polls too, but for at most PACE_P1_MAX_NS: on a virtual machine
 * a sleeping loop makes every client write pay a cross-CPU wake-up, and a
 * few microseconds of polling catch the next client's request often enough
 * that redis-benchmark -P 1 -c 50 runs 5-10% faster for the same server
 * CPU per request (bench/RESULTS.md). */
#define PACE_MIN_PIPELINE 2
#define PACE_P1_MAX_NS 4000
#define PACE_MAX_NS 20000
#define PACE_MIN_NS 1000

static void pace_learn(struct loop_pace *p, long long gap)
{
    if (gap >= 0 && gap <= PACE_MAX_NS) {
        long long b = 2 * gap;
        if (b > p->budget_ns) p->budget_ns = b > PACE_MAX_NS ? PACE_MAX_NS : b;
    } else {
        p->budget_ns /= 2;
        if (p->budget_ns < PACE_MIN_NS) p->budget_ns = PACE_MIN_NS;
    }
}

/* ---- coalescing ----------------------------------------------------------
 * With many clients busy at once (redis-benchmark -c 50), a loop that goes
 * to sleep in epoll_wait as soon as its input is drained is woken by nearly
 * every client write: each wake-up costs the writing client a cross-CPU
 * wake-up and the loop a context switch, and each iteration then serves
 * one or two clients.  Sleeping a short fixed time instead (nanosleep: no
 * client write has to wake us) lets the requests of several clients
 * gather, so one iteration serves them all.
 *
 * The sleep may cost a client at most an eighth of its think time (from our
 * reply to its next request, server_note_read): a client that is away that
 * long anyway (an event-loop client serving 50 connections) loses little,
 * while clients that come straight back (a thread per connection blocked on
 * its reply, a lone client) have a short think time and are never made to
 * wait.  The wait counts what nanosleep really takes: on a VM it overshoots
 * by ~20 us, learned in oversleep_ns.  It applies only while on average at
 * least PACE_COALESCE_READY clients had input per iteration: light traffic,
 * where requests rarely meet, never waits.  Measured on the two-core VM
 * against redis-benchmark -c 50: server CPU per request -10 to -25% at -P 1
 * and -P 16, throughput +3 to +20% (bench/RESULTS.md). */
#define PACE_COALESCE_READY 4
#define PACE_COALESCE_MIN_NS 5000
#define PACE_COALESCE_MAX_NS 100000

/* loop_poll runs the callbacks of whatever is ready now, once.  Not
 * EVLOOP_NONBLOCK alone: libevent then dispatches again and again for as
 * long as anything is active, and a persistent event that stays active (the
 * write event of a client that reset its connection mid-reply: its socket is
 * always "writable") kept the loop inside one call for good, so replies,
 * which leave in server_before_sleep, never left again. */
static void loop_poll(server *s)
{
    event_base_loop(s->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
}

static int coalesce(server *s)
{
    struct loop_pace *p = &s->pace;
    if (p->ready16 < PACE_COALESCE_READY * 16) return 0;
    long long wait = p->think_us * 1000 / 8;
    if (wait > PACE_COALESCE_MAX_NS) wait = PACE_COALESCE_MAX_NS;
    long long ask = wait - p->oversleep_ns;
    if (ask < PACE_COALESCE_MIN_NS) {
        /* Too short to be worth its overshoot.  Let an overshoot learned
         * in a bad moment (the VM descheduled us) fade, so it is tried again. */
        if (wait >= PACE_COALESCE_MIN_NS) p->oversleep_ns -= p->oversleep_ns / 256;
        return 0;
    }
    long long before = s->stat.total_reads + s->stat.numconnections;
    struct timespec ts = {0, (long)ask};
    long long t0 = mono_ns();
    nanosleep(&ts, NULL);
    long long over = mono_ns() - t0 - ask;
    if (over > PACE_COALESCE_MAX_NS) over = PACE_COALESCE_MAX_NS;   /* preempted: not the timer's fault */
    p->oversleep_ns += (over - p->oversleep_ns) / 8;
    s->stat.loop_coalesced++;
    if (s->shutdown_asap) return 1;
    loop_poll(s);
    if (s->stat.total_reads + s->stat.numconnections != before || s->pending_write || s->pending_deliver || s->to_close) return 1;
    event_base_loop(s->base, EVLOOP_ONCE);   /* nothing came: the load has paused */
    return 1;
}

/* loop_wait waits for the next events: polls first under pipelined load
 * (see above), then blocks in libevent. */
static void loop_wait(server *s)
{
    struct loop_pace *p = &s->pace;
    long long reads = s->stat.total_reads, cmds = s->stat.numcommands;
    long long dr = reads - p->reads, dc = cmds - p->cmds;
    p->reads = reads;
    p->cmds = cmds;
    if (aof_wait_fsync(s)) {
        if (!s->shutdown_asap) loop_poll(s);
        return;
    }
    if (dr <= 0) {   /* no input (or CONFIG RESETSTAT zeroed the counters) */
        event_base_loop(s->base, EVLOOP_ONCE);
        return;
    }
    p->ready16 += (int)((dr > 64 ? 64 : dr) * 16 - p->ready16) / 8;
    if (coalesce(s)) return;
    if (p->budget_ns == 0) p->budget_ns = PACE_MAX_NS;
    long long budget = p->budget_ns;
    if (dc < PACE_MIN_PIPELINE * dr && budget > PACE_P1_MAX_NS) budget = PACE_P1_MAX_NS;
    long long before = reads + s->stat.numconnections;
    long long start = mono_ns(), now;
    do {
        loop_poll(s);
        now = mono_ns();
        if (s->stat.total_reads + s->stat.numconnections != before) {
            pace_learn(p, now - start);
            return;
        }
        if (s->pending_write || s->pending_deliver || s->to_close) return;   /* a timer or fsync release made output */
    } while (now - start < budget && !s->shutdown_asap);
    if (s->shutdown_asap) return;
    event_base_loop(s->base, EVLOOP_ONCE);
    int input = s->stat.total_reads + s->stat.numconnections != before;
    pace_learn(p, input ? mono_ns() - start : -1);
}

int server_run(server *s)
{
    /* Timer slack: the coalescing sleep is a few tens of microseconds, and
     * the default slack (50 us) would stretch it. */
    prctl(PR_SET_TIMERSLACK, 1000UL);
    while (!s->shutdown_asap) {
        server_before_sleep(s);
        if (s->shutdown_asap) break;
        loop_wait(s);
    }
    /* Orderly shutdown: last replies out, then close everything. */
    server_before_sleep(s);
    log_warning("Rill is now ready to exit, bye bye...");
    return s->exit_code;
}

void server_free(server *s)
{
    listeners_close(s);
    persist_free(s);
    aof_stop(s);
    while (s->clients) session_free(s->clients);
    free_closed(s);
    pubsub_server_free(s);
    block_state_free(s);
    slowlog_free(s);
    queue_server_free(s);
    for (int i = 0; i < s->ndb; i++) db_free(&s->dbs[i]);
    xfree(s->dbs);
    dict_release(s->clients_by_id);
    command_table_free(s);
    if (s->cron_ev) event_free(s->cron_ev);
    if (s->expire_ev) event_free(s->expire_ev);
    for (int i = 0; i < 3; i++)
        if (s->sig_ev[i]) event_free(s->sig_ev[i]);
    event_base_free(s->base);
    config_free(&s->cfg);
    xfree(s);
}
