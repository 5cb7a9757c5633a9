/* hooks: to be implemented (--hook=EVENT:COMMAND, --hooks-dir=DIR). */
#include "hooks.h"

#include "migration.h"

int hooks_run(const char *event, const struct migration *m, const char *detail)
{
	(void)event;
	(void)m;
	(void)detail;
	return 0;
}
