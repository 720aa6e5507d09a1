import Foundation

extension Date {
    /// How the stores write times: Unix seconds in a Double (SQLite `REAL`, PostgreSQL `DOUBLE PRECISION`).
    ///
    /// Going through Unix seconds moves an arbitrary `Date` by up to about 0.2 µs (a Date counts from
    /// 2001, so the conversion rounds). Records the store returns therefore carry ``asStored`` dates,
    /// which equal what a later read gives.
    public var storeSeconds: Double { timeIntervalSince1970 }

    /// The date exactly as reading it back from the store will give it.
    public var asStored: Date { Date(timeIntervalSince1970: storeSeconds) }
}
