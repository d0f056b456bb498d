import OpenSpecStore

/// How one reconcile should run.
public struct ReconcileOptions: Sendable {
    /// Compare everything instead of following git's diff.
    public var full: Bool
    /// What set the run off: a `SyncTrigger` value or a hook name.
    public var trigger: SyncTrigger
    /// Files larger than this are recorded with an error, not read.
    public var maxFileBytes: Int
    /// Change folders to read and compare whatever the stat cache says (the
    /// scan loop's re-check); each is marked verified when found in step.
    public var recheck: [String]
    /// Only what the commits since the last sync changed, without walking the
    /// working tree: what a git hook needs.
    public var committedOnly = false
    /// Give up before touching anything (throwing `SyncError.tooMuchWork`)
    /// when the commits since the last sync touched more paths than this, or
    /// everything must be compared: a hook then hands the work to the background.
    public var workLimit: Int?

    public init(full: Bool = false, trigger: SyncTrigger = .manual,
                maxFileBytes: Int = 8 << 20, recheck: [String] = []) {
        self.full = full; self.trigger = trigger; self.maxFileBytes = maxFileBytes
        self.recheck = recheck
    }
}
