/* command.c — builds the command table from commands.def and looks names up. */
#include "command.h"
#include "commands.h"
#include "server.h"
#include "alloc.h"

#include <string.h>
#include <strings.h>

static command table[] = {
#define CMD(n_, f_, ar_, fl_, fk_, lk_, ks_, g_, sum_, since_, cx_) \
    {.name = n_, .fn = f_, .arity = ar_, .flags = fl_, .first_key = fk_, .last_key = lk_, .key_step = ks_, \
     .group = g_, .summary = sum_, .since = since_, .complexity = cx_},
#define SUB(p_, n_, f_, ar_, fl_, fk_, lk_, ks_, sum_, since_, cx_) \
    {.name = n_, .fn = f_, .arity = ar_, .flags = fl_, .first_key = fk_, .last_key = lk_, .key_step = ks_, \
     .group = p_, .summary = sum_, .since = since_, .complexity = cx_},
#include "commands.def"
#undef CMD
#undef SUB
};

#define NTABLE ((int)(sizeof table / sizeof table[0]))

/* Container rows (CLIENT, CONFIG, OBJECT) run only when no subcommand matched,
 * which the dispatcher already answers; this is a safety net. */
void cmd_container(session *c)
{
    reply_errorf(c, "ERR unknown subcommand. Try %s HELP.", c->cmd ? c->cmd->name : "");
}

static const dict_type command_dict_type = {
    .hash = dict_sbuf_hash_nocase,
    .key_equal = dict_sbuf_equal_nocase,
    .key_free = dict_sbuf_free,
    .val_free = NULL,
};

void command_table_init(server *s)
{
    s->commands = dict_create(&command_dict_type);
    s->cmd_list = xcalloc(NTABLE, sizeof(command *));
    s->cmd_count = 0;
    for (int i = 0; i < NTABLE; i++) {
        command *cmd = &table[i];
        cmd->calls = cmd->usec = cmd->rejected_calls = cmd->failed_calls = 0;
        const char *bar = strchr(cmd->name, '|');
        if (!bar) {
            dict_add(s->commands, sbuf_from_cstr(cmd->name), cmd);
            s->cmd_list[s->cmd_count++] = cmd;
            continue;
        }
        sbuf pname = sbuf_new(cmd->name, (size_t)(bar - cmd->name));
        command *parent = dict_fetch(s->commands, pname);
        sbuf_free(pname);
        if (!parent) continue;  /* rows list parents first */
        cmd->parent = parent;
        if (!parent->subs) parent->nsubs = 0;
        parent->subs = xrealloc(parent->subs, sizeof(command *) * (size_t)(parent->nsubs + 2));
        parent->subs[parent->nsubs++] = cmd;
        parent->subs[parent->nsubs] = NULL;
    }
}

void command_table_free(server *s)
{
    for (int i = 0; i < s->cmd_count; i++) {
        xfree(s->cmd_list[i]->subs);
        s->cmd_list[i]->subs = NULL;
        s->cmd_list[i]->nsubs = 0;
    }
    dict_release(s->commands);
    xfree(s->cmd_list);
    s->commands = NULL;
    s->cmd_list = NULL;
}

command *command_lookup(server *s, const char *name, size_t len)
{
    if (len > 64) return NULL;
    char mem[sizeof(struct sbuf_hdr) + 72];
    sbuf key = sbuf_place(mem, name, len);
    return dict_fetch(s->commands, key);
}

command *command_lookup_sub(command *parent, const char *sub, size_t len)
{
    for (int i = 0; i < parent->nsubs; i++) {
        const char *n = strchr(parent->subs[i]->name, '|') + 1;
        if (strlen(n) == len && strncasecmp(n, sub, len) == 0) return parent->subs[i];
    }
    return NULL;
}

const char *command_fullname(const command *cmd) { return cmd->name; }

command **command_all(server *s, int *count)
{
    *count = s->cmd_count;
    return s->cmd_list;
}

int command_flag_names(const command *cmd, const char **out, int max)
{
    static const struct { uint32_t flag; const char *name; } names[] = {
        {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
        {CMD_ADMIN, "admin"}, {CMD_PUBSUB, "pubsub"}, {CMD_NOSCRIPT, "noscript"},
        {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"}, {CMD_STALE, "stale"},
        {CMD_SKIP_SLOWLOG, "skip_slowlog"}, {CMD_FAST, "fast"}, {CMD_NO_AUTH, "no_auth"},
        {CMD_MAY_REPLICATE, "may_replicate"}, {CMD_SENTINEL, "sentinel"},
        {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"}, {CMD_NO_ASYNC_LOADING, "no_async_loading"},
        {CMD_NO_MULTI, "no_multi"},
        {CMD_MOVABLE_KEYS, "movablekeys"}, {CMD_ALLOW_BUSY, "allow_busy"},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < max; i++)
        if (cmd->flags & names[i].flag) out[n++] = names[i].name;
    return n;
}
