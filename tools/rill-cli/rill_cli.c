/* rill_cli.c — rill-cli, an interactive command line over Rill's native protocol.
 *
 *   rill-cli [-u URL] [-a password] [-n db] [-t timeout-ms] [--raw | --no-raw] [command [arg ...]]
 *
 * With a command on the command line it runs it once and exits (status 1
 * if the reply is an error or the connection fails).  Without one it reads
 * commands: interactively with line editing and history (GNU readline,
 * when built with it; history in ~/.rill_cli_history), or one per line from
 * a pipe.  Replies print as redis-cli prints them: typed and quoted on a
 * terminal, raw (--raw, the default when stdout is not a terminal) otherwise.
 * SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE enter subscribe mode: the messages
 * are fetched with POLL and printed as they arrive until Ctrl-C.
 */
#include <rill/rill.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef RILL_CLI_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

static int raw_mode;
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) { interrupted = 1; }

/* ---- printing ---------------------------------------------------------------- */

static void print_quoted(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '\\': fputs("\\\\", stdout); break;
        case '"': fputs("\\\"", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\a': fputs("\\a", stdout); break;
        case '\b': fputs("\\b", stdout); break;
        default:
            if (isprint(ch)) putchar(ch);
            else printf("\\x%02x", ch);
        }
    }
    putchar('"');
}

static void print_double(double d)
{
    char buf[64];
    if (d == 1.0 / 0.0) snprintf(buf, sizeof buf, "inf");
    else if (d == -1.0 / 0.0) snprintf(buf, sizeof buf, "-inf");
    else snprintf(buf, sizeof buf, "%.17g", d);
    fputs(buf, stdout);
}

/* print_tty prints r like redis-cli on a terminal; indent is the column of
 * nested elements. */
static void print_tty(const rill_reply *r, int indent)
{
    size_t n;
    const char *s = rill_reply_string(r, &n);
    switch (rill_reply_type(r)) {
    case RILL_REPLY_NULL: fputs("(nil)\n", stdout); break;
    case RILL_REPLY_SIMPLE: fwrite(s, 1, n, stdout), putchar('\n'); break;
    case RILL_REPLY_ERROR: fputs("(error) ", stdout), fwrite(s, 1, n, stdout), putchar('\n'); break;
    case RILL_REPLY_INTEGER: printf("(integer) %lld\n", rill_reply_integer(r)); break;
    case RILL_REPLY_DOUBLE: fputs("(double) ", stdout), print_double(rill_reply_double(r)), putchar('\n'); break;
    case RILL_REPLY_BOOLEAN: fputs(rill_reply_integer(r) ? "(true)\n" : "(false)\n", stdout); break;
    case RILL_REPLY_BIGNUM: fputs("(big number) ", stdout), fwrite(s, 1, n, stdout), putchar('\n'); break;
    case RILL_REPLY_VERBATIM: fwrite(s, 1, n, stdout), putchar('\n'); break;
    case RILL_REPLY_BULK: print_quoted(s, n), putchar('\n'); break;
    case RILL_REPLY_ARRAY: case RILL_REPLY_SET: case RILL_REPLY_PUSH: case RILL_REPLY_MAP: {
        size_t len = rill_reply_len(r);
        int map = rill_reply_type(r) == RILL_REPLY_MAP;
        char mark = rill_reply_type(r) == RILL_REPLY_SET ? '~' : map ? '#' : ')';
        if (len == 0) {
            fputs(map ? "(empty hash)\n" : rill_reply_type(r) == RILL_REPLY_SET ? "(empty set)\n" : "(empty array)\n", stdout);
            break;
        }
        size_t count = map ? len / 2 : len;
        int width = snprintf(NULL, 0, "%zu", count);
        for (size_t i = 0; i < count; i++) {
            if (i > 0) printf("%*s", indent, "");
            char idx[32];
            snprintf(idx, sizeof idx, "%*zu%c ", width, i + 1, mark);
            fputs(idx, stdout);
            int sub = indent + (int)strlen(idx);
            if (map) {
                const rill_reply *k = rill_reply_element(r, 2 * i);
                size_t kn;
                const char *ks = rill_reply_string(k, &kn);
                if (ks && rill_reply_type(k) == RILL_REPLY_BULK) print_quoted(ks, kn);
                else if (ks) fwrite(ks, 1, kn, stdout);
                else if (rill_reply_type(k) == RILL_REPLY_INTEGER) printf("(integer) %lld", rill_reply_integer(k));
                fputs(" => ", stdout);
                print_tty(rill_reply_element(r, 2 * i + 1), sub + 4);
            } else {
                print_tty(rill_reply_element(r, i), sub);
            }
        }
        break;
    }
    }
}

/* print_raw prints r as redis-cli --raw does: bare values, aggregates one
 * element per line, an error followed by an empty line; the caller ends the
 * top-level value with a newline. */
static void print_raw(const rill_reply *r)
{
    size_t n;
    const char *s = rill_reply_string(r, &n);
    switch (rill_reply_type(r)) {
    case RILL_REPLY_NULL: break;
    case RILL_REPLY_INTEGER: case RILL_REPLY_BOOLEAN: printf("%lld", rill_reply_integer(r)); break;
    case RILL_REPLY_DOUBLE: print_double(rill_reply_double(r)); break;
    case RILL_REPLY_ERROR: fwrite(s, 1, n, stdout), putchar('\n'); break;
    case RILL_REPLY_MAP:   /* "key value" per line */
        for (size_t i = 0; i + 1 < rill_reply_len(r); i += 2) {
            if (i > 0) putchar('\n');
            print_raw(rill_reply_element(r, i));
            putchar(' ');
            print_raw(rill_reply_element(r, i + 1));
        }
        break;
    case RILL_REPLY_ARRAY: case RILL_REPLY_SET: case RILL_REPLY_PUSH:
        for (size_t i = 0; i < rill_reply_len(r); i++) {
            if (i > 0) putchar('\n');
            print_raw(rill_reply_element(r, i));
        }
        break;
    default: fwrite(s, 1, n, stdout); break;
    }
}

static void print_reply(const rill_reply *r)
{
    if (raw_mode) print_raw(r), putchar('\n');
    else print_tty(r, 0);
    fflush(stdout);
}

/* ---- splitting a line into arguments (redis-cli's quoting rules) ------------- */

typedef struct args {
    int argc, cap;
    char **argv;
    size_t *lens;
} args;

static void args_free(args *a)
{
    for (int i = 0; i < a->argc; i++) free(a->argv[i]);
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}

static int args_push(args *a, const char *s, size_t n)
{
    if (a->argc == a->cap) {
        int cap = a->cap ? a->cap * 2 : 8;
        char **v = realloc(a->argv, cap * sizeof *v);
        if (!v) return -1;
        a->argv = v;
        size_t *l = realloc(a->lens, cap * sizeof *l);
        if (!l) return -1;
        a->lens = l;
        a->cap = cap;
    }
    char *c = malloc(n + 1);
    if (!c) return -1;
    memcpy(c, s, n);
    c[n] = 0;
    a->argv[a->argc] = c;
    a->lens[a->argc++] = n;
    return 0;
}

static int hexval(int c) { return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10; }

/* split_line: words separated by spaces; "..." with \n \r \t \" \\ \xHH; '...'
 * with \' only.  Returns 0, or -1 for an unbalanced quote. */
static int split_line(const char *p, args *a)
{
    memset(a, 0, sizeof *a);
    size_t cap = strlen(p) + 1;
    char *w = malloc(cap);
    if (!w) return -1;
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        size_t n = 0;
        int dq = 0, sq = 0, done = 0;
        while (!done) {
            if (dq) {
                if (!*p) goto bad;
                if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
                    w[n++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    p++;
                    w[n++] = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p == 'a' ? '\a' : *p == 'b' ? '\b' : *p;
                } else if (*p == '"') {
                    if (p[1] && !isspace((unsigned char)p[1])) goto bad;   /* closing quote must end the word */
                    done = 1;
                } else {
                    w[n++] = *p;
                }
            } else if (sq) {
                if (!*p) goto bad;
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    w[n++] = '\'';
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1])) goto bad;
                    done = 1;
                } else {
                    w[n++] = *p;
                }
            } else {
                if (!*p || isspace((unsigned char)*p)) {
                    done = 1;
                    continue;
                }
                if (*p == '"') dq = 1;
                else if (*p == '\'') sq = 1;
                else w[n++] = *p;
            }
            if (*p) p++;
        }
        if (args_push(a, w, n)) goto bad;
    }
    free(w);
    return 0;
bad:
    free(w);
    args_free(a);
    return -1;
}

/* ---- running commands ------------------------------------------------------------ */

static int is_subscribe(const char *cmd)
{
    return !strcasecmp(cmd, "subscribe") || !strcasecmp(cmd, "psubscribe") || !strcasecmp(cmd, "ssubscribe");
}

/* print_pushes prints each push of a POLL/SUBSCRIBE reply; returns how many. */
static int print_pushes(const rill_reply *r)
{
    int k = 0;
    if (rill_reply_type(r) == RILL_REPLY_PUSH) {
        print_reply(r);
        return 1;
    }
    if (rill_reply_type(r) != RILL_REPLY_ARRAY) {
        print_reply(r);
        return 0;
    }
    for (size_t i = 0; i < rill_reply_len(r); i++) k += print_pushes(rill_reply_element(r, i));
    return k;
}

/* subscribe_mode runs SUBSCRIBE and prints messages until Ctrl-C or an error. */
static int subscribe_mode(rill_client *c, args *a)
{
    rill_reply *r;
    int rc = rill_command(c, &r, a->argc, (const char *const *)a->argv, a->lens);
    if (rc != RILL_OK) {
        fprintf(stderr, "rill-cli: %s: %s\n", rill_strerror(rc), rill_errstr(c));
        return 1;
    }
    if (rill_reply_type(r) == RILL_REPLY_ERROR) {
        print_reply(r);
        rill_reply_free(r);
        return 1;
    }
    if (!raw_mode) puts("Reading messages... (press Ctrl-C to quit)");
    print_pushes(r);
    rill_reply_free(r);
    rill_set_timeout(c, 5000);
    const char *poll[] = {"POLL", "1000", "256"};
    while (!interrupted) {
        rc = rill_command(c, &r, 3, poll, NULL);
        if (rc == RILL_ETIMEDOUT) continue;
        if (rc != RILL_OK) {
            if (interrupted) break;
            fprintf(stderr, "rill-cli: %s: %s\n", rill_strerror(rc), rill_errstr(c));
            return 1;
        }
        if (rill_reply_type(r) == RILL_REPLY_ERROR) {
            print_reply(r);
            rill_reply_free(r);
            return 1;
        }
        print_pushes(r);
        rill_reply_free(r);
    }
    return 0;
}

/* run prints one command's reply; returns 0, 1 for an error reply or failure. */
static int run(rill_client *c, args *a)
{
    if (a->argc == 0) return 0;
    if (is_subscribe(a->argv[0])) return subscribe_mode(c, a);
    rill_reply *r;
    int rc = rill_command(c, &r, a->argc, (const char *const *)a->argv, a->lens);
    if (rc != RILL_OK) {
        fprintf(stderr, "rill-cli: %s: %s\n", rill_strerror(rc), rill_errstr(c));
        return 1;
    }
    print_reply(r);
    int bad = rill_reply_type(r) == RILL_REPLY_ERROR;
    rill_reply_free(r);
    return bad;
}

static void usage(FILE *f)
{
    fputs("usage: rill-cli [-u URL] [-a password] [-n db] [-t timeout-ms] [--raw | --no-raw] [command [arg ...]]\n"
          "  -u URL        server (default tcp://127.0.0.1:7379; ipc:///path works too)\n"
          "  -a password   AUTH with it first\n"
          "  -n db         SELECT it first\n"
          "  -t ms         per-command timeout (default 0: wait as long as it takes)\n"
          "  --raw         print replies raw (default when stdout is not a terminal)\n"
          "  --no-raw      print replies typed, as on a terminal\n",
          f);
}

/* read_line returns the next command line (malloc'd) or NULL at end of input. */
static char *read_line(const char *prompt, int tty)
{
#ifdef RILL_CLI_READLINE
    if (tty) return readline(prompt);
#endif
    if (tty) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    size_t cap = 0;
    char *line = NULL;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    return line;
}

int main(int argc, char **argv)
{
    const char *url = "tcp://127.0.0.1:7379", *password = NULL;
    int db = -1, timeout_ms = 0, raw_opt = -1, i;
    for (i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-u") && i + 1 < argc) url = argv[++i];
        else if (!strcmp(o, "-a") && i + 1 < argc) password = argv[++i];
        else if (!strcmp(o, "-n") && i + 1 < argc) db = atoi(argv[++i]);
        else if (!strcmp(o, "-t") && i + 1 < argc) timeout_ms = atoi(argv[++i]);
        else if (!strcmp(o, "--raw")) raw_opt = 1;
        else if (!strcmp(o, "--no-raw")) raw_opt = 0;
        else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            usage(stdout);
            return 0;
        } else if (o[0] == '-' && o[1] && strcmp(o, "-")) {
            fprintf(stderr, "rill-cli: unknown option '%s'\n", o);
            usage(stderr);
            return 2;
        } else break;
    }
    raw_mode = raw_opt >= 0 ? raw_opt : !isatty(STDOUT_FILENO);
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);

    rill_client *c;
    int rc = rill_connect(url, 2000, &c);
    if (rc != RILL_OK) {
        fprintf(stderr, "rill-cli: could not connect to %s: %s\n", url, rill_strerror(rc));
        return 1;
    }
    rill_set_timeout(c, timeout_ms);
    int status = 0;
    if (password) {
        args a = {0};
        args_push(&a, "AUTH", 4);
        args_push(&a, password, strlen(password));
        rill_reply *r;
        if (rill_command(c, &r, 2, (const char *const *)a.argv, a.lens) != RILL_OK || rill_reply_type(r) == RILL_REPLY_ERROR) {
            fprintf(stderr, "rill-cli: AUTH failed: %s\n", r ? rill_reply_string(r, NULL) : rill_errstr(c));
            status = 1;
        }
        rill_reply_free(r);
        args_free(&a);
    }
    if (!status && db >= 0) {
        rill_reply *r;
        if (rill_commandf(c, &r, "SELECT %d", db) != RILL_OK || rill_reply_type(r) == RILL_REPLY_ERROR) {
            fprintf(stderr, "rill-cli: SELECT %d failed\n", db);
            status = 1;
        }
        rill_reply_free(r);
    }
    if (status) {
        rill_close(c);
        return status;
    }

    if (i < argc) {   /* one command from the command line */
        args a = {0};
        for (; i < argc; i++) args_push(&a, argv[i], strlen(argv[i]));
        status = run(c, &a);
        args_free(&a);
        rill_close(c);
        return status;
    }

    int tty = isatty(STDIN_FILENO);
    char prompt[300];
    snprintf(prompt, sizeof prompt, "%s> ", url);
#ifdef RILL_CLI_READLINE
    char hist[1024] = "";
    const char *home = getenv("HOME");
    if (tty && home) {
        snprintf(hist, sizeof hist, "%s/.rill_cli_history", home);
        read_history(hist);
    }
#endif
    char *line;
    while (!interrupted && (line = read_line(prompt, tty)) != NULL) {
        args a;
        if (split_line(line, &a) != 0) {
            fputs("Invalid argument(s)\n", tty ? stdout : stderr);
            free(line);
            status = 1;
            continue;
        }
        if (a.argc > 0) {
#ifdef RILL_CLI_READLINE
            if (tty) add_history(line);
#endif
            if (tty && (!strcasecmp(a.argv[0], "quit") || !strcasecmp(a.argv[0], "exit"))) {
                args_free(&a);
                free(line);
                break;
            }
            if (run(c, &a)) status = 1;
            interrupted = 0;   /* Ctrl-C ends subscribe mode, not the session */
        }
        args_free(&a);
        free(line);
    }
#ifdef RILL_CLI_READLINE
    if (tty && hist[0]) write_history(hist);
#endif
    rill_close(c);
    return tty ? 0 : status;
}
