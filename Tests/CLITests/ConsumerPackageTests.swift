import Foundation
import OpenSpecSyncTestSupport
import Testing

/// Another SwiftPM package can depend on this one by version and use its
/// libraries: no unsafe build flags, libgit2 found through pkg-config.
@Suite("Used as a package dependency")
struct ConsumerPackageTests {
    /// The root of this repository (the folder holding Package.swift).
    private static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    private static let version = "99.0.0"

    /// A scratch package depending on the `OpenSpecGit` product of a tagged
    /// clone of this repository's committed HEAD, by `file://` URL and `from:`.
    private static let manifest = """
        // swift-tools-version:6.0
        import PackageDescription

        let package = Package(
            name: "consumer",
            dependencies: [.package(url: "file://CLONE", from: "\(version)")],
            targets: [
                .executableTarget(
                    name: "consumer",
                    dependencies: [.product(name: "OpenSpecGit", package: "openspec-sync")]
                )
            ]
        )
        """

    private static let main = """
        import OpenSpecGit

        let repository = try Repository(path: CommandLine.arguments[1])
        print(try repository.headCommit()?.hex ?? "no commit")
        """

    @Test("a package depending on a tagged clone by url and from: resolves, builds and calls the git layer")
    func consumerBuildsAndRuns() throws {
        let scratch = try makeTemporaryDirectory(prefix: "consumer")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let clone = scratch + "/openspec-sync"
        try git(["clone", "-q", "--no-hardlinks", Self.repositoryRoot, clone])
        try git(["-C", clone, "tag", "v\(Self.version)"])

        let package = scratch + "/consumer"
        try FileManager.default.createDirectory(atPath: package + "/Sources/consumer", withIntermediateDirectories: true)
        try Self.manifest.replacingOccurrences(of: "CLONE", with: clone)
            .write(toFile: package + "/Package.swift", atomically: true, encoding: .utf8)
        try Self.main.write(toFile: package + "/Sources/consumer/main.swift", atomically: true, encoding: .utf8)
        try writeMirrors(into: package, links: scratch + "/mirrors")

        // SwiftPM's caches and configuration in the scratch folder: nothing shared.
        let build = try runProcess("swift", [
            "build", "--package-path", package, "--scratch-path", scratch + "/build",
            "--cache-path", scratch + "/cache", "--config-path", scratch + "/config",
            "--security-path", scratch + "/security", "--disable-dependency-cache",
        ], environment: gitTestEnvironment())
        try #require(build.status == 0, "swift build of the consumer package failed:\n\(build.stdout)\n\(build.stderr)")

        let repo = try TempRepo()
        try repo.write("openspec/project.md", "# Project\n")
        let head = try repo.commitAll("first")
        let run = try runProcess(scratch + "/build/debug/consumer", [repo.path])
        #expect(run.status == 0, "the consumer failed: \(run.stderr)")
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == head)
    }

    /// Points the manifest's dependencies at the clones this repository's own
    /// build already fetched, so the consumer resolves without a network. A
    /// mirror's last path component becomes the package's identity, so each is
    /// reached through a link named as the original URL ends.
    private func writeMirrors(into package: String, links: String) throws {
        let fetched = Self.repositoryRoot + "/.build/repositories"
        let clones = (try? FileManager.default.contentsOfDirectory(atPath: fetched)) ?? []
        try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        var mirrors: [[String: String]] = []
        for clone in clones.sorted() {
            let origin = try runProcess("/usr/bin/git", ["-C", fetched + "/" + clone, "config", "remote.origin.url"])
            let original = origin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard origin.status == 0, !original.isEmpty else { continue }
            var name = URL(string: original)?.lastPathComponent ?? clone
            if name.hasSuffix(".git") { name.removeLast(4) }
            let link = links + "/" + name
            guard !FileManager.default.fileExists(atPath: link) else { continue }
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fetched + "/" + clone)
            mirrors.append(["original": original, "mirror": "file://" + link])
        }
        let configuration = package + "/.swiftpm/configuration"
        try FileManager.default.createDirectory(atPath: configuration, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: ["version": 1, "object": mirrors] as [String: Any])
        try json.write(to: URL(fileURLWithPath: configuration + "/mirrors.json"))
    }

    private func git(_ arguments: [String]) throws {
        let result = try runProcess("/usr/bin/git", arguments, environment: gitTestEnvironment())
        try #require(result.status == 0, "git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
    }
}
