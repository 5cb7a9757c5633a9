/* The ALTER tokenizer and analysis (alter.c): any text, no crash, and a
 * rename of DROP FOREIGN KEY names that keeps the statement parseable. */
#include "alter.h"
#include "fuzz.h"

static const char *rename_all(const char *name, void *arg)
{
	(void)arg;
	return name[0] ? "_renamed" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct alter_info ai;
	if (alter_analyze(text, &ai) == 0) {
		for (int i = 0; i < ai.nrenames; i++)
			(void)alter_new_name(&ai, ai.rename_from[i]);
		(void)alter_dropped(&ai, "id");
		char *r = alter_shadow_text(text, &ai, rename_all, NULL);
		free(r);
	}
	/* a refusal leaves a message, always terminated */
	if (strnlen(ai.error, sizeof ai.error) == sizeof ai.error)
		abort();
	alter_info_free(&ai);
	free(text);
	return 0;
}
