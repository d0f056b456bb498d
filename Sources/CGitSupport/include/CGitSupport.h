#ifndef OPENSPEC_SYNC_CGITSUPPORT_H
#define OPENSPEC_SYNC_CGITSUPPORT_H

/// How many times libgit2 asked for a CA bundle to be parsed and was told
/// there was nothing to load: 0 unless the executable was linked to skip it
/// (see CGitSupport.c).
int openspec_git_ca_bundle_skips(void);

#endif
