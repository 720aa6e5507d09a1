import FluxCore
import Foundation
import Testing

/// Pauses inside `map` and `parallel` (issue #16, point 1): a map over [1, 2] whose body pauses showed only item 2's
/// pause, and a resume reached item 1. Every pending pause is listed and resumed by its id, in any order.
@Suite("Pauses in branches")
struct BranchPauseTests {
    static let perItem = """
        flux: 1
        name: per_item
        steps:
          - id: each
            map:
              over: [1, 2]
              step:
                pause: per_item
                output: "item ${{ item }}"
        output: "${{ steps.each.output }}"
        """

    static let twoReviews = """
        flux: 1
        name: two_reviews
        steps:
          - id: both
            parallel:
              - id: legal
                pause: legal_review
                output: "legal?"
              - id: finance
                pause: finance_review
                output: "finance?"
          - id: done
            set: "${{ steps.legal.output }} + ${{ steps.finance.output }}"
        output: "${{ steps.done.output }}"
        """

    static func json(_ result: FluxBinary.Result) throws -> JSONValue { try JSONValue(parsing: result.stdout) }

    @Test func eachItemOfAMapIsResumedByItsOwnPause() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        _ = try flux.run(["workflow", "register", try flux.write("per_item.yaml", Self.perItem)])
        let paused = try flux.run(["workflow", "run", "per_item", "--format", "json"])
        #expect(paused.status == 3, "\(paused.stdout) \(paused.stderr)")
        let summary = try Self.json(paused)
        let pauses = try #require(summary["pauses"]?.arrayValue)
        #expect(pauses.map { $0["output"] } == ["item 1", "item 2"], "\(summary)")
        #expect(pauses.allSatisfy { $0["name"] == "per_item" })
        #expect(Set(pauses.compactMap { $0["path"]?.stringValue }).count == 2, "each item has its own branch: \(pauses)")
        let id = try #require(summary["execution_id"]?.stringValue)
        let first = try #require(pauses[0]["id"]?.stringValue)

        // Two pauses wait: a resume that names none is a conflict that lists them, and changes nothing.
        let unnamed = try flux.run(["workflow", "resume", "per_item", id, #""first""#])
        #expect(unnamed.status == 2)
        #expect(unnamed.stderr.contains("waits at 2 pauses") && unnamed.stderr.contains(first), "\(unnamed.stderr)")
        let unknown = try flux.run(["workflow", "resume", "per_item", id, #""first""#, "--pause", "no-such-pause"])
        #expect(unknown.status == 2 && unknown.stderr.contains("does not wait at pause no-such-pause"), "\(unknown.stderr)")

        let one = try flux.run(["workflow", "resume", "per_item", id, #""first""#, "--pause", first, "--format", "json"])
        #expect(one.status == 3, "still paused at item 2: \(one.stdout) \(one.stderr)")
        let left = try #require(try Self.json(one)["pauses"]?.arrayValue)
        #expect(left.map { $0["output"] } == ["item 2"])
        // With one pause left, the id may be left out.
        let done = try flux.run(["workflow", "resume", "per_item", id, #""second""#, "--format", "json"])
        #expect(done.status == 0, "\(done.stdout) \(done.stderr)")
        #expect(try Self.json(done)["output"] == ["first", "second"])
    }

    @Test func twoPausesOfAParallelAreResumedInEitherOrder() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        _ = try flux.run(["workflow", "register", try flux.write("two.yaml", Self.twoReviews)])
        let summary = try Self.json(try flux.run(["workflow", "run", "two_reviews", "--format", "json"]))
        let id = try #require(summary["execution_id"]?.stringValue)
        let pauses = try #require(summary["pauses"]?.arrayValue)
        #expect(Set(pauses.compactMap { $0["name"]?.stringValue }) == ["legal_review", "finance_review"], "\(summary)")
        func pauseID(_ name: String) throws -> String {
            try #require(pauses.first { $0["name"]?.stringValue == name }?["id"]?.stringValue)
        }
        // The second branch first.
        let afterFinance = try flux.run(["workflow", "resume", "two_reviews", id, #""approved by finance""#, "--pause",
                                         try pauseID("finance_review"), "--format", "json"])
        #expect(afterFinance.status == 3, "\(afterFinance.stdout) \(afterFinance.stderr)")
        #expect(try Self.json(afterFinance)["pauses"]?.arrayValue?.map { $0["name"] } == ["legal_review"])
        let done = try flux.run(["workflow", "resume", "two_reviews", id, #""approved by legal""#, "--pause",
                                 try pauseID("legal_review"), "--format", "json"])
        #expect(done.status == 0, "\(done.stdout) \(done.stderr)")
        #expect(try Self.json(done)["output"] == "approved by legal + approved by finance")
    }
}
