import FluxCore
import Testing

/// What a workflow asks of a worker, against what a worker has.
struct ResourceRequestTests {
    @Test(arguments: [
        ("2048", 2048), ("1K", 1_000), ("1Ki", 1_024), ("512Mi", 536_870_912), ("4Gi", 4_294_967_296), ("10G", 10_000_000_000),
        ("1.5GiB", 1_610_612_736), ("2 gb", 2_000_000_000), ("1Ti", 1_099_511_627_776), ("0", 0),
    ])
    func sizesParse(text: String, bytes: Int) {
        #expect(ResourceRequest.parseSize(text) == bytes)
    }

    @Test(arguments: ["", "lots", "4Gx", "-1", "1e3", "G", "1..5G", "99999999999T"])
    func badSizesDoNot(text: String) {
        #expect(ResourceRequest.parseSize(text) == nil)
    }

    @Test func everyPartIsChecked() throws {
        let request = try ResourceRequest(json: ["cpu": 2, "memory": "8Gi", "disk": "1G", "gpu": 1, "labels": ["cuda"]])
        let big = WorkerCapacity(resources: ["cpu_cores": 8, "memory_total": .int(16 << 30), "disk_free": .int(50 << 30),
                                             "gpus": [["name": "A100"]]], labels: ["cuda", "eu"])
        #expect(request.isMet(by: big))
        #expect(request.unmet(by: big).isEmpty)
        var small = big
        small.cpuCores = 1
        small.gpus = 0
        small.labels = ["eu"]
        #expect(!request.isMet(by: small))
        #expect(request.unmet(by: small) == ["cpu 2 (has 1)", "gpu 1 (has 0)", "label cuda"])
        var unknown = big
        unknown.memoryTotal = nil
        #expect(request.unmet(by: unknown) == ["memory 8 GiB (has unknown)"])
        #expect(ResourceRequest().isMet(by: WorkerCapacity(cpuCores: nil, memoryTotal: nil, diskFree: nil, gpus: 0, labels: [])))
    }

    @Test func jsonRoundTrips() throws {
        let request = try ResourceRequest(json: ["cpu": 0.5, "memory": "1Ki", "labels": ["a", "a", "b"]])
        #expect(request.labels == ["a", "b"])
        #expect(request.json == ["cpu": 0.5, "memory": 1024, "labels": ["a", "b"]])
        #expect(try ResourceRequest(json: request.json) == request)
        #expect(request.summary == "cpu 0.5, memory 1 KiB, label a, label b")
    }

    @Test func errorsNameTheKey() {
        #expect(throws: ResourceRequestError(key: "memory", message: "expected a size in bytes or with a unit (512Mi, 4Gi, 10G), found \"x\"")) {
            try ResourceRequest(json: ["memory": "x"])
        }
        #expect(throws: ResourceRequestError.self) { try ResourceRequest(json: ["gpu": -1]) }
        #expect(throws: ResourceRequestError.self) { try ResourceRequest(json: ["labels": "gpu"]) }
        #expect(throws: ResourceRequestError.self) { try ResourceRequest(json: "gpu") }
    }
}
