/* Durations (--revert-window, --max-runtime) and cutover windows
 * (--cutover-window HH:MM-HH:MM). */
#include "cutover.h"
#include "fuzz.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	double d;
	if (options_parse_duration(s, &d) == 0 && !(d > 0 && d < 1e300))
		abort(); /* a duration accepted is positive and finite */
	int from, to;
	char err[160];
	if (cutover_window_parse(s, &from, &to, err, sizeof err) == 0) {
		if (from < 0 || from >= 24 * 60 || to < 0 || to >= 24 * 60)
			abort();
		(void)cutover_window_open(from, to, 0);
	}
	free(s);
	return 0;
}
