// openspec-sync never talks to a remote, yet Debian's libgit2 (built with
// mbedTLS) parses the whole system CA bundle inside git_libgit2_init: about
// 200 certificates decoded from base64, 6-8 ms of every process that opens a
// repository, which is most of what a git hook may add to a commit.
//
// libgit2 is linked statically with `--wrap=mbedtls_x509_crt_parse_file`
// (Package.swift), so its call to mbedTLS's file loader comes here instead,
// and the bundle is never read. TLS is never used here; if it ever were,
// certificate checks would fail closed (an empty trust store), never open.
// A libgit2 built with OpenSSL or another backend never calls it, and
// nothing changes.
#include <stddef.h>
#include <stdatomic.h>

static atomic_int skips;

struct mbedtls_x509_crt;

int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path) {
    (void)chain;
    (void)path;
    atomic_fetch_add(&skips, 1);
    return 0;  // "parsed, nothing invalid": libgit2 keeps an empty chain
}

int openspec_git_ca_bundle_skips(void) {
    return atomic_load(&skips);
}
