/* config_test.c — option table, file and command-line parsing, CONFIG GET/SET. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L    /* mkdtemp */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "sbuf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The repository root: RILL_SOURCE_DIR if the build defines it, else found
 * from this file's path (tests/unit/config_test.c). */
static void repo_path(char *buf, size_t len, const char *rel)
{
#ifdef RILL_SOURCE_DIR
    snprintf(buf, len, "%s/%s", RILL_SOURCE_DIR, rel);
#else
    const char *f = __FILE__;
    const char *tail = strstr(f, "tests/unit/config_test.c");
    int n = tail ? (int)(tail - f) : 0;
    snprintf(buf, len, "%.*s%s", n, f, rel);
#endif
}

/* load parses text as a file named "t.conf"; returns its result, err in e. */
static char e[1024];
static int load(config *c, const char *text)
{
    e[0] = '\0';
    return config_load_string(c, "t.conf", text, e, sizeof e);
}

static void load_ok(config *c, const char *text)
{
    int rc = load(c, text);
    if (rc) fail_msg("unexpected error: %s", e);
}

static void load_err(const char *text, const char *want)
{
    config c;
    config_init(&c);
    assert_int_equal(load(&c, text), -1);
    assert_string_equal(e, want);
    config_free(&c);
}

static int args(config *c, int argc, const char **argv)
{
    e[0] = '\0';
    return config_apply_args(c, argc, (char **)argv, e, sizeof e);
}

static int set1(config *c, const char *name, const char *value)
{
    e[0] = '\0';
    return config_set(c, name, &value, 1, e, sizeof e);
}

/* get returns option name's value (static buffer). */
static const char *get(const config *c, const char *name)
{
    static char buf[512];
    int n = config_get_value(c, name, buf, sizeof buf);
    assert_true(n >= 0);
    return buf;
}

/* dump collects config_get(pattern) as "name=value\n" lines. */
struct dump { char text[4096]; size_t len; int n; };
static void dump_fn(void *priv, const char *name, const char *value)
{
    struct dump *d = priv;
    d->len += (size_t)snprintf(d->text + d->len, sizeof d->text - d->len, "%s=%s\n", name, value);
    d->n++;
}
static void dump(const config *c, const char *pattern, struct dump *d)
{
    memset(d, 0, sizeof *d);
    config_get(c, pattern, dump_fn, d);
}

/* ---------------------------------------------------------------- defaults */

static void test_defaults(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    assert_int_equal(c.bind_count, 1);
    assert_string_equal(c.bind[0], "127.0.0.1");
    assert_int_equal(c.port, 6379);
    assert_int_equal(c.tcp_backlog, 511);
    assert_string_equal(c.unixsocket, "");
    assert_int_equal(c.unixsocketperm, 0);
    assert_string_equal(c.requirepass, "");
    assert_int_equal(c.maxclients, 10000);
    assert_int_equal(c.timeout, 0);
    assert_int_equal(c.tcp_keepalive, 300);
    assert_int_equal(c.databases, 16);
    assert_string_equal(c.dir, "./data");
    assert_int_equal(c.loglevel, LL_NOTICE);
    assert_string_equal(c.logfile, "");
    assert_int_equal(c.hz, 10);
    assert_int_equal(c.list_max_listpack_size, -2);
    assert_int_equal(c.zset_max_listpack_entries, 128);
    assert_int_equal(c.zset_max_listpack_value, 64);
    assert_true(c.proto_max_bulk_len == 512LL * 1024 * 1024);
    assert_true(c.client_query_buffer_limit == 1024LL * 1024 * 1024);
    assert_true(c.maxmemory == 0);
    assert_string_equal(c.pidfile, "");
    assert_int_equal(c.active_expire_enabled, 1);
    assert_null(c.config_file);
    assert_null(c.hook);
    config_free(&c);
    config_free(&c);    /* a freed config may be freed again */
}

/* ----------------------------------------------------------- value parsing */

static void test_memory_units(void **state)
{
    (void)state;
    static const struct { const char *in; unsigned long long want; } cases[] = {
        { "0", 0 }, { "100", 100 }, { "5b", 5 }, { "5B", 5 },
        { "1k", 1000 }, { "1kb", 1024 }, { "1K", 1000 }, { "1KB", 1024 }, { "2kB", 2048 },
        { "1m", 1000000 }, { "1mb", 1048576 }, { "3Mb", 3 * 1048576LL },
        { "1g", 1000000000LL }, { "1gb", 1073741824LL }, { "4GB", 4 * 1073741824LL },
        { "9223372036854775807", LLONG_MAX },
        /* As Redis 7.0's memtoull: no digits is 0, too many saturate, and
         * the unit's product wraps around. */
        { "", 0 }, { "mb", 0 }, { "9223372036854775808", 9223372036854775808ULL },
        { "18446744073709551615", ULLONG_MAX }, { "99999999999999999999", ULLONG_MAX },
        { "99999999999999999999gb", ULLONG_MAX * 1073741824ULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config c;
        config_init(&c);
        char line[128];
        snprintf(line, sizeof line, "maxmemory \"%s\"\n", cases[i].in);
        load_ok(&c, line);
        if (c.maxmemory != cases[i].want)
            fail_msg("maxmemory %s: got %llu want %llu", cases[i].in, c.maxmemory, cases[i].want);
        config_free(&c);
    }
    config c;
    config_init(&c);
    load_ok(&c, "proto-max-bulk-len 1mb\nclient-query-buffer-limit 2GB\n");
    assert_true(c.proto_max_bulk_len == 1048576);
    assert_true(c.client_query_buffer_limit == 2 * 1073741824LL);
    load_ok(&c, "proto-max-bulk-len 4294967231\n");
    assert_true(c.proto_max_bulk_len == 4294967231LL);
    /* CONFIG GET shows plain byte counts */
    assert_string_equal(get(&c, "proto-max-bulk-len"), "4294967231");
    assert_string_equal(get(&c, "client-query-buffer-limit"), "2147483648");
    config_free(&c);
}

static void test_bool_enum_octal(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c, "active-expire-enabled no\n");
    assert_int_equal(c.active_expire_enabled, 0);
    assert_string_equal(get(&c, "active-expire-enabled"), "no");
    load_ok(&c, "active-expire-enabled YES\n");
    assert_int_equal(c.active_expire_enabled, 1);
    assert_string_equal(get(&c, "active-expire-enabled"), "yes");

    static const char *levels[] = { "debug", "verbose", "notice", "warning", "nothing" };
    for (int i = 0; i < 5; i++) {
        char line[64];
        snprintf(line, sizeof line, "loglevel %s", levels[i]);
        load_ok(&c, line);
        assert_int_equal(c.loglevel, i);
        assert_string_equal(get(&c, "loglevel"), levels[i]);
    }
    load_ok(&c, "loglevel WARNING");
    assert_int_equal(c.loglevel, LL_WARNING);
    assert_string_equal(get(&c, "loglevel"), "warning");

    load_ok(&c, "unixsocketperm 700\n");
    assert_int_equal(c.unixsocketperm, 0700);
    assert_string_equal(get(&c, "unixsocketperm"), "700");
    load_ok(&c, "unixsocketperm 0770\n");
    assert_int_equal(c.unixsocketperm, 0770);
    assert_string_equal(get(&c, "unixsocketperm"), "770");
    load_ok(&c, "unixsocketperm 777\n");
    assert_int_equal(c.unixsocketperm, 0777);
    config_free(&c);
}

static void test_ints_and_hz_clamp(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c, "port 0\ntcp-backlog 1024\nmaxclients 1\ntimeout 30\ntcp-keepalive 0\ndatabases 1\n");
    assert_int_equal(c.port, 0);
    assert_int_equal(c.tcp_backlog, 1024);
    assert_int_equal(c.maxclients, 1);
    assert_int_equal(c.timeout, 30);
    assert_int_equal(c.tcp_keepalive, 0);
    assert_int_equal(c.databases, 1);
    load_ok(&c, "port 65535\n");
    assert_int_equal(c.port, 65535);

    load_ok(&c, "hz 0\n");
    assert_int_equal(c.hz, 1);
    load_ok(&c, "hz 100000\n");
    assert_int_equal(c.hz, 500);
    assert_string_equal(get(&c, "hz"), "500");
    load_ok(&c, "hz 42\n");
    assert_int_equal(c.hz, 42);
    assert_int_equal(set1(&c, "hz", "1000"), 0);
    assert_int_equal(c.hz, 500);
    config_free(&c);
}

static void test_strings_and_quoting(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c,
            "requirepass \"a b\\\"c\\x41\"\n"
            "dir '/var/lib/rill data'\n"
            "logfile \"\"\n"
            "pidfile /run/rill.pid\n"
            "unixsocket '/tmp/it\\'s.sock'\n");
    assert_string_equal(c.requirepass, "a b\"cA");
    assert_string_equal(c.dir, "/var/lib/rill data");
    assert_string_equal(c.logfile, "");
    assert_string_equal(c.pidfile, "/run/rill.pid");
    assert_string_equal(c.unixsocket, "/tmp/it's.sock");
    config_free(&c);
}

static void test_bind(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c, "bind * -::*\n");
    assert_int_equal(c.bind_count, 2);
    assert_string_equal(c.bind[0], "*");
    assert_string_equal(c.bind[1], "-::*");
    assert_string_equal(get(&c, "bind"), "* -::*");

    load_ok(&c, "bind 127.0.0.1 ::1 10.0.0.1\n");
    assert_int_equal(c.bind_count, 3);
    assert_string_equal(get(&c, "bind"), "127.0.0.1 ::1 10.0.0.1");

    /* a single empty word: no address (as in Redis) */
    load_ok(&c, "bind \"\"\n");
    assert_int_equal(c.bind_count, 0);
    assert_string_equal(get(&c, "bind"), "");

    load_ok(&c, "bind a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16\n");
    assert_int_equal(c.bind_count, 16);
    assert_string_equal(c.bind[15], "a16");
    config_free(&c);

    load_err("bind a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16 a17",
             "t.conf:1: 'bind a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16 a17': "
             "Too many bind addresses specified.");
    load_err("bind", "t.conf:1: 'bind': wrong number of arguments");
}

static void test_file_syntax(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c,
            "# a comment\n"
            "\n"
            "   \t\n"
            "   # indented comment\n"
            "PORT 7000\r\n"
            "  Tcp-Keepalive   60  \n"
            "port 7001\n"            /* later lines win */
            "maxclients 5");         /* no final newline */
    assert_int_equal(c.port, 7001);
    assert_int_equal(c.tcp_keepalive, 60);
    assert_int_equal(c.maxclients, 5);
    config_free(&c);

    config_init(&c);
    load_ok(&c, "");
    load_ok(&c, "\n\n# only comments\n");
    assert_int_equal(c.port, 6379);
    config_free(&c);
}

/* ------------------------------------------------------------ load errors */

static void test_file_errors(void **state)
{
    (void)state;
    load_err("# comment\n\nnosuchoption 1\n",
             "t.conf:3: 'nosuchoption 1': Bad directive or wrong number of arguments");
    load_err("port\n", "t.conf:1: 'port': wrong number of arguments");
    load_err("port 1 2\n", "t.conf:1: 'port 1 2': wrong number of arguments");
    load_err("port 6379 # trailing comment\n",
             "t.conf:1: 'port 6379 # trailing comment': wrong number of arguments");
    load_err("port 80\nport abc\n",
             "t.conf:2: 'port abc': argument couldn't be parsed into an integer");
    load_err("port 1.5", "t.conf:1: 'port 1.5': argument couldn't be parsed into an integer");
    load_err("port +1", "t.conf:1: 'port +1': argument couldn't be parsed into an integer");
    load_err("port 007", "t.conf:1: 'port 007': argument couldn't be parsed into an integer");
    load_err("port 99999999999999999999",
             "t.conf:1: 'port 99999999999999999999': argument couldn't be parsed into an integer");
    load_err("port 65536", "t.conf:1: 'port 65536': argument must be between 0 and 65535 inclusive");
    load_err("port -1", "t.conf:1: 'port -1': argument must be between 0 and 65535 inclusive");
    load_err("databases 0",
             "t.conf:1: 'databases 0': argument must be between 1 and 2147483647 inclusive");
    load_err("maxclients 0",
             "t.conf:1: 'maxclients 0': argument must be between 1 and 2147483647 inclusive");
    load_err("hz -1", "t.conf:1: 'hz -1': argument must be between 0 and 2147483647 inclusive");
    load_err("active-expire-enabled 1",
             "t.conf:1: 'active-expire-enabled 1': argument must be 'yes' or 'no'");
    load_err("loglevel loud",
             "t.conf:1: 'loglevel loud': argument must be one of the following: "
             "debug, verbose, notice, warning, nothing");
    load_err("maxmemory 1tb", "t.conf:1: 'maxmemory 1tb': argument must be a memory value");
    load_err("maxmemory -1", "t.conf:1: 'maxmemory -1': argument must be a memory value");
    load_err("maxmemory 1.5mb", "t.conf:1: 'maxmemory 1.5mb': argument must be a memory value");
    load_err("maxmemory +1", "t.conf:1: 'maxmemory +1': argument must be a memory value");
    load_err("maxmemory 1 mb", "t.conf:1: 'maxmemory 1 mb': wrong number of arguments");
    load_err("proto-max-bulk-len 1000k",
             "t.conf:1: 'proto-max-bulk-len 1000k': argument must be between 1048576 and "
             "9223372036854775807 inclusive");
    load_err("proto-max-bulk-len 99999999999999999999",
             "t.conf:1: 'proto-max-bulk-len 99999999999999999999': argument must be between 1048576 and "
             "9223372036854775807 inclusive");
    load_err("hash-max-listpack-value -1",
             "t.conf:1: 'hash-max-listpack-value -1': argument must be a memory value");
    load_err("client-query-buffer-limit 1kb",
             "t.conf:1: 'client-query-buffer-limit 1kb': argument must be between 1048576 and "
             "9223372036854775807 inclusive");
    load_err("unixsocketperm 800",
             "t.conf:1: 'unixsocketperm 800': argument couldn't be parsed as an octal number");
    load_err("unixsocketperm 1777",
             "t.conf:1: 'unixsocketperm 1777': argument must be between 0 and 511 inclusive");
    load_err("requirepass \"unbalanced\n",
             "t.conf:1: 'requirepass \"unbalanced': Unbalanced quotes in configuration line");
    load_err("dir 'a'b\n",
             "t.conf:1: 'dir 'a'b': Unbalanced quotes in configuration line");
    load_err("include\n", "t.conf:1: 'include': Bad directive or wrong number of arguments");
    load_err("include /nonexistent/rill-x.conf\n",
             "t.conf:1: 'include /nonexistent/rill-x.conf': can't open config file "
             "'/nonexistent/rill-x.conf': No such file or directory");

    /* lines before the error stay applied */
    config c;
    config_init(&c);
    assert_int_equal(load(&c, "port 1234\nport x\n"), -1);
    assert_int_equal(c.port, 1234);
    config_free(&c);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_file_and_include(void **state)
{
    (void)state;
    char dir[] = "/tmp/rill_config_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char main_path[256], inc_path[256], bad_path[256], self_path[256], text[1024];
    snprintf(main_path, sizeof main_path, "%s/main.conf", dir);
    snprintf(inc_path, sizeof inc_path, "%s/inc.conf", dir);
    snprintf(bad_path, sizeof bad_path, "%s/bad.conf", dir);
    snprintf(self_path, sizeof self_path, "%s/self.conf", dir);

    write_file(inc_path, "# included\nport 7100\ntimeout 9\n");
    snprintf(text, sizeof text, "port 7000\ninclude %s\ntimeout 10\n", inc_path);
    write_file(main_path, text);

    config c;
    config_init(&c);
    assert_int_equal(config_load_file(&c, main_path, e, sizeof e), 0);
    assert_int_equal(c.port, 7100);      /* include overrides earlier lines */
    assert_int_equal(c.timeout, 10);     /* later lines override the include */
    assert_non_null(c.config_file);
    assert_string_equal(c.config_file, main_path);
    config_free(&c);

    /* an error inside an include names the included file and its line */
    write_file(inc_path, "\n\nloglevel chatty\n");
    config_init(&c);
    assert_int_equal(config_load_file(&c, main_path, e, sizeof e), -1);
    snprintf(text, sizeof text,
             "%s:3: 'loglevel chatty': argument must be one of the following: "
             "debug, verbose, notice, warning, nothing", inc_path);
    assert_string_equal(e, text);
    assert_null(c.config_file);
    config_free(&c);

    /* an error in the file itself */
    write_file(bad_path, "port 1\n\ntimeout soon\n");
    config_init(&c);
    assert_int_equal(config_load_file(&c, bad_path, e, sizeof e), -1);
    snprintf(text, sizeof text, "%s:3: 'timeout soon': argument couldn't be parsed into an integer",
             bad_path);
    assert_string_equal(e, text);
    config_free(&c);

    /* a file including itself stops at the nesting limit */
    snprintf(text, sizeof text, "include %s\n", self_path);
    write_file(self_path, text);
    config_init(&c);
    assert_int_equal(config_load_file(&c, self_path, e, sizeof e), -1);
    assert_non_null(strstr(e, "includes nested more than"));
    config_free(&c);

    /* a missing file */
    config_init(&c);
    assert_int_equal(config_load_file(&c, "/nonexistent/rill.conf", e, sizeof e), -1);
    assert_string_equal(e, "can't open config file '/nonexistent/rill.conf': No such file or directory");
    config_free(&c);

    unlink(main_path);
    unlink(inc_path);
    unlink(bad_path);
    unlink(self_path);
    rmdir(dir);
}

/* ------------------------------------------------------------ command line */

static void test_args(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c, "port 7000\nloglevel debug\n");
    const char *a1[] = { "--port", "7001", "--bind", "127.0.0.1", "::1", "--LogLevel", "warning",
                         "--requirepass", "", "--maxmemory", "2mb" };
    assert_int_equal(args(&c, 11, a1), 0);
    assert_int_equal(c.port, 7001);
    assert_int_equal(c.bind_count, 2);
    assert_string_equal(c.bind[1], "::1");
    assert_int_equal(c.loglevel, LL_WARNING);
    assert_string_equal(c.requirepass, "");
    assert_true(c.maxmemory == 2 * 1048576);

    /* name and value in one argument, as Redis allows */
    const char *a2[] = { "--timeout 15", "--dir", "/srv/rill dir" };
    assert_int_equal(args(&c, 3, a2), 0);
    assert_int_equal(c.timeout, 15);
    assert_string_equal(c.dir, "/srv/rill dir");

    assert_int_equal(args(&c, 0, NULL), 0);
    config_free(&c);

    config_init(&c);
    const char *b1[] = { "--port", "--bind", "127.0.0.1" };
    assert_int_equal(args(&c, 3, b1), -1);
    assert_string_equal(e, "<command line>:1: 'port': wrong number of arguments");

    const char *b2[] = { "--port", "7000", "--timeout" };
    assert_int_equal(args(&c, 3, b2), -1);
    assert_string_equal(e, "<command line>:2: 'timeout': wrong number of arguments");

    const char *b3[] = { "--port", "7000", "--bind", "a", "--hz", "10", "--nope", "x y" };
    assert_int_equal(args(&c, 8, b3), -1);
    assert_string_equal(e, "<command line>:4: 'nope \"x y\"': Bad directive or wrong number of arguments");

    const char *b4[] = { "--timeout", "" };
    assert_int_equal(args(&c, 2, b4), -1);
    assert_string_equal(e, "<command line>:1: 'timeout \"\"': argument couldn't be parsed into an integer");

    const char *b5[] = { "7000" };
    assert_int_equal(args(&c, 1, b5), -1);
    assert_string_equal(e, "<command line>:1: '7000': Bad directive or wrong number of arguments");

    const char *b6[] = { "--databases", "0" };
    assert_int_equal(args(&c, 2, b6), -1);
    assert_string_equal(e, "<command line>:1: 'databases 0': argument must be between 1 and 2147483647 inclusive");
    config_free(&c);
}

/* -------------------------------------------------------------- CONFIG SET */

static void test_set(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    assert_int_equal(set1(&c, "maxclients", "50"), 0);
    assert_int_equal(c.maxclients, 50);
    assert_int_equal(set1(&c, "MAXMEMORY", "100mb"), 0);
    assert_true(c.maxmemory == 100 * 1048576LL);
    assert_int_equal(set1(&c, "requirepass", "s3cret"), 0);
    assert_string_equal(c.requirepass, "s3cret");
    assert_int_equal(set1(&c, "loglevel", "debug"), 0);
    assert_int_equal(c.loglevel, LL_DEBUG);
    assert_int_equal(set1(&c, "active-expire-enabled", "no"), 0);
    assert_int_equal(c.active_expire_enabled, 0);
    assert_int_equal(set1(&c, "timeout", "5"), 0);
    assert_int_equal(set1(&c, "tcp-keepalive", "10"), 0);
    assert_int_equal(set1(&c, "proto-max-bulk-len", "2mb"), 0);
    assert_int_equal(set1(&c, "client-query-buffer-limit", "8mb"), 0);

    assert_int_equal(set1(&c, "port", "7000"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
    assert_int_equal(c.port, 6379);
    assert_int_equal(set1(&c, "Databases", "4"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'Databases') - can't set immutable config");
    assert_int_equal(set1(&c, "bind", "0.0.0.0"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'bind') - can't set immutable config");
    assert_int_equal(set1(&c, "logfile", "/tmp/x.log"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable config");

    assert_int_equal(set1(&c, "nosuch", "1"), -1);
    assert_string_equal(e, "Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    const char *two[] = { "1", "2" };
    assert_int_equal(config_set(&c, "maxclients", two, 2, e, sizeof e), -1);
    assert_string_equal(e, "Unknown option or number of arguments for CONFIG SET - 'maxclients'");

    assert_int_equal(set1(&c, "maxclients", "many"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'maxclients') - "
                           "argument couldn't be parsed into an integer");
    assert_int_equal(set1(&c, "maxclients", "0"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'maxclients') - "
                           "argument must be between 1 and 2147483647 inclusive");
    assert_int_equal(c.maxclients, 50);
    assert_int_equal(set1(&c, "loglevel", "x"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'loglevel') - "
                           "argument must be one of the following: debug, verbose, notice, warning, nothing");
    assert_int_equal(set1(&c, "active-expire-enabled", "maybe"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'active-expire-enabled') - "
                           "argument must be 'yes' or 'no'");
    assert_int_equal(set1(&c, "maxmemory", "lots"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'maxmemory') - "
                           "argument must be a memory value");
    assert_int_equal(set1(&c, "proto-max-bulk-len", "18446744073709551615"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
                           "argument must be between 1048576 and 9223372036854775807 inclusive");
    /* Beyond what a string can hold, the limit is the string's. */
    assert_int_equal(set1(&c, "proto-max-bulk-len", "5gb"), 0);
    assert_true(config_max_bulk(&c) == (long long)SBUF_MAX);
    assert_int_equal(set1(&c, "hash-max-listpack-value", "1kb"), 0);
    assert_true(c.hash_max_listpack_value == 1024);

    assert_int_equal(config_is_mutable("hz"), 1);
    assert_int_equal(config_is_mutable("PORT"), 0);
    assert_int_equal(config_is_mutable("nosuch"), -1);
    assert_string_equal(config_canonical_name("MaxMemory"), "maxmemory");
    assert_null(config_canonical_name("nosuch"));
    config_free(&c);
}

static void test_mutable_flags(void **state)
{
    (void)state;
    static const char *mut[] = { "requirepass", "maxclients", "timeout", "tcp-keepalive", "loglevel",
                                 "hz", "slowlog-log-slower-than", "slowlog-max-len",
                                 "proto-max-bulk-len", "client-query-buffer-limit",
                                 "maxmemory", "active-expire-enabled", "notify-keyspace-events", "client-output-buffer-limit", "set-max-intset-entries",
                                 "hash-max-listpack-entries", "hash-max-listpack-value",
                                 "list-max-listpack-size", "zset-max-listpack-entries", "zset-max-listpack-value",
                                 "stream-node-max-bytes", "stream-node-max-entries",
                                 "appendfsync", "aof-load-truncated", "aof-segment-size",
                                 "save", "stop-writes-on-bgsave-error", "rdb-key-save-delay",
                                 "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size" };
    static const char *imm[] = { "bind", "port", "tcp-backlog", "unixsocket", "unixsocketperm",
                                 "native-listen", "native-max-frame", "native-tls-cert-file",
                                 "native-tls-key-file", "native-tls-ca-file", "native-tls-auth-clients",
                                 "databases", "dir", "logfile", "pidfile",
                                 "appendonly", "appendfilename", "appenddirname", "dbfilename" };
    for (size_t i = 0; i < sizeof mut / sizeof mut[0]; i++) assert_int_equal(config_is_mutable(mut[i]), 1);
    for (size_t i = 0; i < sizeof imm / sizeof imm[0]; i++) assert_int_equal(config_is_mutable(imm[i]), 0);
    config c;
    config_init(&c);
    struct dump d;
    dump(&c, "*", &d);
    assert_int_equal(d.n, (int)(sizeof mut / sizeof mut[0] + sizeof imm / sizeof imm[0]));
    config_free(&c);
}

struct hook_state {
    int calls;
    char last[64];
    const char *refuse;     /* option name to refuse, or NULL */
    int seen_value;         /* c->maxclients as the hook saw it */
    config *c;
};

static int hook(void *priv, const char *name, char *err, size_t errlen)
{
    struct hook_state *h = priv;
    h->calls++;
    snprintf(h->last, sizeof h->last, "%s", name);
    h->seen_value = h->c->maxclients;
    if (h->refuse && !strcmp(h->refuse, name)) {
        snprintf(err, errlen, "cannot apply %s now", name);
        return -1;
    }
    return 0;
}

static void test_hook(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    struct hook_state h = { .c = &c };
    config_set_hook(&c, hook, &h);

    /* load does not call the hook */
    load_ok(&c, "maxclients 10\n");
    assert_int_equal(h.calls, 0);

    assert_int_equal(set1(&c, "MaxClients", "20"), 0);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.last, "maxclients");      /* canonical name */
    assert_int_equal(h.seen_value, 20);             /* the new value is in place */
    assert_int_equal(c.maxclients, 20);

    /* a refused int is restored */
    h.refuse = "maxclients";
    assert_int_equal(set1(&c, "maxclients", "30"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'maxclients') - "
                           "cannot apply maxclients now");
    assert_int_equal(h.seen_value, 30);
    assert_int_equal(c.maxclients, 20);

    /* a refused string is restored */
    assert_int_equal(set1(&c, "requirepass", "old"), 0);
    h.refuse = "requirepass";
    assert_int_equal(set1(&c, "requirepass", "new"), -1);
    assert_string_equal(e, "CONFIG SET failed (possibly related to argument 'requirepass') - "
                           "cannot apply requirepass now");
    assert_string_equal(c.requirepass, "old");

    /* a refused memory value and enum are restored */
    h.refuse = "maxmemory";
    assert_int_equal(set1(&c, "maxmemory", "1gb"), -1);
    assert_true(c.maxmemory == 0);
    h.refuse = "loglevel";
    assert_int_equal(set1(&c, "loglevel", "debug"), -1);
    assert_int_equal(c.loglevel, LL_NOTICE);

    /* bad values and immutable options never reach the hook */
    h.refuse = NULL;
    int calls = h.calls;
    assert_int_equal(set1(&c, "maxclients", "x"), -1);
    assert_int_equal(set1(&c, "port", "1"), -1);
    assert_int_equal(set1(&c, "nosuch", "1"), -1);
    assert_int_equal(h.calls, calls);

    config_set_hook(&c, NULL, NULL);
    assert_int_equal(set1(&c, "maxclients", "40"), 0);
    assert_int_equal(h.calls, calls);
    config_free(&c);
}

/* A multi-option CONFIG SET as the caller does it: save, set, roll back. */
static void test_rollback_with_get_value(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    load_ok(&c, "maxmemory 3mb\nrequirepass \"pass word\"\nloglevel verbose\nhz 20\n");

    const char *names[] = { "maxmemory", "requirepass", "loglevel", "hz", "active-expire-enabled",
                            "unixsocketperm", "bind", "proto-max-bulk-len" };
    struct dump before, after;
    dump(&c, "*", &before);
    char saved[8][128];
    for (int i = 0; i < 8; i++)
        assert_true(config_get_value(&c, names[i], saved[i], sizeof saved[i]) >= 0);
    assert_string_equal(saved[0], "3145728");
    assert_string_equal(saved[1], "pass word");

    assert_int_equal(set1(&c, "maxmemory", "1"), 0);
    assert_int_equal(set1(&c, "requirepass", "x"), 0);
    assert_int_equal(set1(&c, "loglevel", "nothing"), 0);
    assert_int_equal(set1(&c, "hz", "77"), 0);
    assert_int_equal(set1(&c, "active-expire-enabled", "no"), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(set1(&c, names[i], saved[i]), 0);
    dump(&c, "*", &after);
    assert_string_equal(before.text, after.text);

    /* the formatted values of immutable options parse back too */
    config d;
    config_init(&d);
    for (int i = 5; i < 8; i++) {
        char line[256];
        snprintf(line, sizeof line, "%s %s", names[i], saved[i]);
        load_ok(&d, line);
        assert_string_equal(get(&d, names[i]), saved[i]);
    }
    config_free(&d);

    assert_int_equal(config_get_value(&c, "nosuch", saved[0], sizeof saved[0]), -1);
    /* snprintf-like: the full length is returned, the copy is truncated */
    char small[4];
    assert_int_equal(config_get_value(&c, "requirepass", small, sizeof small), 9);
    assert_string_equal(small, "pas");
    assert_int_equal(config_get_value(&c, "requirepass", NULL, 0), 9);
    config_free(&c);
}

/* -------------------------------------------------------------- CONFIG GET */

static void test_get_patterns(void **state)
{
    (void)state;
    config c;
    config_init(&c);
    struct dump d;

    dump(&c, "*", &d);
    assert_int_equal(d.n, 49);
    assert_string_equal(d.text,
        "bind=127.0.0.1\n"
        "port=6379\n"
        "tcp-backlog=511\n"
        "unixsocket=\n"
        "unixsocketperm=0\n"
        "native-listen=tcp://127.0.0.1:7379 ipc://rill.sock\n"
        "native-max-frame=536870912\n"
        "native-tls-cert-file=\n"
        "native-tls-key-file=\n"
        "native-tls-ca-file=\n"
        "native-tls-auth-clients=no\n"
        "requirepass=\n"
        "maxclients=10000\n"
        "timeout=0\n"
        "tcp-keepalive=300\n"
        "databases=16\n"
        "dir=./data\n"
        "loglevel=notice\n"
        "logfile=\n"
        "hz=10\n"
        "slowlog-log-slower-than=10000\n"
        "slowlog-max-len=128\n"
        "proto-max-bulk-len=536870912\n"
        "client-query-buffer-limit=1073741824\n"
        "maxmemory=0\n"
        "pidfile=\n"
        "active-expire-enabled=yes\n"
        "notify-keyspace-events=\n"
        "client-output-buffer-limit=normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\n"
        "set-max-intset-entries=512\n"
        "hash-max-listpack-entries=512\n"
        "hash-max-listpack-value=64\n"
        "list-max-listpack-size=-2\n"
        "zset-max-listpack-entries=128\n"
        "zset-max-listpack-value=64\n"
        "stream-node-max-bytes=4096\n"
        "stream-node-max-entries=100\n"
        "appendonly=no\n"
        "appendfsync=everysec\n"
        "appendfilename=appendonly.aof\n"
        "appenddirname=appendonlydir\n"
        "aof-load-truncated=yes\n"
        "aof-segment-size=67108864\n"
        "save=3600 1 300 100 60 10000\n"
        "dbfilename=dump.rill\n"
        "stop-writes-on-bgsave-error=yes\n"
        "rdb-key-save-delay=0\n"
        "auto-aof-rewrite-percentage=100\n"
        "auto-aof-rewrite-min-size=67108864\n");

    dump(&c, "*max*", &d);
    assert_string_equal(d.text,
        "native-max-frame=536870912\n"
        "maxclients=10000\n"
        "slowlog-max-len=128\n"
        "proto-max-bulk-len=536870912\n"
        "maxmemory=0\n"
        "set-max-intset-entries=512\n"
        "hash-max-listpack-entries=512\n"
        "hash-max-listpack-value=64\n"
        "list-max-listpack-size=-2\n"
        "zset-max-listpack-entries=128\n"
        "zset-max-listpack-value=64\n"
        "stream-node-max-bytes=4096\n"
        "stream-node-max-entries=100\n");

    dump(&c, "port", &d);
    assert_string_equal(d.text, "port=6379\n");
    dump(&c, "PORT", &d);                   /* case-insensitive */
    assert_string_equal(d.text, "port=6379\n");
    dump(&c, "tcp-*", &d);
    assert_string_equal(d.text, "tcp-backlog=511\ntcp-keepalive=300\n");
    dump(&c, "?z", &d);
    assert_string_equal(d.text, "hz=10\n");
    dump(&c, "nomatch*", &d);
    assert_int_equal(d.n, 0);
    dump(&c, "", &d);
    assert_int_equal(d.n, 0);
    config_free(&c);
}

/* --------------------------------------------------------------- rill.conf */

static void test_rill_conf_is_defaults(void **state)
{
    (void)state;
    char path[4096];
    repo_path(path, sizeof path, "rill.conf");
    config c, def;
    config_init(&c);
    config_init(&def);
    /* make sure every line is really applied: start from non-defaults */
    load_ok(&c, "port 1\nbind 1.2.3.4 5.6.7.8\nloglevel debug\nhz 99\nmaxmemory 1k\n"
                "active-expire-enabled no\ndir /x\nunixsocketperm 777\n");
    if (config_load_file(&c, path, e, sizeof e)) fail_msg("loading %s: %s", path, e);
    struct dump a, b;
    dump(&c, "*", &a);
    dump(&def, "*", &b);
    assert_string_equal(a.text, b.text);
    assert_non_null(c.config_file);
    assert_true(c.config_file[0] == '/');
    config_free(&c);
    config_free(&def);
}

/* rill.conf names every option of the table (each as an uncommented line). */
static void rill_conf_has(void *priv, const char *name, const char *value)
{
    (void)value;
    const char *text = priv;
    char needle[128];
    snprintf(needle, sizeof needle, "\n%s ", name);
    if (!strstr(text, needle)) fail_msg("rill.conf lacks a line for %s", name);
}

static void test_rill_conf_lists_every_option(void **state)
{
    (void)state;
    char path[4096];
    repo_path(path, sizeof path, "rill.conf");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    config c;
    config_init(&c);
    config_get(&c, "*", rill_conf_has, text);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_memory_units),
        cmocka_unit_test(test_bool_enum_octal),
        cmocka_unit_test(test_ints_and_hz_clamp),
        cmocka_unit_test(test_strings_and_quoting),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_file_syntax),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_load_file_and_include),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_mutable_flags),
        cmocka_unit_test(test_hook),
        cmocka_unit_test(test_rollback_with_get_value),
        cmocka_unit_test(test_get_patterns),
        cmocka_unit_test(test_rill_conf_is_defaults),
        cmocka_unit_test(test_rill_conf_lists_every_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
