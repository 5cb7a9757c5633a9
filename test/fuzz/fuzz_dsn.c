/* --replica DSNs and --max-lag values (replica.c), --max-load and
 * --critical-load specifications (throttle.c). */
#include "fuzz.h"
#include "replica.h"
#include "throttle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	char err[160];
	(void)replica_dsn_check(s, err, sizeof err);
	char *copy = strdup(s);
	size_t before = strlen(copy);
	replica_dsn_scrub(copy);
	if (strlen(copy) != before)
		abort(); /* scrubbing overwrites in place */
	free(copy);
	double lag;
	if (replica_parse_lag(s, &lag) == 0 && !(lag >= 0))
		abort();
	(void)throttle_parse(s, err, sizeof err);
	free(s);
	return 0;
}
