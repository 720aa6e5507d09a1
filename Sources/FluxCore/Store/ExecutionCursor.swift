import Foundation

/// A `cursor` passed to ``ExecutionStore/listExecutions(_:)`` that the store did not issue.
///
/// ```swift
/// do {
///     _ = try await store.listExecutions(ExecutionQuery(cursor: "garbage"))
/// } catch let error as InvalidCursorError {
///     print(error)   // the cursor "garbage" is not one this store issued; ...
/// }
/// ```
public struct InvalidCursorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The cursor as received (at most 64 characters of it).
    public let cursor: String

    public init(cursor: String) {
        self.cursor = cursor.count > 64 ? String(cursor.prefix(64)) + "…" : cursor
    }

    public var description: String {
        "the cursor \"\(cursor)\" is not one this store issued; pass the nextCursor of a previous page, or no cursor for the first page"
    }
}

/// The position after the last execution of a page: its `(created_at, id)`, the listing's sort key.
///
/// Encoded as URL-safe base64 of `1:<bits of created_at in hex>:<id>`; the bit pattern keeps the time
/// exact, so paging never skips or repeats an execution created in the same instant as another. Every
/// store (SQLite, PostgreSQL) issues and reads the same cursors.
///
/// ```swift
/// let cursor = ExecutionCursor(createdAt: last.createdAt.timeIntervalSince1970, id: last.id).encoded
/// let after = try ExecutionCursor(decoding: cursor)   // after.id == last.id
/// ```
public struct ExecutionCursor: Equatable, Sendable {
    /// `created_at` of the last execution of the page, in Unix seconds as the store keeps it.
    public var createdAt: Double
    public var id: String

    /// The text handed out as `nextCursor`.
    public var encoded: String {
        let text = "1:\(String(createdAt.bitPattern, radix: 16)):\(id)"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init(createdAt: Double, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// Reads a cursor this type encoded; anything else is an ``InvalidCursorError``.
    public init(decoding cursor: String) throws(InvalidCursorError) {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard cursor.count <= 1024,
              let data = Data(base64Encoded: base64),
              let text = String(data: data, encoding: .utf8)
        else { throw InvalidCursorError(cursor: cursor) }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "1",
              let bits = UInt64(parts[1], radix: 16),
              !parts[2].isEmpty
        else { throw InvalidCursorError(cursor: cursor) }
        let createdAt = Double(bitPattern: bits)
        guard createdAt.isFinite else { throw InvalidCursorError(cursor: cursor) }
        self.createdAt = createdAt
        self.id = String(parts[2])
    }
}

extension ExecutionQuery {
    /// `limit` clamped to 1...1000, as every store applies it.
    public var clampedLimit: Int { min(max(limit, 1), 1000) }
}

extension ExecutionPage {
    /// A page from up to `limit + 1` rows fetched newest first: one row more than `limit` means there is
    /// a next page, whose cursor points after the page's last execution.
    ///
    /// ```swift
    /// let page = ExecutionPage(fetched: rowsNewestFirst, limit: query.clampedLimit)
    /// ```
    public init(fetched: [ExecutionRecord], limit: Int) {
        guard fetched.count > limit else {
            self.init(executions: fetched, nextCursor: nil)
            return
        }
        let page = Array(fetched.prefix(limit))
        self.init(executions: page, nextCursor: page.last.map {
            ExecutionCursor(createdAt: $0.createdAt.storeSeconds, id: $0.id).encoded
        })
    }
}
