import Foundation
import GRDB
import GRDBSQLite

/// A text column's value kept as the UTF-8 bytes of a file: bound to SQLite
/// as they are, so a large file is not copied into a String to be stored.
public struct ColumnText: Sendable, Equatable {
    public let utf8: [UInt8]

    /// `utf8` must be valid UTF-8 (the caller has checked it): SQLite stores TEXT as given.
    public init(utf8: [UInt8]) { self.utf8 = utf8 }

    public init(_ string: String) { self.utf8 = Array(string.utf8) }

    /// Runs `statement` with `arguments`, whose places named in `texts` hold
    /// nil: those are bound from the bytes through SQLite's C API, without a
    /// copy (GRDB would take a String). A nil text stays NULL.
    static func execute(_ statement: Statement, arguments: StatementArguments,
                        texts: [(index: CInt, text: ColumnText?)]) throws {
        try statement.setArguments(arguments)
        // Rebound without the texts afterwards: the statement is cached, and
        // must not keep pointers to bytes that are gone.
        defer { try? statement.setArguments(arguments) }
        try bind(texts[...], to: statement)
    }

    private static func bind(_ texts: ArraySlice<(index: CInt, text: ColumnText?)>, to statement: Statement) throws {
        guard let (index, text) = texts.first else { return try statement.execute() }
        guard let text else { return try bind(texts.dropFirst(), to: statement) }
        try text.utf8.withUnsafeBufferPointer { buffer in
            let code: CInt
            // Up to a NUL byte, as a String argument is bound (a C string).
            var length = buffer.count
            if let base = buffer.baseAddress, let nul = memchr(base, 0, buffer.count) {
                length = UnsafeRawPointer(nul) - UnsafeRawPointer(base)
            }
            if let base = buffer.baseAddress, length > 0 {
                // A nil destructor is SQLITE_STATIC: the bytes outlive the statement's run.
                code = base.withMemoryRebound(to: CChar.self, capacity: length) {
                    sqlite3_bind_text(statement.sqliteStatement, index, $0, CInt(length), nil)
                }
            } else {
                code = sqlite3_bind_text(statement.sqliteStatement, index, "", 0, nil)
            }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot bind a text column", sql: statement.sql) }
            try bind(texts.dropFirst(), to: statement)
        }
    }
}
