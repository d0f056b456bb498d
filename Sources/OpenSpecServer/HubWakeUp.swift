import Synchronization

/// When the event hub looks at the history. A store that signals new rows
/// (`SyncStore.historySignals`: PostgreSQL's NOTIFY, from any host) wakes it
/// at once, and a slow poll stays as a safety net; without signals it looks
/// every poll interval.
final class HubWakeUp: Sendable {
    private struct State {
        var signalled = false
        /// When the next look is due without a signal.
        var due: ContinuousClock.Instant
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Task<Void, Never>?
        var follower: Task<Void, Never>?
    }

    private let interval: Duration
    private let hasSignals: Bool
    private let state: Mutex<State>

    init(signals: AsyncStream<Int64>?, poll: Duration, fallback: Duration) {
        hasSignals = signals != nil
        interval = hasSignals ? fallback : poll
        state = Mutex(State(due: .now + interval))
        guard let signals else { return }
        let follower = Task { [weak self] in
            for await _ in signals { self?.wakeNow() }
        }
        state.withLock { $0.follower = follower }
    }

    /// Waits for a signal, for the next look's time or for `limit`,
    /// whichever comes first; true when the hub should look.
    func wait(atMost limit: Duration) async -> Bool {
        let remaining = state.withLock { $0.signalled ? .zero : $0.due - .now }
        if remaining > .zero {
            let duration = min(limit, remaining)
            // Without signals nothing ends a wait early: a plain sleep will do.
            if hasSignals { await sleep(duration) } else { try? await Task.sleep(for: duration) }
        }
        return state.withLock { state in
            let now = ContinuousClock.now
            guard state.signalled || now >= state.due else { return false }
            state.signalled = false
            state.due = now + interval
            return true
        }
    }

    /// Stops following the signals (which ends them).
    func stop() {
        state.withLock { $0.follower }?.cancel()
    }

    /// Ends the current or next wait at once, as a signal does.
    func wakeNow() {
        let (waiter, timer) = state.withLock { state in
            state.signalled = true
            defer { (state.waiter, state.timer) = (nil, nil) }
            return (state.waiter, state.timer)
        }
        timer?.cancel()
        waiter?.resume()
    }

    /// Until `duration` has passed or a signal comes.
    private func sleep(_ duration: Duration) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.signalled { return true }
                state.waiter = waiter
                state.timer = Task { [weak self] in
                    try? await Task.sleep(for: duration)
                    self?.timeUp()
                }
                return false
            }
            if now { waiter.resume() }
        }
    }

    private func timeUp() {
        guard !Task.isCancelled else { return }
        let waiter = state.withLock { state in
            defer { (state.waiter, state.timer) = (nil, nil) }
            return state.waiter
        }
        waiter?.resume()
    }
}
