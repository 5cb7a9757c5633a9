/* instant: the ALTER applied by the server with ALGORITHM=INSTANT. */
#ifndef OSCAR_INSTANT_H
#define OSCAR_INSTANT_H

#include "migration.h"

int instant_apply(struct migration *m);

#endif
