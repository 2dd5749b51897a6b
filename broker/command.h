/* command.h — the command table: one row per command in commands.def.
 *
 * Flags (checked by the dispatcher before a handler runs):
 *   CMD_WRITE     may modify data; emits an effect when it did (server.dirty moved)
 *   CMD_READONLY  only reads data
 *   CMD_DENYOOM   may grow memory (refused when over maxmemory)
 *   CMD_ADMIN     administrative (CONFIG, DEBUG, SHUTDOWN, ...)
 *   CMD_PUBSUB    pub/sub related
 *   CMD_NOSCRIPT  not allowed in scripts
 *   CMD_BLOCKING  may block the client
 *   CMD_LOADING   allowed while loading data
 *   CMD_STALE     allowed on a stale replica
 *   CMD_FAST      O(1) or O(log N), never slow
 *   CMD_NO_AUTH   allowed before AUTH (AUTH, HELLO, QUIT)
 *   CMD_NO_MULTI  not queued inside MULTI (it runs or errors at once)
 *   CMD_ALLOW_BUSY, CMD_SENTINEL  reported only, for COMMAND compatibility
 *   CMD_MAY_REPLICATE, CMD_NO_MANDATORY_KEYS  reported only
 *   CMD_MOVABLE_KEYS  keys are found through a numkeys argument (the row's
 *                 key positions are then 0 0 0 or the fixed keys before it);
 *                 keynum_specs[] in cmd_command.c says where numkeys is
 *
 * Arity: positive is the exact argc (command name included), negative means
 * "at least -arity".  Keys: first/last/step positions (last -1 = the last
 * argument; 0 0 0 = no keys).  A command with subcommands (CONFIG, CLIENT,
 * ...) has rows named "parent|sub"; the parent row's handler is NULL unless
 * it works alone.
 */
#ifndef RILL_COMMAND_H
#define RILL_COMMAND_H

#include <stddef.h>
#include <stdint.h>

struct session;
typedef void cmd_fn(struct session *c);

enum {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_FAST = 1 << 9,
    CMD_NO_AUTH = 1 << 10,
    CMD_NO_MULTI = 1 << 11,
    CMD_ALLOW_BUSY = 1 << 12,
    CMD_SENTINEL = 1 << 13,
    CMD_MAY_REPLICATE = 1 << 14,
    CMD_NO_MANDATORY_KEYS = 1 << 15,
    CMD_SKIP_SLOWLOG = 1 << 16,
    CMD_MOVABLE_KEYS = 1 << 17,
    CMD_NO_ASYNC_LOADING = 1 << 18,   /* reported only (SAVE, BGSAVE, BGREWRITEAOF) */
};

typedef struct command {
    const char *name;          /* lower case; "parent|sub" for subcommands */
    cmd_fn *fn;
    int arity;
    uint32_t flags;
    int first_key, last_key, key_step;
    const char *group;         /* "string", "generic", "connection", "server", ... */
    const char *summary;
    const char *since;
    const char *complexity;
    /* Filled at start-up. */
    struct command *parent;
    struct command **subs;     /* NULL-terminated, or NULL */
    int nsubs;
    /* Statistics (INFO commandstats). */
    long long calls, usec, rejected_calls, failed_calls;
} command;

struct server;

/* command_table_init builds the lookup from commands.def. */
void command_table_init(struct server *s);
void command_table_free(struct server *s);
/* command_lookup finds a top-level command by name (any case). */
command *command_lookup(struct server *s, const char *name, size_t len);
/* command_lookup_sub finds parent|sub (any case) or NULL. */
command *command_lookup_sub(command *parent, const char *sub, size_t len);
/* command_fullname writes "parent|sub" or "name". */
const char *command_fullname(const command *cmd);
/* command_flag_names lists the flag words for COMMAND INFO in Redis's order. */
int command_flag_names(const command *cmd, const char **out, int max);
/* Iterate every top-level command. */
command **command_all(struct server *s, int *count);

#endif
