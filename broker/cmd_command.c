/* cmd_command.c — COMMAND [COUNT | INFO | DOCS | LIST | GETKEYS | HELP].
 *
 * Everything here is read from the rows of commands.def; nothing is
 * registered twice.  What Redis 7 reports and the table does not state is
 * derived the way Redis derives its implicit parts:
 *
 *  - ACL categories: from the flags (write -> @write, readonly -> @read,
 *    admin -> @admin @dangerous, pubsub, fast, blocking, and @slow for
 *    whatever is not @fast) plus the category of the command's group
 *    (string -> @string, generic -> @keyspace, connection -> @connection,
 *    ...).  The few commands of the "server" group that Redis files under a
 *    data category are listed in extra_acl[] below.  Container commands
 *    (CLIENT, CONFIG, OBJECT) are only @slow, as in Redis.
 *  - Key specs: from first/last/step (begin_search index, find_keys range),
 *    flagged RO/access for read-only commands and RW/access/update for
 *    writes — Redis's per-command flags are finer (RM, OW, insert, ...),
 *    the key positions are the same; a destination ahead of sources
 *    (SUNIONSTORE, BITOP) is flagged as Redis flags it (dest_first[]).
 *  - Flags: command_flag_names, less the ones Redis hides from COMMAND
 *    (sentinel, may_replicate).
 * Tips are not kept (empty), nor argument specs in COMMAND DOCS.
 *
 * Reply shapes follow Redis 7.0 exactly, including where RESP3 uses a set
 * (flags, categories, tips, key specs, an empty subcommand list).
 */
#include "server.h"
#include "commands.h"
#include "glob.h"

#include <string.h>
#include <strings.h>

/* ---- ACL categories ---------------------------------------------------- */

/* Redis's category order (the order COMMAND INFO lists them in). */
enum {
    ACL_KEYSPACE = 1 << 0, ACL_READ = 1 << 1, ACL_WRITE = 1 << 2, ACL_SET = 1 << 3,
    ACL_SORTEDSET = 1 << 4, ACL_LIST = 1 << 5, ACL_HASH = 1 << 6, ACL_STRING = 1 << 7,
    ACL_BITMAP = 1 << 8, ACL_HYPERLOGLOG = 1 << 9, ACL_GEO = 1 << 10, ACL_STREAM = 1 << 11,
    ACL_PUBSUB = 1 << 12, ACL_ADMIN = 1 << 13, ACL_FAST = 1 << 14, ACL_SLOW = 1 << 15,
    ACL_BLOCKING = 1 << 16, ACL_DANGEROUS = 1 << 17, ACL_CONNECTION = 1 << 18,
    ACL_TRANSACTION = 1 << 19, ACL_SCRIPTING = 1 << 20,
};

static const char *const acl_names[] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
    "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
    "blocking", "dangerous", "connection", "transaction", "scripting",
};

#define NACL ((int)(sizeof acl_names / sizeof acl_names[0]))

static const struct { const char *group; unsigned cat; } group_acl[] = {
    {"generic", ACL_KEYSPACE}, {"string", ACL_STRING}, {"list", ACL_LIST},
    {"set", ACL_SET}, {"sorted_set", ACL_SORTEDSET}, {"hash", ACL_HASH},
    {"bitmap", ACL_BITMAP}, {"hyperloglog", ACL_HYPERLOGLOG}, {"geo", ACL_GEO},
    {"stream", ACL_STREAM}, {"connection", ACL_CONNECTION},
    {"transactions", ACL_TRANSACTION}, {"scripting", ACL_SCRIPTING},
};

/* Categories Redis gives explicitly beyond group and flags (by top-level
 * name), and the group's category it does not give (drop). */
static const struct { const char *name; unsigned cat, drop; } extra_acl[] = {
    {"dbsize", ACL_KEYSPACE, 0},
    {"flushdb", ACL_KEYSPACE | ACL_DANGEROUS, 0},
    {"flushall", ACL_KEYSPACE | ACL_DANGEROUS, 0},
    {"swapdb", ACL_KEYSPACE | ACL_DANGEROUS, 0},
    {"info", ACL_DANGEROUS, 0},
    {"keys", ACL_DANGEROUS, 0},
    {"lastsave", ACL_ADMIN | ACL_DANGEROUS, 0},
    {"command", ACL_CONNECTION, 0},
    {"role", ACL_ADMIN | ACL_DANGEROUS, 0},
    {"wait", ACL_CONNECTION, ACL_KEYSPACE},
};

/* Commands whose data categories Redis gives in place of their group's
 * (SORT is "generic" but @set @sortedset @list @dangerous, no @keyspace). */
static const struct { const char *name; unsigned cat; } own_acl[] = {
    {"sort", ACL_SET | ACL_SORTEDSET | ACL_LIST | ACL_DANGEROUS},
    {"sort_ro", ACL_SET | ACL_SORTEDSET | ACL_LIST | ACL_DANGEROUS},
};

static const command *top(const command *cmd) { return cmd->parent ? cmd->parent : cmd; }

static const char *group_of(const command *cmd) { return top(cmd)->group; }

static unsigned acl_categories(const command *cmd)
{
    if (cmd->fn == cmd_container) return ACL_SLOW;
    unsigned cat = 0;
    const char *group = group_of(cmd);
    int own = 0;
    for (size_t i = 0; i < sizeof own_acl / sizeof own_acl[0]; i++)
        if (!strcmp(top(cmd)->name, own_acl[i].name)) {
            cat |= own_acl[i].cat;
            own = 1;
        }
    for (size_t i = 0; i < sizeof group_acl / sizeof group_acl[0]; i++)
        if (!own && !strcmp(group, group_acl[i].group)) cat |= group_acl[i].cat;
    for (size_t i = 0; i < sizeof extra_acl / sizeof extra_acl[0]; i++)
        if (!strcmp(top(cmd)->name, extra_acl[i].name)) cat = (cat | extra_acl[i].cat) & ~extra_acl[i].drop;
    if (cmd->flags & CMD_WRITE) cat |= ACL_WRITE;
    if (cmd->flags & CMD_READONLY) cat |= ACL_READ;
    if (cmd->flags & CMD_ADMIN) cat |= ACL_ADMIN | ACL_DANGEROUS;
    if (cmd->flags & CMD_PUBSUB) cat |= ACL_PUBSUB;
    if (cmd->flags & CMD_FAST) cat |= ACL_FAST;
    if (cmd->flags & CMD_BLOCKING) cat |= ACL_BLOCKING;
    if (!(cat & ACL_FAST)) cat |= ACL_SLOW;
    return cat;
}

/* acl_category_bit returns the bit for a category name ("string", any case), or 0. */
static unsigned acl_category_bit(const char *name)
{
    for (int i = 0; i < NACL; i++)
        if (!strcasecmp(name, acl_names[i])) return 1u << i;
    return 0;
}

/* ---- lookup ----------------------------------------------------------- */

/* lookup_fullname finds "name" or "parent|sub" (any case), as Redis's
 * lookupCommandBySds does; NULL if absent. */
static command *lookup_fullname(server *s, const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(s, name, len);
    command *parent = command_lookup(s, name, (size_t)(bar - name));
    const char *sub = bar + 1;
    size_t sublen = len - (size_t)(sub - name);
    if (!parent || !parent->nsubs || memchr(sub, '|', sublen)) return NULL;
    return command_lookup_sub(parent, sub, sublen);
}

/* ---- COMMAND INFO ----------------------------------------------------- */

static void reply_flags(session *c, const command *cmd)
{
    const char *names[32];
    int n = command_flag_names(cmd, names, 32), shown = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], "sentinel") && strcmp(names[i], "may_replicate")) names[shown++] = names[i];
    reply_set(c, shown);
    for (int i = 0; i < shown; i++) reply_simple(c, names[i]);
}

static void reply_acl(session *c, const command *cmd)
{
    unsigned cat = acl_categories(cmd);
    int n = 0;
    for (int i = 0; i < NACL; i++) n += !!(cat & (1u << i));
    reply_set(c, n);
    for (int i = 0; i < NACL; i++) {
        if (!(cat & (1u << i))) continue;
        char buf[32];
        buf[0] = '@';
        strcpy(buf + 1, acl_names[i]);
        reply_simple(c, buf);
    }
}

/* Commands whose keys follow a numkeys argument (CMD_MOVABLE_KEYS), as
 * Redis's "keynum" key spec: the search begins at argument `index`, numkeys
 * is `keynumidx` after it, the first key `firstkey` after it, then every
 * `keystep`.  Fixed keys before them (a destination) come from the row's
 * first/last positions.  One line per such command. */
static const struct keynum_spec {
    const char *name;
    int index, keynumidx, firstkey, keystep;
} keynum_specs[] = {
    {"sintercard", 1, 0, 1, 1},
    {"lmpop", 1, 0, 1, 1},
    {"blmpop", 2, 0, 1, 1},
    {"zmpop", 1, 0, 1, 1},
    {"bzmpop", 2, 0, 1, 1},
    {"zunion", 1, 0, 1, 1},
    {"zinter", 1, 0, 1, 1},
    {"zdiff", 1, 0, 1, 1},
    {"zintercard", 1, 0, 1, 1},
    {"zunionstore", 2, 0, 1, 1},
    {"zinterstore", 2, 0, 1, 1},
    {"zdiffstore", 2, 0, 1, 1},
};

/* Commands whose first key (a destination) has a spec of its own ahead of
 * the range of source keys after it (row keys 1 -1 1, BITOP 2 -1 1): the
 * destination is written (flagged as Redis flags it: OW update, SINTERSTORE's
 * RW update), its sources read (RO access), so Redis gives two specs. */
static const struct dest_spec {
    const char *name, *dest_flag;
} dest_first[] = {
    {"sinterstore", "RW"}, {"sunionstore", "OW"}, {"sdiffstore", "OW"}, {"bitop", "OW"},
};

static const struct dest_spec *dest_spec_of(const command *cmd)
{
    for (size_t i = 0; i < sizeof dest_first / sizeof dest_first[0]; i++)
        if (!strcmp(cmd->name, dest_first[i].name)) return &dest_first[i];
    return NULL;
}

/* Commands whose keys follow a keyword (XREAD's STREAMS): Redis's "keyword"
 * begin_search (the first `keyword` at or after argument `startfrom`) with
 * a range find_keys to the end, limit 2 (keys are the first half of what
 * follows). */
static const struct keyword_spec {
    const char *name, *keyword;
    int startfrom;
} keyword_specs[] = {
    {"xread", "STREAMS", 1},
    {"xreadgroup", "STREAMS", 4},
};

static const struct keyword_spec *keyword_spec_of(const command *cmd)
{
    if (!(cmd->flags & CMD_MOVABLE_KEYS)) return NULL;
    for (size_t i = 0; i < sizeof keyword_specs / sizeof keyword_specs[0]; i++)
        if (!strcmp(cmd->name, keyword_specs[i].name)) return &keyword_specs[i];
    return NULL;
}

static const struct keynum_spec *keynum_spec_of(const command *cmd)
{
    if (!(cmd->flags & CMD_MOVABLE_KEYS)) return NULL;
    for (size_t i = 0; i < sizeof keynum_specs / sizeof keynum_specs[0]; i++)
        if (!strcmp(cmd->name, keynum_specs[i].name)) return &keynum_specs[i];
    return NULL;
}

/* reply_spec_head starts a key spec at index: flags (two given, or derived
 * from the command's when f0 is NULL), begin_search, find_keys' type key. */
static void reply_spec_head(session *c, const command *cmd, int index, const char *f0, const char *f1)
{
    reply_map(c, 3);
    reply_bulk_cstr(c, "flags");
    if (f0) {
        reply_set(c, 2);
        reply_simple(c, f0);
        reply_simple(c, f1);
    } else if (cmd->flags & CMD_WRITE) {
        reply_set(c, 3);
        reply_simple(c, "RW");
        reply_simple(c, "access");
        reply_simple(c, "update");
    } else {
        reply_set(c, (cmd->flags & CMD_READONLY) ? 2 : 1);
        reply_simple(c, "RO");
        if (cmd->flags & CMD_READONLY) reply_simple(c, "access");
    }
    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "index");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 1);
    reply_bulk_cstr(c, "index");
    reply_int(c, index);
    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
}

static void reply_one_spec(session *c, const command *cmd, int index, int lastkey, int step,
                           const char *f0, const char *f1)
{
    reply_spec_head(c, cmd, index, f0, f1);
    reply_bulk_cstr(c, "range");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 3);
    reply_bulk_cstr(c, "lastkey");
    reply_int(c, lastkey);
    reply_bulk_cstr(c, "keystep");
    reply_int(c, step);
    reply_bulk_cstr(c, "limit");
    reply_int(c, 0);
}

static void reply_keyword_spec(session *c, const command *cmd, const struct keyword_spec *kw)
{
    reply_map(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_set(c, 2);                        /* XREAD and XREADGROUP: RO access, as Redis */
    reply_simple(c, "RO");
    reply_simple(c, "access");
    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "keyword");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 2);
    reply_bulk_cstr(c, "keyword");
    reply_bulk_cstr(c, kw->keyword);
    reply_bulk_cstr(c, "startfrom");
    reply_int(c, kw->startfrom);
    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "range");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 3);
    reply_bulk_cstr(c, "lastkey");
    reply_int(c, -1);
    reply_bulk_cstr(c, "keystep");
    reply_int(c, 1);
    reply_bulk_cstr(c, "limit");
    reply_int(c, 2);
}

static void reply_keynum_spec(session *c, const command *cmd, const struct keynum_spec *ks)
{
    reply_spec_head(c, cmd, ks->index, NULL, NULL);
    reply_bulk_cstr(c, "keynum");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 3);
    reply_bulk_cstr(c, "keynumidx");
    reply_int(c, ks->keynumidx);
    reply_bulk_cstr(c, "firstkey");
    reply_int(c, ks->firstkey);
    reply_bulk_cstr(c, "keystep");
    reply_int(c, ks->keystep);
}

/* An "unknown" spec (SORT's BY/GET keys and STORE destination): Redis
 * cannot say where those keys are, only that there may be some. */
static void reply_unknown_spec(session *c, const char *notes, const char *f1, const char *f2)
{
    reply_map(c, 4);
    reply_bulk_cstr(c, "notes");
    reply_bulk_cstr(c, notes);
    reply_bulk_cstr(c, "flags");
    reply_set(c, 2);
    reply_simple(c, f1);
    reply_simple(c, f2);
    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "unknown");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 0);
    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, "unknown");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 0);
}

/* SORT and SORT_RO: the sorted key (RO access, even for SORT), the keys
 * BY/GET patterns name, and for SORT the STORE destination, as Redis 7.0. */
static int reply_sort_specs(session *c, const command *cmd)
{
    int store = !strcmp(cmd->name, "sort");
    if (!store && strcmp(cmd->name, "sort_ro")) return 0;
    reply_set(c, 2 + store);
    reply_one_spec(c, cmd, 1, 0, 1, "RO", "access");   /* the sorted key: RO access, even for SORT */
    reply_unknown_spec(c,
                       "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
                       "the content of the key we sort",
                       "RO", "access");
    if (store)
        reply_unknown_spec(c,
                           "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
                           "anywhere in the argument array",
                           "OW", "update");
    return 1;
}

/* Commands whose fixed keys Redis describes as one range (LCS key1 key2). */
static const char *const one_range[] = {"lcs"};

static int is_one_range(const command *cmd)
{
    for (size_t i = 0; i < sizeof one_range / sizeof one_range[0]; i++)
        if (!strcmp(cmd->name, one_range[i])) return 1;
    return 0;
}

/* Keys at fixed positions (RENAME's 1 and 2) get one spec each, as Redis
 * gives them (the keys usually play different roles); a run to the end of
 * the arguments (DEL's 1..-1) is one range spec; keys after a numkeys
 * argument one keynum spec. */
static void reply_key_specs(session *c, const command *cmd)
{
    int first = cmd->first_key, last = cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (reply_sort_specs(c, cmd)) return;
    if (is_one_range(cmd)) {
        reply_set(c, 1);
        reply_one_spec(c, cmd, first, last - first, step, NULL, NULL);
        return;
    }
    const struct keynum_spec *ks = keynum_spec_of(cmd);
    int n = 0;
    const struct dest_spec *ds = first > 0 && last < 0 ? dest_spec_of(cmd) : NULL;
    int split = ds != NULL;
    if (first > 0) n = last < 0 ? 1 + split : (last >= first ? (last - first) / step + 1 : 1);
    const struct keyword_spec *kw = keyword_spec_of(cmd);
    reply_set(c, n + (ks != NULL) + (kw != NULL));
    if (split) {
        reply_one_spec(c, cmd, first, 0, 1, ds->dest_flag, "update");
        reply_one_spec(c, cmd, first + 1, last, step, "RO", "access");
    } else if (first > 0 && last < 0) {
        reply_one_spec(c, cmd, first, last, step, NULL, NULL);
    } else if (first > 0) {
        for (int i = first; i == first || i <= last; i += step) reply_one_spec(c, cmd, i, 0, 1, NULL, NULL);
    }
    if (ks) reply_keynum_spec(c, cmd, ks);
    if (kw) reply_keyword_spec(c, cmd, kw);
}

static void reply_command_info(session *c, const command *cmd)
{
    reply_array(c, 10);
    reply_bulk_cstr(c, cmd->name);
    reply_int(c, cmd->arity);
    reply_flags(c, cmd);
    reply_int(c, cmd->first_key);
    reply_int(c, cmd->last_key);
    reply_int(c, cmd->key_step);
    reply_acl(c, cmd);
    reply_set(c, 0);                        /* tips */
    reply_key_specs(c, cmd);
    if (!cmd->nsubs) {
        reply_set(c, 0);
        return;
    }
    reply_array(c, cmd->nsubs);
    for (int i = 0; i < cmd->nsubs; i++) reply_command_info(c, cmd->subs[i]);
}

/* COMMAND — COMMAND INFO for every command. */
void cmd_command(session *c)
{
    int n;
    command **all = command_all(c->srv, &n);
    reply_array(c, n);
    for (int i = 0; i < n; i++) reply_command_info(c, all[i]);
}

/* COMMAND COUNT */
void cmd_command_count(session *c)
{
    reply_int(c, c->srv->cmd_count);
}

/* COMMAND INFO [command-name ...] — unknown names give a null. */
void cmd_command_info(session *c)
{
    if (c->args.argc == 2) {
        cmd_command(c);
        return;
    }
    reply_array(c, c->args.argc - 2);
    for (int i = 2; i < c->args.argc; i++) {
        const char *name = c->args.argv[i];
        command *cmd = lookup_fullname(c->srv, name, sbuf_len(name));
        if (cmd) reply_command_info(c, cmd);
        else reply_null(c);
    }
}

/* ---- COMMAND DOCS ----------------------------------------------------- */

static void reply_command_docs(session *c, const command *cmd)
{
    reply_map(c, 4 + (cmd->nsubs ? 1 : 0));
    reply_bulk_cstr(c, "summary");
    reply_bulk_cstr(c, cmd->summary);
    reply_bulk_cstr(c, "since");
    reply_bulk_cstr(c, cmd->since);
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, group_of(cmd));
    reply_bulk_cstr(c, "complexity");
    reply_bulk_cstr(c, cmd->complexity);
    if (!cmd->nsubs) return;
    reply_bulk_cstr(c, "subcommands");
    reply_map(c, cmd->nsubs);
    for (int i = 0; i < cmd->nsubs; i++) {
        reply_bulk_cstr(c, cmd->subs[i]->name);
        reply_command_docs(c, cmd->subs[i]);
    }
}

/* COMMAND DOCS [command-name ...] — a map of name to docs; unknown names are left out. */
void cmd_command_docs(session *c)
{
    server *s = c->srv;
    if (c->args.argc == 2) {
        int n;
        command **all = command_all(s, &n);
        reply_map(c, n);
        for (int i = 0; i < n; i++) {
            reply_bulk_cstr(c, all[i]->name);
            reply_command_docs(c, all[i]);
        }
        return;
    }
    void *h = reply_defer(c);
    long found = 0;
    for (int i = 2; i < c->args.argc; i++) {
        const char *name = c->args.argv[i];
        command *cmd = lookup_fullname(s, name, sbuf_len(name));
        if (!cmd) continue;
        reply_bulk_cstr(c, cmd->name);
        reply_command_docs(c, cmd);
        found++;
    }
    reply_set_map_len(c, h, found);
}

/* ---- COMMAND LIST ----------------------------------------------------- */

enum { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

static int list_match(const command *cmd, int type, const char *arg, unsigned cat)
{
    switch (type) {
    case FILTER_MODULE: return 0;                    /* no modules */
    case FILTER_ACLCAT: return cat && (acl_categories(cmd) & cat);
    case FILTER_PATTERN: return glob_match(arg, sbuf_len(arg), cmd->name, strlen(cmd->name), 1);
    default: return 1;
    }
}

/* COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
 * Lists commands and subcommands ("config|get") by full name. */
void cmd_command_list(session *c)
{
    int type = FILTER_NONE;
    const char *arg = NULL;
    for (int i = 2; i < c->args.argc; i++) {
        int more = c->args.argc - 1 - i;
        const char *opt = c->args.argv[i];
        if (strcasecmp(opt, "filterby") || more != 2) {
            reply_err_syntax(c);
            return;
        }
        const char *t = c->args.argv[i + 1];
        if (!strcasecmp(t, "module")) type = FILTER_MODULE;
        else if (!strcasecmp(t, "aclcat")) type = FILTER_ACLCAT;
        else if (!strcasecmp(t, "pattern")) type = FILTER_PATTERN;
        else {
            reply_err_syntax(c);
            return;
        }
        arg = c->args.argv[i + 2];
        i += 2;
    }
    unsigned cat = type == FILTER_ACLCAT ? acl_category_bit(arg) : 0;
    int n;
    command **all = command_all(c->srv, &n);
    void *h = reply_defer(c);
    long count = 0;
    for (int i = 0; i < n; i++) {
        if (list_match(all[i], type, arg, cat)) {
            reply_bulk_cstr(c, all[i]->name);
            count++;
        }
        for (int j = 0; j < all[i]->nsubs; j++) {
            if (!list_match(all[i]->subs[j], type, arg, cat)) continue;
            reply_bulk_cstr(c, all[i]->subs[j]->name);
            count++;
        }
    }
    reply_set_array_len(c, h, count);
}

/* ---- COMMAND GETKEYS -------------------------------------------------- */

/* COMMAND GETKEYS command [arg ...] — the keys the command would touch. */
void cmd_command_getkeys(session *c)
{
    int argc = c->args.argc - 2;
    sbuf *argv = c->args.argv + 2;
    if (argc < 2) {                         /* Redis's arity for it is -4 */
        reply_err_arity(c);
        return;
    }
    command *cmd = command_lookup(c->srv, argv[0], sbuf_len(argv[0]));
    if (cmd && cmd->nsubs && argc >= 2) cmd = command_lookup_sub(cmd, argv[1], sbuf_len(argv[1]));
    if (!cmd) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    const struct keynum_spec *ks = keynum_spec_of(cmd);
    const struct keyword_spec *kw = keyword_spec_of(cmd);
    if (cmd->first_key <= 0 && !ks && !kw) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    if (kw) {
        /* The first half of what follows the keyword. */
        int pos = kw->startfrom;
        while (pos < argc && strcasecmp(argv[pos], kw->keyword)) pos++;
        int nkeys = pos < argc ? (argc - pos - 1) / 2 : 0;
        if (!nkeys) {
            reply_error(c, "ERR Invalid arguments specified for command");
            return;
        }
        reply_array(c, nkeys);
        for (int i = 0; i < nkeys; i++) reply_bulk_sbuf(c, argv[pos + 1 + i]);
        return;
    }
    if (ks) {
        /* The fixed keys (if any), then numkeys keys. */
        int nk = ks->index + ks->keynumidx, kfirst = ks->index + ks->firstkey;
        long long numkeys;
        int nfixed = cmd->first_key > 0 ? cmd->last_key - cmd->first_key + 1 : 0;
        if (nk >= argc || !str_to_ll(argv[nk], sbuf_len(argv[nk]), &numkeys) || numkeys < 0 ||
            numkeys + nfixed == 0 || numkeys > (argc - kfirst + ks->keystep - 1) / ks->keystep ||
            (nfixed && cmd->last_key >= argc)) {
            reply_error(c, "ERR Invalid arguments specified for command");
            return;
        }
        reply_array(c, nfixed + (long)numkeys);
        for (int i = 0; i < nfixed; i++) reply_bulk_sbuf(c, argv[cmd->first_key + i]);
        for (long long i = 0; i < numkeys; i++) reply_bulk_sbuf(c, argv[kfirst + i * ks->keystep]);
        return;
    }
    if (!strcmp(cmd->name, "sort")) {
        /* The sorted key, then the last STORE destination, found as Redis's
         * sortGetKeys scans: LIMIT skips 2 arguments, GET and BY one. */
        int store = 0;
        for (int i = 2; i < argc; i++) {
            if (!strcasecmp(argv[i], "limit")) i += 2;
            else if (!strcasecmp(argv[i], "get") || !strcasecmp(argv[i], "by")) i += 1;
            else if (!strcasecmp(argv[i], "store") && i + 1 < argc) store = i + 1;
        }
        reply_array(c, store ? 2 : 1);
        reply_bulk_sbuf(c, argv[1]);
        if (store) reply_bulk_sbuf(c, argv[store]);
        return;
    }
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (last >= argc || last < cmd->first_key) {
        if (cmd->flags & CMD_NO_MANDATORY_KEYS) reply_empty_array(c);
        else reply_error(c, "ERR Invalid arguments specified for command");
        return;
    }
    reply_array(c, (last - cmd->first_key) / step + 1);
    for (int i = cmd->first_key; i <= last; i += step) reply_bulk_sbuf(c, argv[i]);
}

/* ---- COMMAND HELP ----------------------------------------------------- */

/* COMMAND HELP */
void cmd_command_help(session *c)
{
    static const char *const help[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof help / sizeof help[0];
    reply_help(c, help, n);
}
