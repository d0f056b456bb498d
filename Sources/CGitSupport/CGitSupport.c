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

// Blob ids of files read from the working tree. libgit2's git_odb_hash uses
// SHA-1 with collision detection (sha1dc), which costs three times plain
// SHA-1 and was a twentieth of a full import. These ids are only compared
// with ids of the same files, so OpenSSL's SHA-1 (hardware-accelerated
// where the CPU has it), from the libcrypto already linked for libssh2,
// does the job. A file crafted to collide would give a different id from
// git's, and be read again; nothing else changes.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>

void openspec_git_hash_blob(const void *bytes, size_t count, unsigned char out[20]) {
    char header[32];
    int length = snprintf(header, sizeof header, "blob %zu", count);
    SHA_CTX context;
    SHA1_Init(&context);
    SHA1_Update(&context, header, (size_t)length + 1);  // with its NUL
    SHA1_Update(&context, bytes, count);
    SHA1_Final(out, &context);
}
