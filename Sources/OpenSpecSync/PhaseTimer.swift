import Foundation

/// Where a reconcile spends its time, printed to stderr when
/// `OPENSPEC_SYNC_TRACE=1`: for diagnosing a slow repository.
final class PhaseTimer {
    static var enabled: Bool { Trace.enabled }
    private var totals: [String: UInt64] = [:]
    private var order: [String] = []

    @inline(__always)
    func measure<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        guard Self.enabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            if totals[phase] == nil { order.append(phase) }
            totals[phase, default: 0] += DispatchTime.now().uptimeNanoseconds - start
        }
        return try body()
    }

    func report() {
        guard Self.enabled else { return }
        let lines = order.map { phase in
            let millis = String(format: "%9.2f ms", Double(totals[phase] ?? 0) / 1e6)
            return "  " + phase.padding(toLength: 24, withPad: " ", startingAt: 0) + millis
        }
        FileHandle.standardError.write(Data(("phases:\n" + lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// Milestones of one command, printed with `OPENSPEC_SYNC_TRACE=1`.
public enum Trace {
    /// Whether to print: `Settings.trace`, set once at start-up before any other thread runs.
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var last = DispatchTime.now().uptimeNanoseconds

    public static func mark(_ label: String) {
        guard PhaseTimer.enabled else { return }
        let previous = last  // first use starts the clock
        let now = DispatchTime.now().uptimeNanoseconds
        FileHandle.standardError.write(Data((String(format: "trace: %@ +%.2f ms", label, Double(now &- previous) / 1e6)
            + peakMemory() + "\n").utf8))
        last = now
    }

    /// The process's peak resident memory so far (`VmHWM`), where /proc has it.
    private static func peakMemory() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return "" }
        return ", peak " + line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " kB", with: " KB")
    }
}
