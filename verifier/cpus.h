/* How many CPUs this process may run on: its affinity mask, not the machine's count, so that
 * `taskset -c 0 ceremony verify` really runs on one core, without threads that would only take
 * turns on it. */
#ifndef CEREMONY_VERIFIER_CPUS_H
#define CEREMONY_VERIFIER_CPUS_H

int cpus_usable(void);

#endif
