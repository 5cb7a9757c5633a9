/* Command-line parsing (options.c): the input, split at newlines, is argv.
 * Each run starts from the defaults. --defaults-file is left out (it would
 * read whatever file the input names); option files have their own harness.
 * Run with -close_fd_mask=3: every usage error prints a line. */
#include "fuzz.h"
#include "options.h"

static struct options defaults;
static int saved;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!saved) {
		defaults = opt;
		saved = 1;
		setenv("HOME", "/nonexistent", 1); /* no ~/.my.cnf of whoever runs it */
	}
	opt = defaults;
	char *text = fuzz_string(data, size);
	char *argv[65];
	int argc = 0;
	static char prog[] = "oscar";
	argv[argc++] = prog;
	for (char *p = text; p && argc < 64;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(p, "--defa", 6))
			argv[argc++] = p;
		p = nl ? nl + 1 : NULL;
	}
	argv[argc] = NULL;
	(void)options_parse(argc, argv);
	free(text);
	return 0;
}
