import Foundation

/// The procedures the server answers, named for people: the `serve` help
/// text is made from the procedure table, so it cannot fall behind it.
public enum ProcedureCatalog {
    /// "sync.getStatus, …, sync.subscribe (Server-Sent Events), …, and for
    /// the dashboard specs.search, …": every procedure, in table order.
    public static var summary: String {
        let core = (Procedures.core + Procedures.streams).map(described).joined(separator: ", ")
        let dashboard = Procedures.dashboard.map(described).joined(separator: ", ")
        return core + ", and for the dashboard " + dashboard
    }

    /// Every procedure's name, for checks.
    public static var names: [String] {
        (Procedures.core + Procedures.streams + Procedures.dashboard).map(\.name)
    }

    private static func described(_ procedure: Procedure) -> String {
        procedure.kind == .subscription ? procedure.name + " (Server-Sent Events)" : procedure.name
    }
}
