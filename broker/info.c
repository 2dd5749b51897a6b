/* info.c — the INFO report (see info.h for the contract).
 *
 * One table, sections[], lists every section in the order Redis 7.0 prints
 * them, with its header, whether plain INFO includes it, and the function
 * that appends its lines.  Selection turns the requested names into a bit
 * mask over that table; generation walks the table once, so the output
 * order never depends on the order of the arguments.
 *
 * Instantaneous rates (instantaneous_ops_per_sec and the kbps pair) are
 * computed from samples kept in server_stats: a new sample is taken when the
 * previous one is at least a second old, and the rate is the change since
 * that sample.  Redis averages 16 samples taken by its cron; polling INFO
 * once a second, as monitors do, gives the same figure.
 *
 * Errorstats are counted by code in server_stats by info_count_error, meant
 * to be called for each error sent, next to total_error_replies++ (reply.c
 * error_n, session.c protocol_error).  Until those calls exist only DEBUG
 * ERROR is itemised.
 */
#include "info.h"
#include "alloc.h"
#include "aof.h"
#include "persist.h"
#include "server.h"
#include "cmd_queue.h"
#include "stream_obj.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#define REDIS_COMPAT_VERSION "7.0.15"

typedef sbuf section_fn(server *s, sbuf out);

/* ---- helpers ---------------------------------------------------------- */

void info_bytes_to_human(char *buf, size_t len, unsigned long long n)
{
    static const char units[] = "KMGTP";
    double d = (double)n;
    unsigned long long limit = 1024;
    if (n < limit) {
        snprintf(buf, len, "%lluB", n);
        return;
    }
    for (int i = 0; units[i]; i++) {
        d /= 1024;
        if (n < limit * 1024) {
            snprintf(buf, len, "%.2f%c", d, units[i]);
            return;
        }
        limit *= 1024;
    }
    snprintf(buf, len, "%lluB", n);     /* beyond petabytes, as Redis */
}

/* rss_bytes reads the resident set size from /proc/self/statm (0 if unknown). */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
    fclose(f);
    return ok ? (size_t)resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

static unsigned long long system_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return pages > 0 && psize > 0 ? (unsigned long long)pages * (unsigned long long)psize : 0;
}

/* session_mem estimates what a session holds: struct, buffers, arguments. */
static size_t session_mem(const session *c)
{
    return sizeof *c + c->qcap + c->ocap + argv_mem(&c->args);
}

/* avg_ttl estimates the mean remaining TTL of a db's volatile keys from a
 * small random sample, as Redis's active expiry estimates it (0 if none). */
static long long avg_ttl(server *s, db *d)
{
    if (dict_size(d->expires) == 0) return 0;
    dict_entry *sample[32];
    size_t n = dict_sample(d->expires, sample, 32);
    long long sum = 0, cnt = 0;
    for (size_t i = 0; i < n; i++) {
        long long ttl = sample[i]->v.s64 - s->mstime;
        if (ttl > 0) { sum += ttl; cnt++; }
    }
    return cnt ? sum / cnt : 0;
}

static void update_rates(server *s)
{
    server_stats *st = &s->stat;
    long long now = s->mstime;
    if (st->inst_ms == 0) st->inst_ms = s->start_ms;    /* first sample: since start */
    long long elapsed = now - st->inst_ms;
    if (elapsed < 1000) return;
    double secs = (double)elapsed / 1000.0;
    st->inst_ops_sec = (double)(st->numcommands - st->inst_ops) / secs;
    st->inst_in_kbps = (double)(st->net_input_bytes - st->inst_net_in) / secs / 1024.0;
    st->inst_out_kbps = (double)(st->net_output_bytes - st->inst_net_out) / secs / 1024.0;
    st->inst_ms = now;
    st->inst_ops = st->numcommands;
    st->inst_net_in = st->net_input_bytes;
    st->inst_net_out = st->net_output_bytes;
}

/* ---- sections --------------------------------------------------------- */

static sbuf sec_server(server *s, sbuf out)
{
    struct utsname un;
    if (uname(&un) != 0) memset(&un, 0, sizeof un);
    char exe[512];
    const char *exepath = s->executable;
    if (!exepath[0]) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        exepath = exe;
    }
    long long uptime = (s->mstime - s->start_ms) / 1000;
#if defined(__clang__)
    int cc[3] = {__clang_major__, __clang_minor__, __clang_patchlevel__};
#elif defined(__GNUC__)
    int cc[3] = {__GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__};
#else
    int cc[3] = {0, 0, 0};
#endif
    return sbuf_catfmt(out,
        "redis_version:" REDIS_COMPAT_VERSION "\r\n"
        "redis_git_sha1:00000000\r\n"
        "redis_git_dirty:0\r\n"
        "redis_build_id:0\r\n"
        "redis_mode:standalone\r\n"
        "rill_version:%s\r\n"
        "os:%s %s %s\r\n"
        "arch_bits:%d\r\n"
        "monotonic_clock:POSIX clock_gettime\r\n"
        "multiplexing_api:%s\r\n"
        "atomicvar_api:c11-builtin\r\n"
        "gcc_version:%d.%d.%d\r\n"
        "process_id:%d\r\n"
        "process_supervised:no\r\n"
        "run_id:%s\r\n"
        "tcp_port:%d\r\n"
        "server_time_usec:%lld\r\n"
        "uptime_in_seconds:%lld\r\n"
        "uptime_in_days:%lld\r\n"
        "hz:%d\r\n"
        "configured_hz:%d\r\n"
        "lru_clock:%u\r\n"
        "executable:%s\r\n"
        "config_file:%s\r\n"
        "io_threads_active:0\r\n",
        RILL_VERSION, un.sysname, un.release, un.machine, (int)(sizeof(long) * 8),
        s->base ? event_base_get_method(s->base) : "none", cc[0], cc[1], cc[2],
        s->pid, s->runid, s->cfg.port, s->ustime, uptime, uptime / 86400,
        s->cfg.hz, s->cfg.hz, obj_lru_clock, exepath,
        s->cfg.config_file ? s->cfg.config_file : "");
}

static sbuf sec_clients(server *s, sbuf out)
{
    size_t max_in = 0, max_out = 0;
    int blocked = 0;
    for (session *c = s->clients; c; c = c->next) {
        if (c->qpeak > max_in) max_in = c->qpeak;
        if (session_out_pending(c) > max_out) max_out = session_out_pending(c);
        if (c->flags & SESS_BLOCKED) blocked++;
    }
    return sbuf_catfmt(out,
        "connected_clients:%d\r\n"
        "cluster_connections:0\r\n"
        "maxclients:%d\r\n"
        "client_recent_max_input_buffer:%zu\r\n"
        "client_recent_max_output_buffer:%zu\r\n"
        "blocked_clients:%d\r\n"
        "tracking_clients:0\r\n"
        "clients_in_timeout_table:0\r\n",
        s->nclients, s->cfg.maxclients, max_in, max_out, blocked);
}

void info_mem_read(server *s, info_mem *m)
{
    m->used = server_used_memory();
    if ((long long)m->used > s->peak_memory) s->peak_memory = (long long)m->used;
    m->peak = (size_t)s->peak_memory;
    m->rss = rss_bytes();
    m->clients = 0;
    for (session *c = s->clients; c; c = c->next) m->clients += session_mem(c);
    m->tables = 0;
    for (int i = 0; i < s->ndb; i++)
        m->tables += dict_mem_usage(s->dbs[i].keys) + dict_mem_usage(s->dbs[i].expires);
    m->overhead = m->clients + m->tables;
    m->dataset = m->used > m->overhead ? m->used - m->overhead : 0;
}

static sbuf sec_memory(server *s, sbuf out)
{
    info_mem m;
    info_mem_read(s, &m);
    size_t used = m.used, peak = m.peak, rss = m.rss, clients = m.clients;
    size_t overhead = m.overhead, dataset = m.dataset;
    unsigned long long sysmem = system_memory();

    char h_used[32], h_rss[32], h_peak[32], h_sys[32], h_max[32];
    info_bytes_to_human(h_used, sizeof h_used, used);
    info_bytes_to_human(h_rss, sizeof h_rss, rss);
    info_bytes_to_human(h_peak, sizeof h_peak, peak);
    info_bytes_to_human(h_sys, sizeof h_sys, sysmem);
    info_bytes_to_human(h_max, sizeof h_max, (unsigned long long)s->cfg.maxmemory);
    double frag = used ? (double)rss / (double)used : 0;

    return sbuf_catfmt(out,
        "used_memory:%zu\r\n"
        "used_memory_human:%s\r\n"
        "used_memory_rss:%zu\r\n"
        "used_memory_rss_human:%s\r\n"
        "used_memory_peak:%zu\r\n"
        "used_memory_peak_human:%s\r\n"
        "used_memory_peak_perc:%.2f%%\r\n"
        "used_memory_overhead:%zu\r\n"
        "used_memory_startup:0\r\n"
        "used_memory_dataset:%zu\r\n"
        "used_memory_dataset_perc:%.2f%%\r\n"
        "allocator_allocated:%zu\r\n"
        "allocator_active:%zu\r\n"
        "allocator_resident:%zu\r\n"
        "total_system_memory:%llu\r\n"
        "total_system_memory_human:%s\r\n"
        "used_memory_lua:0\r\n"
        "used_memory_vm_eval:0\r\n"
        "used_memory_lua_human:0B\r\n"
        "used_memory_scripts_eval:0\r\n"
        "number_of_cached_scripts:0\r\n"
        "number_of_functions:0\r\n"
        "number_of_libraries:0\r\n"
        "used_memory_vm_functions:0\r\n"
        "used_memory_vm_total:0\r\n"
        "used_memory_vm_total_human:0B\r\n"
        "used_memory_functions:0\r\n"
        "used_memory_scripts:0\r\n"
        "used_memory_scripts_human:0B\r\n"
        "maxmemory:%llu\r\n"
        "maxmemory_human:%s\r\n"
        "maxmemory_policy:noeviction\r\n"
        "allocator_frag_ratio:1.00\r\n"
        "allocator_frag_bytes:0\r\n"
        "allocator_rss_ratio:%.2f\r\n"
        "allocator_rss_bytes:%lld\r\n"
        "rss_overhead_ratio:1.00\r\n"
        "rss_overhead_bytes:0\r\n"
        "mem_fragmentation_ratio:%.2f\r\n"
        "mem_fragmentation_bytes:%lld\r\n"
        "mem_not_counted_for_evict:0\r\n"
        "mem_replication_backlog:0\r\n"
        "mem_total_replication_buffers:0\r\n"
        "mem_clients_slaves:0\r\n"
        "mem_clients_normal:%zu\r\n"
        "mem_cluster_links:0\r\n"
        "mem_aof_buffer:0\r\n"
        "mem_allocator:%s\r\n"
        "active_defrag_running:0\r\n"
        "lazyfree_pending_objects:%d\r\n"
        "lazyfreed_objects:0\r\n",
        used, h_used, rss, h_rss, peak, h_peak, peak ? (double)used * 100 / (double)peak : 0,
        overhead, dataset, used ? (double)dataset * 100 / (double)used : 0,
        used, used, rss, sysmem, h_sys,
        s->cfg.maxmemory, h_max,
        frag, (long long)rss - (long long)used,
        frag, (long long)rss - (long long)used,
        clients, xallocator_name(), s->lazyfree_pending);
}

static sbuf sec_persistence(server *s, sbuf out)
{
    return persist_info(s, out);   /* persist/persist.c: Redis 7.0's fields */
}

static sbuf sec_stats(server *s, sbuf out)
{
    update_rates(s);
    const server_stats *st = &s->stat;
    return sbuf_catfmt(out,
        "total_connections_received:%lld\r\n"
        "total_commands_processed:%lld\r\n"
        "instantaneous_ops_per_sec:%lld\r\n"
        "total_net_input_bytes:%lld\r\n"
        "total_net_output_bytes:%lld\r\n"
        "total_net_repl_input_bytes:0\r\n"
        "total_net_repl_output_bytes:0\r\n"
        "instantaneous_input_kbps:%.2f\r\n"
        "instantaneous_output_kbps:%.2f\r\n"
        "instantaneous_input_repl_kbps:0.00\r\n"
        "instantaneous_output_repl_kbps:0.00\r\n"
        "rejected_connections:%lld\r\n"
        "sync_full:0\r\n"
        "sync_partial_ok:0\r\n"
        "sync_partial_err:0\r\n"
        "expired_keys:%lld\r\n"
        "expired_stale_perc:%.2f\r\n"
        "expired_time_cap_reached_count:0\r\n"
        "expire_cycle_cpu_milliseconds:0\r\n"
        "evicted_keys:%lld\r\n"
        "evicted_clients:0\r\n"
        "total_eviction_exceeded_time:0\r\n"
        "current_eviction_exceeded_time:0\r\n"
        "keyspace_hits:%lld\r\n"
        "keyspace_misses:%lld\r\n"
        "pubsub_channels:0\r\n"
        "pubsub_patterns:0\r\n"
        "pubsubshard_channels:0\r\n"
        "latest_fork_usec:0\r\n"
        "total_forks:0\r\n"
        "migrate_cached_sockets:0\r\n"
        "slave_expires_tracked_keys:0\r\n"
        "active_defrag_hits:0\r\n"
        "active_defrag_misses:0\r\n"
        "active_defrag_key_hits:0\r\n"
        "active_defrag_key_misses:0\r\n"
        "total_active_defrag_time:0\r\n"
        "current_active_defrag_time:0\r\n"
        "tracking_total_keys:0\r\n"
        "tracking_total_items:0\r\n"
        "tracking_total_prefixes:0\r\n"
        "unexpected_error_replies:%lld\r\n"
        "total_error_replies:%lld\r\n"
        "dump_payload_sanitizations:0\r\n"
        "total_reads_processed:%lld\r\n"
        "total_writes_processed:%lld\r\n"
        "io_threaded_reads_processed:%lld\r\n"
        "io_threaded_writes_processed:%lld\r\n"
        "reply_buffer_shrinks:0\r\n"
        "reply_buffer_expands:0\r\n"
        "client_query_buffer_limit_disconnections:%lld\r\n"
        "client_output_buffer_limit_disconnections:%lld\r\n"
        "rill_loop_coalesced:%lld\r\n"
        "rill_client_think_us:%lld\r\n",
        st->numconnections, st->numcommands, (long long)(st->inst_ops_sec + 0.5),
        st->net_input_bytes, st->net_output_bytes, st->inst_in_kbps, st->inst_out_kbps,
        st->rejected_conn, st->expiredkeys, (double)st->expired_stale_perc,
        st->evictedkeys, st->keyspace_hits, st->keyspace_misses,
        st->unexpected_error_replies, st->total_error_replies,
        st->total_reads, st->total_writes, st->io_threaded_reads, st->io_threaded_writes,
        st->client_qbuf_limit_disconnections, st->client_outbuf_limit_disconnections,
        st->loop_coalesced, s->pace.think_us);
}

static sbuf sec_replication(server *s, sbuf out)
{
    return sbuf_catfmt(out,
        "role:master\r\n"
        "connected_slaves:0\r\n"
        "master_failover_state:no-failover\r\n"
        "master_replid:%s\r\n"
        "master_replid2:0000000000000000000000000000000000000000\r\n"
        "master_repl_offset:0\r\n"
        "second_repl_offset:-1\r\n"
        "repl_backlog_active:0\r\n"
        "repl_backlog_size:1048576\r\n"
        "repl_backlog_first_byte_offset:0\r\n"
        "repl_backlog_histlen:0\r\n",
        s->runid);
}

static sbuf sec_cpu(server *s, sbuf out)
{
    struct rusage self, children, thread;
    memset(&thread, 0, sizeof thread);
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#ifdef RUSAGE_THREAD
    getrusage(RUSAGE_THREAD, &thread);
#else
    thread = self;
#endif
#define TV(t) (long)(t).tv_sec, (long)(t).tv_usec
    return sbuf_catfmt(out,
        "used_cpu_sys:%ld.%06ld\r\n"
        "used_cpu_user:%ld.%06ld\r\n"
        "used_cpu_sys_children:%ld.%06ld\r\n"
        "used_cpu_user_children:%ld.%06ld\r\n"
        "used_cpu_sys_main_thread:%ld.%06ld\r\n"
        "used_cpu_user_main_thread:%ld.%06ld\r\n",
        TV(self.ru_stime), TV(self.ru_utime), TV(children.ru_stime), TV(children.ru_utime),
        TV(thread.ru_stime), TV(thread.ru_utime));
#undef TV
}

static sbuf sec_modules(server *s, sbuf out) { return out; }

static sbuf cmdstat(sbuf out, const command *cmd)
{
    if (!cmd->calls && !cmd->failed_calls && !cmd->rejected_calls) return out;
    return sbuf_catfmt(out,
        "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,failed_calls=%lld\r\n",
        cmd->name, cmd->calls, cmd->usec,
        cmd->calls ? (double)cmd->usec / (double)cmd->calls : 0.0,
        cmd->rejected_calls, cmd->failed_calls);
}

static sbuf sec_commandstats(server *s, sbuf out)
{
    int n;
    command **all = command_all(s, &n);
    for (int i = 0; i < n; i++) {
        out = cmdstat(out, all[i]);
        for (int j = 0; j < all[i]->nsubs; j++) out = cmdstat(out, all[i]->subs[j]);
    }
    return out;
}

void info_count_error(server *s, const char *msg, size_t len)
{
    server_stats *st = &s->stat;
    const char *space = memchr(msg, ' ', len < 32 ? len : 32);
    size_t n = space ? (size_t)(space - msg) : 3;
    const char *code = space ? msg : "ERR";
    for (int i = 0; i < st->nerrors; i++) {
        if (strlen(st->errors[i].code) == n && !memcmp(st->errors[i].code, code, n)) {
            st->errors[i].count++;
            return;
        }
    }
    if (st->nerrors == SERVER_ERROR_CODES || n == 0) return;
    struct server_errorstat *e = &st->errors[st->nerrors++];
    memcpy(e->code, code, n);
    e->code[n] = '\0';
    e->count = 1;
}

static int errorstat_cmp(const void *a, const void *b)
{
    return strcmp(((const struct server_errorstat *)a)->code, ((const struct server_errorstat *)b)->code);
}

/* Codes in byte order, as Redis lists them (it keeps them in a radix tree). */
static sbuf sec_errorstats(server *s, sbuf out)
{
    server_stats *st = &s->stat;
    qsort(st->errors, (size_t)st->nerrors, sizeof st->errors[0], errorstat_cmp);
    for (int i = 0; i < st->nerrors; i++)
        out = sbuf_catfmt(out, "errorstat_%s:count=%lld\r\n", st->errors[i].code, st->errors[i].count);
    return out;
}

/* Per-command latency histograms are not kept: present and empty. */
static sbuf sec_latencystats(server *s, sbuf out) { return out; }

static sbuf sec_cluster(server *s, sbuf out) { return sbuf_catfmt(out, "cluster_enabled:0\r\n"); }

static sbuf sec_keyspace(server *s, sbuf out)
{
    for (int i = 0; i < s->ndb; i++) {
        db *d = &s->dbs[i];
        size_t keys = dict_size(d->keys);
        if (!keys) continue;
        out = sbuf_catfmt(out, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n",
                          i, keys, dict_size(d->expires), avg_ttl(s, d));
    }
    return out;
}

/* ---- the table -------------------------------------------------------- */

static const struct section {
    const char *name;      /* as asked for (lower case) */
    const char *alias;     /* another name selecting it, or NULL */
    const char *header;    /* after "# " */
    int in_default;
    section_fn *fn;
} sections[] = {
    {"server", NULL, "Server", 1, sec_server},
    {"clients", NULL, "Clients", 1, sec_clients},
    {"memory", NULL, "Memory", 1, sec_memory},
    {"persistence", NULL, "Persistence", 1, sec_persistence},
    {"stats", NULL, "Stats", 1, sec_stats},
    {"replication", NULL, "Replication", 1, sec_replication},
    {"cpu", NULL, "CPU", 1, sec_cpu},
    {"module_list", "modules", "Modules", 1, sec_modules},
    {"commandstats", NULL, "Commandstats", 0, sec_commandstats},
    {"errorstats", NULL, "Errorstats", 1, sec_errorstats},
    {"latencystats", NULL, "Latencystats", 0, sec_latencystats},
    {"cluster", NULL, "Cluster", 1, sec_cluster},
    {"keyspace", NULL, "Keyspace", 1, sec_keyspace},
    {"queues", NULL, "Queues", 2, queue_info},   /* 2: in default only while queues exist */
    {"streams", NULL, "Streams", 0, stream_groups_info},   /* walks every key: not in default */
};

#define NSECTIONS (sizeof sections / sizeof sections[0])

sbuf info_generate(server *s, int n, char *const *names)
{
    unsigned mask = 0;
    if (n == 0) names = NULL;
    for (int i = 0; i < (n ? n : 1); i++) {
        const char *a = names ? names[i] : "default";
        if (!strcasecmp(a, "all") || !strcasecmp(a, "everything")) {
            mask = (1u << NSECTIONS) - 1;
            continue;
        }
        for (size_t j = 0; j < NSECTIONS; j++) {
            const struct section *sec = &sections[j];
            if (!strcasecmp(a, "default") ? (sec->in_default == 1 || (sec->in_default == 2 && queue_info_any(s)))
                : (!strcasecmp(a, sec->name) || (sec->alias && !strcasecmp(a, sec->alias))))
                mask |= 1u << j;
        }
    }
    sbuf out = sbuf_empty(4096);
    int emitted = 0;
    for (size_t j = 0; j < NSECTIONS; j++) {
        if (!(mask & (1u << j))) continue;
        if (emitted++) out = sbuf_cat(out, "\r\n", 2);
        out = sbuf_catfmt(out, "# %s\r\n", sections[j].header);
        out = sections[j].fn(s, out);
    }
    return out;
}

static void reset_command(command *cmd)
{
    cmd->calls = cmd->usec = cmd->rejected_calls = cmd->failed_calls = 0;
}

void info_reset_stats(server *s)
{
    long long effects = s->stat.effects;
    memset(&s->stat, 0, sizeof s->stat);
    s->stat.effects = effects;
    s->stat.inst_ms = s->mstime;
    int n;
    command **all = command_all(s, &n);
    for (int i = 0; i < n; i++) {
        reset_command(all[i]);
        for (int j = 0; j < all[i]->nsubs; j++) reset_command(all[i]->subs[j]);
    }
}
