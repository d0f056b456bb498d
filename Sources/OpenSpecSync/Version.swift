/// The version of openspec-sync, the one `openspec-sync --version` prints.
public enum OpenSpecSyncVersion {
    public static let current = "0.1.0"
}
