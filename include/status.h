/* status: the --status and --send commands, run from another terminal against
 * a running oscar's control socket, or the job recorded on the server. */
#ifndef OSCAR_STATUS_H
#define OSCAR_STATUS_H

/* --send=CMD: prints the answer; 0 for "ok ...", 1 for an error answer or
 * when no oscar answers. */
int status_send(void);
/* --status: the running job's status through its socket, else the
 * unfinished job on the server, else that there is none; without --table,
 * every unfinished job on the server. Returns an EXIT_* status. */
int status_show(void);

#endif
