/* galera: Galera cluster nodes, which oscar refuses for now. */
#ifndef OSCAR_GALERA_H
#define OSCAR_GALERA_H

struct migration;

/* Preflight: EXIT_REFUSED on a node of a Galera cluster (wsrep_on), else 0. */
int galera_preflight(struct migration *m);

#endif
