/* cmd_config.c — CONFIG GET | SET | RESETSTAT | REWRITE | HELP.
 *
 * The options themselves (names, parsing, defaults, error texts) belong to
 * config.c; this file adds what the command needs around them: several
 * patterns per GET, several atomic pairs per SET with roll-back, and the
 * rewrite of the config file.
 *
 * A few parameters Rill does not have are still answered by CONFIG GET
 * (compat[] below), because common tools probe them and give up or warn
 * when they are missing: redis-benchmark reads "save" and "appendonly",
 * job queues read "maxmemory-policy".  They report what Rill actually does
 * (no snapshots, no AOF, no eviction) and are read-only.  A real option of
 * the same name in config.c always wins.
 */
#include "server.h"
#include "commands.h"
#include "alloc.h"
#include "argv.h"
#include "glob.h"
#include "info.h"
#include "log.h"
#include "resp_parse.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct { const char *name, *value; } compat[] = {
    {"save", ""},
    {"appendonly", "no"},
    {"maxmemory-policy", "noeviction"},
};

/* ---- CONFIG GET ------------------------------------------------------- */

typedef struct get_ctx {
    session *c;
    long matches;
} get_ctx;

/* first_match returns the index of the first argument matching option
 * name, or 0.  Arguments without glob characters are exact names (any
 * case), as in Redis. */
static int first_match(session *c, const char *name)
{
    for (int i = 2; i < c->args.argc; i++) {
        const char *p = c->args.argv[i];
        if (strpbrk(p, "[*?") ? glob_match(p, sbuf_len(p), name, strlen(name), 1) : !strcasecmp(p, name))
            return i;
    }
    return 0;
}

static void get_one(void *priv, const char *name, const char *value)
{
    get_ctx *g = priv;
    int i = first_match(g->c, name);
    if (!i) return;
    /* An exact name is echoed as the client spelled it, as Redis does. */
    const char *arg = g->c->args.argv[i];
    reply_bulk_cstr(g->c, strpbrk(arg, "[*?") ? name : arg);
    reply_bulk_cstr(g->c, value);
    g->matches++;
}

/* CONFIG GET parameter [parameter ...]
 * Each option appears once, whichever arguments matched it, in table order
 * (Redis's order is its hash table's, which no client may rely on). */
void cmd_config_get(session *c)
{
    get_ctx g = {c, 0};
    void *h = reply_defer(c);
    config_get(&c->srv->cfg, "*", get_one, &g);
    for (size_t i = 0; i < sizeof compat / sizeof compat[0]; i++)
        if (!config_canonical_name(compat[i].name)) get_one(&g, compat[i].name, compat[i].value);
    reply_set_map_len(c, h, g.matches);
}

/* ---- CONFIG SET ------------------------------------------------------- */

/* get_value returns option name's current value as a new heap string. */
static char *get_value(const config *cfg, const char *name)
{
    char small[256];
    int n = config_get_value(cfg, name, small, sizeof small);
    if (n < 0) return xstrdup("");
    if ((size_t)n < sizeof small) return xstrdup(small);
    char *big = xmalloc((size_t)n + 1);
    config_get_value(cfg, name, big, (size_t)n + 1);
    return big;
}

/* CONFIG SET parameter value [parameter value ...]
 *
 * All or nothing, as in Redis 7: every name is checked first (unknown,
 * immutable, given twice: the first problem in argument order is the
 * error); then the values are set in order, and when one is refused the
 * ones already set get their saved values back. */
void cmd_config_set(session *c)
{
    server *s = c->srv;
    int argc = c->args.argc;
    sbuf *argv = c->args.argv;
    if (argc & 1) {
        reply_err_syntax(c);
        return;
    }
    int n = (argc - 2) / 2;
    const char **names = xcalloc((size_t)n, sizeof *names);
    char **saved = xcalloc((size_t)n, sizeof *saved);

    for (int i = 0; i < n; i++) {
        const char *given = argv[2 + 2 * i];
        names[i] = config_canonical_name(given);
        if (!names[i]) {
            reply_errorf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", given);
            goto done;
        }
        if (config_is_mutable(names[i]) != 1) {
            reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", given);
            goto done;
        }
        for (int j = 0; j < i; j++) {
            if (names[j] == names[i]) {
                reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter", given);
                goto done;
            }
        }
    }
    for (int i = 0; i < n; i++) saved[i] = get_value(&s->cfg, names[i]);

    for (int i = 0; i < n; i++) {
        char err[512];
        const char *value = argv[3 + 2 * i];
        if (config_set(&s->cfg, names[i], &value, 1, err, sizeof err) == 0) continue;
        for (int j = i - 1; j >= 0; j--) {
            char err2[512];
            const char *old = saved[j];
            if (config_set(&s->cfg, names[j], &old, 1, err2, sizeof err2) != 0)
                log_warning("Failed restoring failed CONFIG SET command. Error setting %s to '%s': %s",
                            names[j], old, err2);
        }
        reply_errorf(c, "ERR %s", err);
        goto done;
    }
    reply_ok(c);

done:
    for (int i = 0; i < n; i++) xfree(saved[i]);
    xfree(saved);
    xfree(names);
}

/* ---- CONFIG RESETSTAT ------------------------------------------------- */

/* CONFIG RESETSTAT */
void cmd_config_resetstat(session *c)
{
    info_reset_stats(c->srv);
    reply_ok(c);
}

/* ---- CONFIG REWRITE --------------------------------------------------- */

#define REWRITE_SIGNATURE "# Generated by CONFIG REWRITE"

/* Options whose value is several words on one line (written unquoted). */
static int is_multi_word(const char *name) { return !strcmp(name, "bind"); }

/* cat_word appends w as one config-file word: bare when it needs no
 * quoting, else double-quoted with escapes (read back by resp_split_inline). */
static sbuf cat_word(sbuf s, const char *w)
{
    int plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\'' || *p == '\\' || *p == '#') plain = 0;
    if (plain) return sbuf_cat(s, w, strlen(w));
    s = sbuf_cat(s, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        switch (*p) {
        case '"': s = sbuf_cat(s, "\\\"", 2); break;
        case '\\': s = sbuf_cat(s, "\\\\", 2); break;
        case '\n': s = sbuf_cat(s, "\\n", 2); break;
        case '\r': s = sbuf_cat(s, "\\r", 2); break;
        case '\t': s = sbuf_cat(s, "\\t", 2); break;
        default:
            if (isprint(*p)) s = sbuf_cat(s, p, 1);
            else s = sbuf_catfmt(s, "\\x%02x", *p);
        }
    }
    return sbuf_cat(s, "\"", 1);
}

/* The rewrite works on the old file's lines: each option's first line is
 * replaced with its current value, its further lines dropped; options not
 * in the file are appended (after the signature comment) when they differ
 * from their default; comments and includes stay. */
typedef struct rewrite {
    sbuf *lines;            /* NULL entries are dropped lines */
    const char **owner;     /* canonical option a line sets, or NULL */
    int n, cap;
    int has_signature;
    config defaults;
} rewrite;

static void rw_push(rewrite *rw, sbuf line, const char *owner)
{
    if (rw->n == rw->cap) {
        rw->cap = rw->cap ? rw->cap * 2 : 64;
        rw->lines = xrealloc(rw->lines, sizeof *rw->lines * (size_t)rw->cap);
        rw->owner = xrealloc(rw->owner, sizeof *rw->owner * (size_t)rw->cap);
    }
    rw->lines[rw->n] = line;
    rw->owner[rw->n] = owner;
    rw->n++;
}

/* rw_read loads the old file; a missing file is an empty one.  -1 on error (errno set). */
static int rw_read(rewrite *rw, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    argv_t av;
    argv_init(&av);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && strchr("\r\n\t ", line[len - 1])) len--;
        const char *p = line;
        while (len > 0 && strchr("\t ", *p)) { p++; len--; }
        sbuf text = sbuf_new(p, (size_t)len);
        if (len == 0 || *p == '#') {
            if (!strcmp(text, REWRITE_SIGNATURE)) rw->has_signature = 1;
            rw_push(rw, text, NULL);
            continue;
        }
        argv_reset(&av);
        /* Unparsable lines and unknown directives become comments, as Redis does. */
        if (resp_split_inline(p, (size_t)len, &av) < 0 || av.argc == 0 ||
            (!config_canonical_name(av.argv[0]) && strcasecmp(av.argv[0], "include"))) {
            sbuf bad = sbuf_catfmt(sbuf_empty((size_t)len + 8), "# ??? %s", text);
            sbuf_free(text);
            rw_push(rw, bad, NULL);
            continue;
        }
        rw_push(rw, text, config_canonical_name(av.argv[0]));
    }
    int saved = errno, bad = ferror(f);
    free(line);
    fclose(f);
    argv_free(&av);
    errno = saved;
    return bad ? -1 : 0;
}

static void rw_option(void *priv, const char *name, const char *value)
{
    rewrite *rw = priv;
    sbuf line = sbuf_cat(sbuf_empty(64), name, strlen(name));
    line = sbuf_cat(line, " ", 1);
    if (is_multi_word(name) && value[0]) line = sbuf_cat(line, value, strlen(value));
    else line = cat_word(line, value);

    int replaced = 0;
    for (int i = 0; i < rw->n; i++) {
        if (rw->owner[i] != name || !rw->lines[i]) continue;
        sbuf_free(rw->lines[i]);
        rw->lines[i] = replaced ? NULL : line;     /* later duplicates are dropped */
        replaced = 1;
    }
    if (replaced) return;
    char *def = get_value(&rw->defaults, name);
    int differs = strcmp(def, value) != 0;
    xfree(def);
    if (!differs) {
        sbuf_free(line);
        return;
    }
    if (!rw->has_signature) {
        rw_push(rw, sbuf_from_cstr(REWRITE_SIGNATURE), NULL);
        rw->has_signature = 1;
    }
    rw_push(rw, line, name);
}

/* rw_write replaces path atomically (temp file, fsync, rename), keeping the
 * old file's permissions.  -1 on error (errno set). */
static int rw_write(rewrite *rw, const char *path)
{
    sbuf content = sbuf_empty(4096);
    for (int i = 0; i < rw->n; i++) {
        if (!rw->lines[i]) continue;
        content = sbuf_cat(content, rw->lines[i], sbuf_len(rw->lines[i]));
        content = sbuf_cat(content, "\n", 1);
    }
    sbuf tmp = sbuf_catfmt(sbuf_empty(strlen(path) + 32), "%s.tmp-rill-%d", path, (int)getpid());
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    int rc = -1, fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd >= 0) {
        size_t off = 0, len = sbuf_len(content);
        while (off < len) {
            ssize_t w = write(fd, content + off, len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += (size_t)w;
        }
        int ok = off == len && fsync(fd) == 0;
        int saved = errno;
        if (close(fd) != 0 && ok) { ok = 0; saved = errno; }
        if (ok && rename(tmp, path) == 0) rc = 0;
        else {
            if (ok) saved = errno;
            unlink(tmp);
            errno = saved;
        }
    }
    sbuf_free(tmp);
    sbuf_free(content);
    return rc;
}

/* config_rewrite_file rewrites path from cfg; 0 or -1 (errno set). */
static int config_rewrite_file(const config *cfg, const char *path)
{
    rewrite rw;
    memset(&rw, 0, sizeof rw);
    config_init(&rw.defaults);
    int rc = rw_read(&rw, path);
    if (rc == 0) {
        config_get(cfg, "*", rw_option, &rw);
        rc = rw_write(&rw, path);
    }
    int saved = errno;
    for (int i = 0; i < rw.n; i++) sbuf_free(rw.lines[i]);
    xfree(rw.lines);
    xfree(rw.owner);
    config_free(&rw.defaults);
    errno = saved;
    return rc;
}

/* CONFIG REWRITE */
void cmd_config_rewrite(session *c)
{
    const char *path = c->srv->cfg.config_file;
    if (!path || !path[0]) {
        reply_error(c, "ERR The server is running without a config file");
        return;
    }
    if (config_rewrite_file(&c->srv->cfg, path) != 0) {
        int e = errno;
        log_warning("CONFIG REWRITE failed: %s", strerror(e));
        reply_errorf(c, "ERR Rewriting config file: %s", strerror(e));
        return;
    }
    log_notice("CONFIG REWRITE executed with success.");
    reply_ok(c);
}

/* ---- CONFIG HELP ------------------------------------------------------ */

/* CONFIG HELP */
void cmd_config_help(session *c)
{
    static const char *const help[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof help / sizeof help[0];
    reply_help(c, help, n);
}
