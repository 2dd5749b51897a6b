/* log.h — leveled log lines with time and level, on stderr or the logfile. */
#ifndef RILL_LOG_H
#define RILL_LOG_H

#include "config.h"

/* log_open points logging at path ("" or NULL: stderr); 0 or -1. */
int log_open(const char *path);
void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LL_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LL_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LL_WARNING, __VA_ARGS__)

#endif
