import FluxCore
import FluxDocuments
import Testing

/// `requests:` in a document: read into ``ResourceRequest``, and bad values reported at their key.
struct RequestsParsingTests {
    @Test func requestsAreRead() throws {
        let document = try workflow(doc("  - id: a\n    set: 1\n", header: "requests: {cpu: 0.5, memory: 4Gi, disk: 10G, gpu: 1, labels: [cuda, eu-west]}\n"))
        let requests = try #require(document.requests)
        #expect(requests.cpu == 0.5)
        #expect(requests.memory == 4 << 30)
        #expect(requests.disk == 10_000_000_000)
        #expect(requests.gpu == 1)
        #expect(requests.labels == ["cuda", "eu-west"])
        #expect(try workflow(doc("  - id: a\n    set: 1\n", header: "requests: {}\n")).requests == nil)
        #expect(try workflow(doc("  - id: a\n    set: 1\n")).requests == nil)
    }

    @Test(arguments: [
        ("requests: {memory: lots}\n", "requests.memory", "expected a size"),
        ("requests: {cpu: 0}\n", "requests.cpu", "greater than 0"),
        ("requests: {gpu: 1.5}\n", "requests.gpu", "whole number"),
        ("requests: {labels: [\"has space\"]}\n", "requests.labels", "a label is"),
        ("requests: {gpus: 1}\n", "requests.gpus", "unknown key"),
        ("requests: [cpu]\n", "requests", "expected an object"),
    ])
    func badRequestsAreReportedAtTheirKey(header: String, path: String, message: String) throws {
        let found = errors(doc("  - id: a\n    set: 1\n", header: header))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.path == path, "\(found)")
        #expect(found.first?.message.contains(message) == true, "\(found)")
        #expect(found.first?.line == 3, "\(found)")
    }
}
