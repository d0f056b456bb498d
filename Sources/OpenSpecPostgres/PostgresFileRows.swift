import Foundation
import OpenSpecStore

/// Writes a change's file rows: one statement per row, or (a first import)
/// many rows to a statement, which saves a round trip per file.
enum PostgresFileRows {
    /// Rows to a statement: 7 arguments each, well under PostgreSQL's 65,535.
    static let batchSize = 500

    static func upsert(_ link: PostgresLink, specId: String, _ files: [FileValues], batched: Bool) throws {
        let size = batched ? batchSize : 1
        var start = 0
        while start < files.count {
            let batch = files[start..<min(start + size, files.count)]
            let rows = Array(repeating: "(?,?,?,?,?,?,?)", count: batch.count).joined(separator: ",")
            var values: [PGValue] = []
            values.reserveCapacity(batch.count * 7)
            for file in batch {
                values += [.text(specId), .text(file.path), .text(file.blobId), .int(file.size), .bool(file.isUTF8),
                           .bytes(file.content), .text(file.syncError)]
            }
            try link.execute("""
                INSERT INTO specFiles (specId, path, blobId, size, isUTF8, content, syncError) VALUES \(rows)
                ON CONFLICT (specId, path) DO UPDATE SET blobId = excluded.blobId, size = excluded.size,
                  isUTF8 = excluded.isUTF8, content = excluded.content, syncError = excluded.syncError
                """, values)
            start += size
        }
    }
}
