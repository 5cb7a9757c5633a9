/* Option-file parsing (optfile.c), then every key of [oscar] through the
 * same checks as on the command line. Inputs that include other files are
 * left out: they would read whatever the input names. */
#include "fuzz.h"
#include "optfile.h"

static int count(void *ctx, const char *file, int line, const char *key, const char *value)
{
	(void)file;
	(void)line;
	(void)value; /* may hold any byte the escapes make, '\n' included */
	if (!*key || strchr(key, '_') || strchr(key, '\n'))
		abort(); /* keys are never empty, '_' became '-', one line each */
	(*(int *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "!include", 8))
		return 0;
	int n = 0;
	char err[512];
	err[0] = '\0';
	int rc = optfile_parse((const char *)data, size, "fuzz.cnf", "oscar", count, &n, err, sizeof err);
	if (rc == -1 && !err[0])
		abort(); /* an error always says why */
	return 0;
}
