#ifndef OPENSPEC_SYNC_CGITSUPPORT_H
#define OPENSPEC_SYNC_CGITSUPPORT_H

/// How many times libgit2 asked for a CA bundle to be parsed and was told
/// there was nothing to load (see CGitSupport.c). Tests read it.
int openspec_git_ca_bundle_skips(void);

#include <stddef.h>

/// The git blob id of `count` bytes ("blob <count>\0" + bytes, SHA-1) into `out`.
void openspec_git_hash_blob(const void *bytes, size_t count, unsigned char out[20]);

#endif
