/* rill_check_log.c — rill-check-log: verify, print and repair append-log segments.
 *
 *   rill-check-log [--print] [--fix] [--not-last] <segment> ...
 *
 * Checks every record of each segment (length, CRC-32C, protobuf body,
 * MULTI/EXEC group markers; docs/formats.md).  --print lists the records
 * ("offset db group argv...", arguments quoted like redis-cli).  --fix
 * truncates a damaged segment at its first bad record (or at the start of
 * the MULTI/EXEC group it belongs to); what follows is lost.  A segment is
 * checked as the newest one (a cut-short tail is reported as torn) unless
 * --not-last is given.  A snapshot file (a log's base, or dump.rill:
 * snapshot.h) is recognised by its header and checked whole (framing,
 * trailer, whole-file CRC, every record); it is never "fixed".  Exit
 * status: 0 all good (or fixed), 1 damage found and not fixed, 2 usage or
 * I/O error.
 */
#include "aof_format.h"
#include "snapshot.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void print_quoted(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        switch (c) {
        case '\\': fputs("\\\\", stdout); break;
        case '"': fputs("\\\"", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (isprint(c)) putchar((int)c);
            else printf("\\x%02x", c);
        }
    }
    putchar('"');
}

static int print_record(void *priv, size_t off, const Rill__LogRecord *r)
{
    static const char *const groups[] = {"-", "begin", "more", "end"};
    size_t base = priv ? *(const size_t *)priv : 0;
    printf("%zu db=%u group=%s", off + base, r->db, r->group <= 3 ? groups[r->group] : "?");
    for (size_t i = 0; i < r->n_argv; i++) {
        putchar(' ');
        print_quoted(r->argv[i].data, r->argv[i].len);
    }
    putchar('\n');
    return 0;
}

static int check_snapshot(const char *path, const uint8_t *p, size_t size, int print, int fix)
{
    snap_check chk;
    int rc = 0;
    if (snapshot_verify(p, size, &chk) != 0) {
        printf("%s: damaged snapshot at offset %zu: %s\n", path, chk.bad_off, chk.why);
        if (fix) printf("%s: a snapshot cannot be repaired; restore a good copy or move it away\n", path);
        rc = 1;
    } else {
        size_t base = SNAP_HEADER_SIZE;
        aof_scan_result res;
        aof_scan(p + base, chk.trailer_off - base, 0, print ? print_record : NULL, &base, &res);
        if (res.status != AOF_SCAN_OK) {
            printf("%s: bad record in the snapshot at offset %zu: %s\n", path, res.bad_off + base, res.why);
            rc = 1;
        } else {
            printf("%s: snapshot OK, %lld keys, %zu records, %zu bytes\n", path, chk.keys, res.records, size);
        }
    }
    munmap((void *)p, size);
    return rc;
}

static int check(const char *path, int print, int fix, int last)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        close(fd);
        return 2;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *p = NULL;
    if (size) {
        p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "%s: mmap: %s\n", path, strerror(errno));
            close(fd);
            return 2;
        }
    }
    close(fd);
    if (snapshot_is_snapshot(p, size)) return check_snapshot(path, p, size, print, fix);
    aof_scan_result res;
    aof_scan(p, size, last, print ? print_record : NULL, NULL, &res);
    if (p) munmap((void *)p, size);

    if (res.status == AOF_SCAN_OK) {
        if (res.padding)
            printf("%s: OK, %zu records, %zu bytes, then %zu bytes of preallocated zeros\n", path, res.records,
                   res.good_end, res.padding);
        else
            printf("%s: OK, %zu records, %zu bytes\n", path, res.records, size);
        return 0;
    }
    printf("%s: %s at offset %zu: %s; %zu good records in the first %zu bytes, %zu bytes after\n", path,
           res.status == AOF_SCAN_TORN ? "torn tail" : "bad record", res.bad_off, res.why, res.records,
           res.good_end, size - res.good_end);
    if (!fix) {
        printf("Run rill-check-log --fix %s to truncate it at offset %zu\n", path, res.good_end);
        return 1;
    }
    if (truncate(path, (off_t)res.good_end) < 0) {
        fprintf(stderr, "%s: truncate: %s\n", path, strerror(errno));
        return 2;
    }
    printf("%s: truncated at offset %zu, %zu bytes removed\n", path, res.good_end, size - res.good_end);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "Usage: rill-check-log [--print] [--fix] [--not-last] <segment> ...\n"
            "  --print     list every good record (offset, db, group, arguments)\n"
            "  --fix       truncate a damaged segment at its first bad record\n"
            "  --not-last  the segment is not the newest: a cut-short tail is damage, not a torn write\n");
}

int main(int argc, char **argv)
{
    int print = 0, fix = 0, last = 1, rc = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--print")) print = 1;
        else if (!strcmp(argv[i], "--fix")) fix = 1;
        else if (!strcmp(argv[i], "--not-last")) last = 0;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            usage();
            return 2;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) continue;
        files++;
        int r = check(argv[i], print, fix, last);
        if (r > rc) rc = r;
    }
    if (!files) {
        usage();
        return 2;
    }
    return rc;
}
