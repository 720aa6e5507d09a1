import Foundation
import Testing
@testable import FluxCore

/// Execution ids are 32 lowercase hex digits: 12 of Unix milliseconds, then 20 of random bits. The SQLite store
/// relies on the time order for cheap inserts (each new execution lands next to the previous one in the B-trees
/// keyed by id); nothing relies on it for correctness.
struct ExecutionIDTests {
    static let hexDigits = Set("0123456789abcdef")

    @Test func idsAre32LowercaseHexDigitsAndDistinct() {
        let ids = (0..<10_000).map { _ in ExecutionRecord.newID() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.allSatisfy { Self.hexDigits.contains($0) }, "\(id)")
        }
    }

    @Test func theFirstTwelveDigitsAreTheCreationTimeInMilliseconds() throws {
        let before = UInt64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let id = ExecutionRecord.newID()
        let after = UInt64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let stamp = try #require(UInt64(id.prefix(12), radix: 16))
        #expect(before...after ~= stamp, "\(id): \(stamp) not in \(before)...\(after)")

        #expect(ExecutionRecord.newID(milliseconds: 0x0123_4567_89ab).hasPrefix("0123456789ab"))
        #expect(ExecutionRecord.newID(milliseconds: 0).hasPrefix("000000000000"))
        #expect(ExecutionRecord.newID(milliseconds: 0xFFFF_FFFF_FFFF).hasPrefix("ffffffffffff"))
    }

    @Test func idsOfLaterMillisecondsSortAfterEarlierOnes() {
        // As text, which is how both stores compare them.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let ms = UInt64.random(in: 0..<(1 << 48) - 1, using: &generator)
            let earlier = ExecutionRecord.newID(milliseconds: ms)
            let later = ExecutionRecord.newID(milliseconds: ms + 1)
            #expect(earlier < later, "\(earlier) !< \(later)")
        }
    }

    @Test func idsMadeOverTimeComeOutInOrder() async throws {
        var ids: [String] = []
        for _ in 0..<20 {
            ids.append(ExecutionRecord.newID())
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(ids == ids.sorted())
    }

    @Test func idsOfOneMillisecondDifferInTheirRandomBits() {
        let ids = (0..<10_000).map { _ in ExecutionRecord.newID(milliseconds: 1_780_000_000_000) }
        #expect(Set(ids).count == ids.count)
        // 80 random bits: digits 13 to 16 vary too, not only the last 16.
        #expect(Set(ids.map { $0.dropFirst(12).prefix(4) }).count > 1_000)
        // Event ids take the last 16 digits, which are random whatever the id's age.
        let prefixes = ids.map(ExecutionRecord.eventIDPrefix(executionID:))
        #expect(Set(prefixes).count == ids.count)
        #expect(prefixes[0] == ids[0].suffix(16) + "-")
    }
}
