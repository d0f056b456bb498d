import Foundation
import OpenSpecSync

/// The absolute path of this executable, which installed hooks call.
/// Linux names it in /proc/self/exe (links resolved); elsewhere Foundation's
/// answer, else argv[0] made absolute.
func executablePath() -> String {
    #if os(Linux)
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
    #else
    if let path = Bundle.main.executablePath { return path }
    #endif
    return Configuration.absolute(CommandLine.arguments[0])
}
