import Foundation

/// Polls until `condition` holds or `timeout` seconds pass; the condition's
/// last answer when time is up. (Disfavoured: an async test gets the
/// variant below, which does not hold a thread while it waits.)
@_disfavoredOverload
public func eventually(timeout seconds: Double, every interval: Duration = .milliseconds(50),
                       _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: timeInterval(interval))
    }
    return try condition()
}

/// `eventually` for async tests: sleeps without holding a thread.
public func eventually(timeout seconds: Double, every interval: Duration = .milliseconds(50),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

private func timeInterval(_ duration: Duration) -> TimeInterval {
    let (seconds, attoseconds) = duration.components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
}
