// swift-tools-version:6.0
import PackageDescription

// Layering (enforced by target dependencies):
//   OpenSpecFormat  pure parsing of the OpenSpec folder format, no I/O policy
//   OpenSpecGit     the only module that imports libgit2 (CLibgit2, CGitSupport)
//   OpenSpecStore   the store interface (SyncStore) and its SQLite kind (GRDB, CSQLiteSupport)
//   OpenSpecPostgres the PostgreSQL kind of the store (PostgresNIO); with OpenSpecStore, the only modules that speak SQL
//   OpenSpecSync    the reconciler and everything that drives it
//   OpenSpecServer  the HTTP API (tRPC wire format) on Hummingbird
//   openspec-sync   thin ArgumentParser executable
// libgit2 comes from the system as a shared library, found with pkg-config
// (libgit2-dev). Nothing here is specific to one linker or one build of
// libgit2, so the package can be a dependency of another. Start-up tricks
// for the hook path are opt-in at build time (`make release`), never here:
// see docs/internals.md, "Build and start-up".

let package = Package(
    name: "openspec-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "openspec-sync", targets: ["openspec-sync"]),
        .library(name: "OpenSpecGit", targets: ["OpenSpecGit"]),
        .library(name: "OpenSpecSync", targets: ["OpenSpecSync"]),
        .library(name: "OpenSpecServer", targets: ["OpenSpecServer"]),
        .library(name: "OpenSpecPostgres", targets: ["OpenSpecPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Both already dependencies of Hummingbird: NIOCore's types for the server's channel
        // handlers; HTTPTypes names the headers Hummingbird does not re-export.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // Also a dependency of Hummingbird: the server's own channel handlers
        // (read timeout, connections per client) see requests as HTTPTypes parts.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.0"),
        // Markdown to HTML for the dashboard's rendered documents (MarkdownRenderer makes it safe).
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // The PostgreSQL store (OPENSPEC_SYNC_DATABASE_URL), one database shared by several hosts.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        // The CA-bundle loader that `make release` may put in libgit2's way (see the source).
        .target(name: "CGitSupport"),
        // sqlite3_db_config is variadic, so Swift cannot call it.
        .target(name: "CSQLiteSupport", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(name: "OpenSpecFormat"),
        .target(name: "OpenSpecGit", dependencies: ["CLibgit2", "CGitSupport"]),
        .target(
            name: "OpenSpecStore",
            dependencies: ["CSQLiteSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "OpenSpecPostgres",
            dependencies: [
                "OpenSpecStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
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
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Ink", package: "Ink"),
            ],
            // The dashboard's page, served at / by WebAssets.
            resources: [.embedInCode("Web/index.html"), .embedInCode("Web/app.js"), .embedInCode("Web/app.css")]
        ),
        .executableTarget(
            name: "openspec-sync",
            dependencies: [
                "OpenSpecSync", "OpenSpecServer", "OpenSpecPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "OpenSpecSyncTestSupport",
            dependencies: ["OpenSpecSync"],
            path: "Tests/OpenSpecSyncTestSupport"
        ),
        .testTarget(name: "OpenSpecFormatTests", dependencies: ["OpenSpecFormat"]),
        .testTarget(name: "OpenSpecGitTests", dependencies: ["OpenSpecGit", "OpenSpecSyncTestSupport"]),
        .testTarget(name: "OpenSpecStoreTests", dependencies: ["OpenSpecStore", "OpenSpecPostgres", "OpenSpecSyncTestSupport"]),
        .testTarget(name: "OpenSpecSyncTests", dependencies: ["OpenSpecSync", "OpenSpecPostgres", "OpenSpecSyncTestSupport"]),
        // The binary is what most CLI tests run; its table of error messages is tested directly.
        .testTarget(name: "CLITests", dependencies: ["OpenSpecSyncTestSupport", "openspec-sync"]),
        .testTarget(
            name: "APITests",
            dependencies: [
                "OpenSpecSyncTestSupport", "OpenSpecServer", "OpenSpecPostgres",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
