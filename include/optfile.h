/* optfile: MariaDB-style option files (groups, key=value, !include), read for
 * oscar's own group so every oscar option can live there. */
#ifndef OSCAR_OPTFILE_H
#define OSCAR_OPTFILE_H

#include <stddef.h>

/* Called for each key of the wanted group: key with '_' turned into '-', value
 * unquoted and unescaped (NULL for a key without '='). A non-zero return stops
 * the reading and is returned. */
typedef int (*optfile_cb)(void *ctx, const char *file, int line, const char *key, const char *value);

/* Reads one file (following !include and !includedir). Returns 0, the
 * callback's non-zero status, or -1 with a one-line reason in err (a file
 * that cannot be read, a malformed line). */
int optfile_read(const char *path, const char *group, optfile_cb cb, void *ctx, char *err, size_t errlen);

/* The same for text already in memory (the fuzzer's entry point); includes
 * are followed from the file system. */
int optfile_parse(const char *text, size_t len, const char *path, const char *group, optfile_cb cb, void *ctx,
		  char *err, size_t errlen);

/* The files the client library reads when no --defaults-file is given, in
 * that order, NULL-terminated (static storage). */
const char *const *optfile_default_paths(void);

#endif
