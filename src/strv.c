/* strv: NULL-terminated arrays of strings that own their elements. */
#include "strv.h"

#include <stdlib.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int strv_len(char **v)
{
	int n = 0;
	while (v && v[n])
		n++;
	return n;
}
