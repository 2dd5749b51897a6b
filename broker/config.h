/* config.h — server configuration: options, defaults, file and CLI parsing.
 *
 * One table in config.c lists every option once: name, type, where it lives
 * in struct config, default, limits, and whether CONFIG SET may change it at
 * run time.  The file syntax is redis.conf's: one option per line, arguments
 * split like Redis's sdssplitargs, '#' comments, `include path`.
 * Command-line `--name value ...` is applied after the file, so it wins.
 * This module knows nothing of the server; the server reacts to changes
 * through the apply hook it registers (config_set_hook).
 */
#ifndef RILL_CONFIG_H
#define RILL_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_BIND 16

/* client-output-buffer-limit classes, Redis's order. */
enum { CONFIG_OBUF_NORMAL = 0, CONFIG_OBUF_REPLICA, CONFIG_OBUF_PUBSUB };

enum { LL_DEBUG = 0, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };

typedef struct config {
    char *bind[CONFIG_MAX_BIND];
    int bind_count;
    int port;                       /* 6379; 0 = no TCP listener */
    int tcp_backlog;                /* 511 */
    char *unixsocket;               /* "" = none */
    int unixsocketperm;             /* octal, 0 = default */
    char *native_listen;            /* NNG URLs, space separated; "" = no native listener */
    long long native_max_frame;     /* 512 MB: largest native request accepted */
    char *native_tls_cert_file;     /* PEM certificate for tls+tcp:// native listeners */
    char *native_tls_key_file;      /* its PEM private key */
    char *native_tls_ca_file;       /* CA bundle to verify client certificates */
    int native_tls_auth_clients;    /* 0 no, 1 yes (required), 2 optional */
    char *requirepass;              /* "" = none */
    int maxclients;                 /* 10000 */
    int timeout;                    /* idle seconds before closing a client; 0 = never */
    int tcp_keepalive;              /* 300 seconds */
    int databases;                  /* 16 */
    char *dir;                      /* "./data" */
    int loglevel;                   /* LL_NOTICE */
    char *logfile;                  /* "" = stderr */
    int hz;                         /* 10 */
    long long slowlog_log_slower_than; /* 10000 µs; -1 = off, 0 = every command (slowlog.h) */
    long long slowlog_max_len;      /* 128 entries */
    long long proto_max_bulk_len;   /* 512 MB */
    long long client_query_buffer_limit; /* 1 GB */
    unsigned long long maxmemory;            /* 0 = no limit (reported in INFO) */
    char *pidfile;                  /* "" = none */
    int active_expire_enabled;      /* 1 */
    int notify_keyspace_events;     /* NOTIFY_* bits (pubsub/notify.h); "" = 0 */
    /* client-output-buffer-limit per class (CONFIG_OBUF_NORMAL ...): 0 = none. */
    struct config_obuf_limit { long long hard, soft; int soft_seconds; } obuf_limits[3];
    int set_max_intset_entries;     /* 512: larger integer sets become hashtables */
    int hash_max_listpack_entries;  /* 512: bigger hashes become hashtables */
    long long hash_max_listpack_value; /* 64: a longer field or value does too */
    int list_max_listpack_size;     /* -2: new lists' chunk limit (-1..-5: 4..64 KiB; n > 0: n entries) */
    int zset_max_listpack_entries;  /* 128: bigger sorted sets become skiplists */
    long long zset_max_listpack_value; /* 64: a longer member does too (a memory value, as Redis's) */
    long long stream_node_max_bytes; /* 4096: a stream block closes past this many bytes (0 = no limit) */
    long long stream_node_max_entries; /* 100: ... or at this many entries (0 = no limit) */
    int appendonly;                 /* 0: the append log (persist/aof.h) is off */
    int appendfsync;                /* AOF_FSYNC_EVERYSEC (persist/aof.h) */
    char *appendfilename;           /* "appendonly.aof": base name of segments and manifest */
    char *appenddirname;            /* "appendonlydir": under dir */
    int aof_load_truncated;         /* 1: cut a torn tail at start-up and go on */
    long long aof_segment_size;     /* 64 MB: a new segment once the newest is this big */
    char *save;                     /* save points "<secs> <changes> ..." (persist/persist.h); "" = none */
    char *dbfilename;               /* "dump.rill": the snapshot under dir when appendonly is no */
    int stop_writes_on_bgsave_error; /* 1: refuse writes (MISCONF) after a failed BGSAVE */
    int rdb_key_save_delay;         /* microseconds a snapshot child sleeps per key (tests); 0 */
    int auto_aof_rewrite_percentage; /* 100: rewrite when the log grew this much since the last; 0 off */
    long long auto_aof_rewrite_min_size; /* 64 MB: ... and is at least this big */
    char *config_file;              /* absolute path of the file loaded, or NULL */

    /* Set by config_set_hook; not options. */
    int (*hook)(void *priv, const char *name, char *err, size_t errlen);
    void *hook_priv;
} config;

/* config_init fills c with every option's default (hook cleared).  String
 * options are never NULL afterwards ("" when unset); c owns them until
 * config_free, which leaves c empty (config_init again to reuse it). */
void config_init(config *c);
void config_free(config *c);

/* config_load_file reads a redis.conf-syntax file into c.  Returns 0, or -1
 * with err (size errlen) set to "<file>:<line>: '<line text>': <reason>"
 * (or "can't open config file '<path>': <why>" when it cannot be read).
 * On error the lines before the bad one stay applied.  `include path` is
 * read relative to the working directory, as Redis does; an error inside
 * names the included file.  The hook is not called while loading. */
int config_load_file(config *c, const char *path, char *err, size_t errlen);
/* config_load_string reads config text (as from a file) into c; name is used in errors. */
int config_load_string(config *c, const char *name, const char *text, char *err, size_t errlen);
/* config_apply_args applies `--name value [value ...]` arguments (argv[0..argc)),
 * e.g. from the command line after the optional config file; same error form. */
int config_apply_args(config *c, int argc, char **argv, char *err, size_t errlen);

/* config_set sets one option at run time as CONFIG SET does (argv are the
 * value words).  Returns 0, or -1 with err holding Redis's CONFIG SET error
 * text (without "ERR "), e.g. "Unknown option or number of arguments for
 * CONFIG SET - 'foo'" or "CONFIG SET failed (possibly related to argument
 * 'port') - ...".  On error c is unchanged.  A multi-word option (bind)
 * given one value splits it like a config line ("127.0.0.1 ::1").  After the
 * change the hook (if any) runs; if it refuses, the old value is restored
 * and its error text follows the " - ".
 *
 * Several options in one CONFIG SET: the caller first saves each option's
 * current value with config_get_value, sets them in order, and on the first
 * failure sets the ones already changed back to their saved values (one
 * value each: the saved text round-trips through config_set; the hook runs
 * again for each restored option). */
int config_set(config *c, const char *name, const char **values, int nvalues, char *err, size_t errlen);

/* config_get_value writes option name's current value, formatted as
 * CONFIG GET shows it, NUL-terminated into buf (truncated to buflen-1
 * bytes).  Returns the full length (like snprintf, so a caller can retry
 * with a larger buffer), or -1 if there is no such option.  The text is
 * valid as the single value of config_set for the same option. */
int config_get_value(const config *c, const char *name, char *buf, size_t buflen);

/* config_canonical_name returns the table's spelling of name (matched
 * case-insensitively; static storage), or NULL if there is no such option. */
const char *config_canonical_name(const char *name);

/* config_get calls fn(priv, name, value) for every option whose name matches
 * the glob pattern (case-insensitive), in table order; value is the option's
 * current value formatted as CONFIG GET shows it. */
typedef void config_get_fn(void *priv, const char *name, const char *value);
void config_get(const config *c, const char *pattern, config_get_fn *fn, void *priv);

/* config_is_mutable returns 1 if CONFIG SET may change name at run time, 0 if
 * not, -1 if there is no such option. */
int config_is_mutable(const char *name);

/* config_set_hook registers a function called after an option changed at run
 * time (name is the canonical option name); it returns 0 to accept, or -1 with
 * err filled to refuse, in which case the old value is restored. */
typedef int config_hook_fn(void *priv, const char *name, char *err, size_t errlen);
void config_set_hook(config *c, config_hook_fn *fn, void *priv);

/* config_max_bulk: the longest bulk and string allowed, proto-max-bulk-len
 * capped at what an sbuf can hold (CONFIG SET takes Redis's range, up to
 * LLONG_MAX; beyond 4 GB the cap applies). */
long long config_max_bulk(const config *c);

/* config_rewrite_text (not required yet) */

#endif
