/* shadow: the shadow table, created with the new shape, and the column map. */
#ifndef OSCAR_SHADOW_H
#define OSCAR_SHADOW_H

#include "migration.h"

/* Each returns 0 or an EXIT_* status after reporting. */

int shadow_create(struct migration *m);
int shadow_map(struct migration *m);
int shadow_sync_auto_increment(struct migration *m);

#endif
