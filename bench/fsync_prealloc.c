/* fsync_prealloc.c — what preallocating the append log buys: the cost of
 * write(2 KB) + fdatasync appended to a growing file against the same
 * writes over a file already filled with zeros (broker/persist/aof.c,
 * "Preallocation under always"), and over blocks reserved with fallocate.
 *
 *   fsync_prealloc DIR [WRITES] [ROUNDS]
 *
 * Alternates the three modes ROUNDS times (machine noise hits them alike)
 * and prints each run's mean microseconds per write+fdatasync, then the
 * medians.  The file DIR/fsync_prealloc.tmp is removed afterwards.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { APPEND, ZEROED, FALLOCATED, MODES };
static const char *const names[MODES] = {"append", "over zeros", "fallocate"};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double run(const char *path, int mode, int writes)
{
    static char buf[2048], zeros[65536];
    memset(buf, 'x', sizeof buf);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) {
        perror(path);
        exit(2);
    }
    off_t size = (off_t)writes * sizeof buf;
    if (mode == ZEROED) {
        for (off_t o = 0; o < size; o += sizeof zeros)
            if (pwrite(fd, zeros, sizeof zeros, o) != (ssize_t)sizeof zeros) exit(2);
    } else if (mode == FALLOCATED && fallocate(fd, 0, 0, size) != 0) {
        perror("fallocate");
        exit(2);
    }
    fsync(fd);
    double t0 = now_s();
    for (int i = 0; i < writes; i++) {
        if (pwrite(fd, buf, sizeof buf, (off_t)i * sizeof buf) != (ssize_t)sizeof buf || fdatasync(fd) != 0) {
            perror("write/fdatasync");
            exit(2);
        }
    }
    double us = (now_s() - t0) / writes * 1e6;
    close(fd);
    unlink(path);
    return us;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsync_prealloc DIR [WRITES] [ROUNDS]\n");
        return 2;
    }
    int writes = argc > 2 ? atoi(argv[2]) : 3000, rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (writes < 1 || rounds < 1 || rounds > 100) return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync_prealloc.tmp", argv[1]);
    double r[MODES][100];
    for (int k = 0; k < rounds; k++)
        for (int m = 0; m < MODES; m++) {
            r[m][k] = run(path, m, writes);
            printf("round %d %-10s %7.1f us per write+fdatasync\n", k + 1, names[m], r[m][k]);
        }
    for (int m = 0; m < MODES; m++) {
        qsort(r[m], (size_t)rounds, sizeof r[m][0], cmp);
        printf("median %-10s %7.1f us\n", names[m], r[m][rounds / 2]);
    }
    return 0;
}
