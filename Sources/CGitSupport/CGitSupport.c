// openspec-sync never talks to a remote, yet Debian's libgit2 (built with
// mbedTLS) parses the whole system CA bundle inside git_libgit2_init: about
// 200 certificates decoded from base64, several milliseconds of every
// process that opens a repository.
//
// This loader loads nothing. It is not called unless the executable is
// linked with `make release SKIP_CA_BUNDLE=1`, which defines mbedTLS's
// `mbedtls_x509_crt_parse_file` in the executable as this function
// (`--defsym`); the dynamic linker then binds libgit2's call to it rather
// than to libmbedx509's. TLS is never used here; if it ever were,
// certificate checks would fail closed (an empty trust store), never open.
// A libgit2 built with OpenSSL or another backend never calls it, and
// nothing changes. The library alone, as a dependency, never does this.
#include <stddef.h>
#include <stdatomic.h>

static atomic_int skips;

struct mbedtls_x509_crt;

int openspec_git_skip_ca_bundle_file(struct mbedtls_x509_crt *chain, const char *path) {
    (void)chain;
    (void)path;
    atomic_fetch_add(&skips, 1);
    return 0;  // "parsed, nothing invalid": libgit2 keeps an empty chain
}

int openspec_git_ca_bundle_skips(void) {
    return atomic_load(&skips);
}
