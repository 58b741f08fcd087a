/* The store's handle, shared by store.c (open, lock, read) and append.c (the one writer). */
#ifndef CEREMONY_EVIDENCE_STORE_INTERNAL_H
#define CEREMONY_EVIDENCE_STORE_INTERNAL_H

#include <git2.h>

struct evidence_store {
	git_repository *repo;
	char *path;
	int lock_fd; /* -1 when this handle does not hold the writers' lock */
	int durable; /* 1 (default): evidence_append syncs; 0 only for bulk generation (bench/) */
};

#endif
