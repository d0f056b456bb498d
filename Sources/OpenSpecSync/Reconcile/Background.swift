import Foundation

/// A value computed on another core; `value()` waits for it.
final class Background<T>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: T?

    init(_ work: @escaping @Sendable () -> T) {
        done.enter()
        DispatchQueue.global().async { [self] in
            result = work()
            done.leave()
        }
    }

    func value() -> T {
        done.wait()
        return result!
    }
}
