#ifndef OPENSPEC_SYNC_CGITSUPPORT_H
#define OPENSPEC_SYNC_CGITSUPPORT_H

/// How many times libgit2 asked for a CA bundle to be parsed and was told
/// there was nothing to load (see CGitSupport.c). Tests read it.
int openspec_git_ca_bundle_skips(void);

#endif
