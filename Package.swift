// swift-tools-version:6.0
import PackageDescription

// Layering (enforced by target dependencies):
//   OpenSpecFormat  pure parsing of the OpenSpec folder format, no I/O policy
//   OpenSpecGit     the only module that imports libgit2 (CLibgit2, CGitSupport)
//   OpenSpecStore   the only module that speaks SQL (GRDB, CSQLiteSupport)
//   OpenSpecSync    the reconciler and everything that drives it
//   OpenSpecServer  the HTTP API (tRPC wire format) on Hummingbird
//   openspec-sync   thin ArgumentParser executable
// libgit2 and the libraries it needs, linked from their static archives
// (libgit2-dev and its dependencies install them). The shared libgit2 drags
// in twenty libraries whose loading and symbol binding cost 6-8 ms before
// `main` in every process, which is most of what a git hook adds to a
// commit. GSSAPI ships only as a shared library, so it stays one.
// `--wrap` sends libgit2's call to mbedTLS's CA file loader to
// CGitSupport's `__wrap_mbedtls_x509_crt_parse_file`.
let libgit2Archives = ["git2", "mbedtls", "mbedx509", "mbedcrypto", "http_parser", "ssh2", "crypto", "pcre2-8", "z"]
let libgit2LinkerFlags: [String] =
    ["--wrap=mbedtls_x509_crt_parse_file", "--start-group"]
    .flatMap { ["-Xlinker", $0] }
    + libgit2Archives.flatMap { ["-Xlinker", "-l:lib\($0).a"] }
    + ["--end-group", "-l:libgssapi_krb5.so.2", "-lrt"].flatMap { ["-Xlinker", $0] }

// The release executable starts at a fixed address (no PIE) and exports no
// symbols: a position-independent one spends 2-3 ms of every start applying
// 135,000 relocations to the Swift metadata (500 copy-on-write page faults),
// and looking symbols up among 29,000 exported names. Libraries, stack and
// heap are still placed at random. See docs/architecture.md.
let releaseExecutableFlags = ["-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic"]

let package = Package(
    name: "openspec-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "openspec-sync", targets: ["openspec-sync"]),
        .library(name: "OpenSpecSync", targets: ["OpenSpecSync"]),
        .library(name: "OpenSpecServer", targets: ["OpenSpecServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Both already dependencies of Hummingbird: NIOThreadPool runs the blocking engine
        // calls; HTTPTypes names the headers Hummingbird does not re-export.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // Also a dependency of Hummingbird: the server's own channel handlers
        // (read timeout, connections per client) see requests as HTTPTypes parts.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.0"),
    ],
    targets: [
        // Headers only: CGitSupport links the library (statically, below).
        .systemLibrary(
            name: "CLibgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // Links libgit2 statically and skips its start-up parse of the CA bundle (see the source).
        .target(name: "CGitSupport", linkerSettings: [.unsafeFlags(libgit2LinkerFlags)]),
        // sqlite3_db_config is variadic, so Swift cannot call it.
        .target(name: "CSQLiteSupport", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(name: "OpenSpecFormat"),
        .target(name: "OpenSpecGit", dependencies: ["CLibgit2", "CGitSupport"]),
        .target(
            name: "OpenSpecStore",
            dependencies: ["CSQLiteSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "OpenSpecSync",
            dependencies: [
                "OpenSpecFormat", "OpenSpecGit", "OpenSpecStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "OpenSpecServer",
            dependencies: [
                "OpenSpecSync", "OpenSpecStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "openspec-sync",
            dependencies: [
                "OpenSpecSync", "OpenSpecServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: [.unsafeFlags(releaseExecutableFlags, .when(configuration: .release))]
        ),
        .target(
            name: "OpenSpecSyncTestSupport",
            dependencies: ["OpenSpecSync"],
            path: "Tests/OpenSpecSyncTestSupport"
        ),
        .testTarget(name: "OpenSpecFormatTests", dependencies: ["OpenSpecFormat"]),
        .testTarget(name: "OpenSpecGitTests", dependencies: ["OpenSpecGit", "OpenSpecSyncTestSupport"]),
        .testTarget(name: "OpenSpecStoreTests", dependencies: ["OpenSpecStore"]),
        .testTarget(name: "OpenSpecSyncTests", dependencies: ["OpenSpecSync", "OpenSpecSyncTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["OpenSpecSyncTestSupport"]),
        .testTarget(name: "APITests", dependencies: ["OpenSpecSyncTestSupport"]),
    ]
)
