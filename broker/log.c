/* log.c — leveled log lines: "pid:M 23 Nov 2026 19:40:01.123 * message".
 * The format follows Redis's so existing log tooling reads it; the level
 * mark is . (debug) - (verbose) * (notice) # (warning). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static FILE *log_fp;
static int log_level = LL_NOTICE;

int log_open(const char *path)
{
    if (log_fp && log_fp != stderr) fclose(log_fp);
    log_fp = NULL;
    if (!path || !*path) return 0;
    log_fp = fopen(path, "a");
    return log_fp ? 0 : -1;
}

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

void log_msg(int level, const char *fmt, ...)
{
    if (level < log_level || level >= LL_NOTHING) return;
    static const char marks[] = ".-*#";
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char ts[64];
    size_t off = strftime(ts, sizeof ts, "%d %b %Y %H:%M:%S.", &tm);
    snprintf(ts + off, sizeof ts - off, "%03d", (int)(tv.tv_usec / 1000));
    FILE *fp = log_fp ? log_fp : stderr;
    fprintf(fp, "%d:M %s %c %s\n", (int)getpid(), ts, marks[level], msg);
    fflush(fp);
}
