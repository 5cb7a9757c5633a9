/* preflight: the checks that refuse a change before anything is created. */
#ifndef OSCAR_PREFLIGHT_H
#define OSCAR_PREFLIGHT_H

#include "migration.h"

/* Each returns 0 or an EXIT_* status after reporting. */

int preflight_table(struct migration *m);
int preflight_shadow(struct migration *m);

#endif
