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

char **strv_push(char **v, const char *s)
{
	int n = strv_len(v);
	v = xrealloc(v, sizeof *v * (size_t)(n + 2));
	v[n] = xstrdup(s);
	v[n + 1] = NULL;
	return v;
}
