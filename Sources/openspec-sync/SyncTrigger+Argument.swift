import ArgumentParser
import OpenSpecStore

/// `--trigger` takes the words the history stores (`manual`, `post-commit`, …);
/// ArgumentParser lists them in the help and refuses any other.
extension SyncTrigger: ExpressibleByArgument {}
