import Foundation
import OpenSpecServer
import OpenSpecSync
import OpenSpecSyncTestSupport
import Testing

@Suite("Version and help texts")
struct HelpTests {
    private static let columns = 80

    private func output(_ arguments: [String]) throws -> String {
        let result = try CLI().run(arguments, environment: ["COLUMNS": String(Self.columns)])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result.stdout
    }

    @Test("--version prints the library's version")
    func versionIsPrinted() throws {
        let printed = try output(["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed == OpenSpecSyncVersion.current)
    }

    /// The first word of each line of a help's SUBCOMMANDS section.
    private func subcommands(of help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// A line holding one word inside a paragraph (text above it, and text at
    /// the same indentation below it): a sentence broken by a manual line break
    /// and re-wrapped. Headings (`OPTIONS:`) and options printed on a line of
    /// their own (`--flag`) are not words of a sentence.
    private func danglingWords(in help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        return lines.indices.dropFirst().dropLast().compactMap { index in
            let line = lines[index], above = lines[index - 1], below = lines[index + 1]
            let text = line.trimmingCharacters(in: .whitespaces)
            let isWord = !text.isEmpty && !text.contains(" ") && !text.hasSuffix(":") && !text.hasPrefix("-")
            let inParagraph = !above.trimmingCharacters(in: .whitespaces).isEmpty
                && !below.trimmingCharacters(in: .whitespaces).isEmpty
                && indentation(below) == indentation(line) && !below.trimmingCharacters(in: .whitespaces).hasPrefix("-")
            return isWord && inParagraph ? text : nil
        }
    }

    @Test("every command's --help reads cleanly at 80 columns: no dangling words, no long lines")
    func helpWrapsCleanly() throws {
        var commands: [[String]] = [[]]
        for name in subcommands(of: try output(["--help"])) where name != "help" {
            commands.append([name])
            for nested in subcommands(of: try output([name, "--help"])) where nested != "help" {
                commands.append([name, nested])
            }
        }
        #expect(commands.count > 10, "the subcommands were not found in the top-level help")
        for command in commands {
            let help = try output(command + ["--help"])
            let name = (["openspec-sync"] + command).joined(separator: " ")
            #expect(danglingWords(in: help).isEmpty, "\(name) --help has dangling words:\n\(help)")
            // ArgumentParser prints the usage line unwrapped.
            let long = help.components(separatedBy: "\n").filter { $0.count > Self.columns && !$0.hasPrefix("USAGE:") }
            #expect(long.isEmpty, "\(name) --help has lines over \(Self.columns) columns: \(long)")
        }
    }

    @Test("serve --help names every procedure the server answers")
    func serveHelpNamesEveryProcedure() throws {
        let help = try output(["serve", "--help"]).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let missing = ProcedureCatalog.names.filter { !help.contains($0) }
        #expect(ProcedureCatalog.names.count >= 19 && missing.isEmpty, "missing from serve --help: \(missing)")
        #expect(help.contains("sync.subscribe (Server-Sent Events)"))
    }
}
