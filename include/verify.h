/* verify: compare shadow and table before the swap (--no-verify to skip). */
#ifndef OSCAR_VERIFY_H
#define OSCAR_VERIFY_H

#include "migration.h"

/* 0 when the shadow holds exactly the table's rows (after repairing chunks
 * that differed), else an EXIT_* status with the differing keys logged. */
int verify_shadow(struct migration *m);

#endif
