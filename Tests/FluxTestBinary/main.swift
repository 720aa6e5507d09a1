// FluxTestBinary: the `flux` command line with Swift tasks that misbehave on purpose compiled in, for tests of
// what such a task does to a process (Tests/FluxHTTPTests/ShutdownBackstopTests.swift). Never shipped.
import Flux
import FluxCLI
import Foundation

/// `block_thread`: notes its start in the file named by `FLUX_TEST_MARKERS` (when set), then blocks its thread
/// in the kernel for an hour, deaf to cancellation.
let blockThread = TaskDefinition(name: "block_thread") { _, _ in
    if let path = ProcessInfo.processInfo.environment["FLUX_TEST_MARKERS"] {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        if fd >= 0 {
            var line = Array("blocking\n".utf8)
            _ = line.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }
    var request = timespec(tv_sec: 3600, tv_nsec: 0)
    var left = timespec()
    while nanosleep(&request, &left) != 0, errno == EINTR { request = left }
    return .null
}

/// `hold_every_thread`: runs `block_thread` on INPUT items at once, more than Swift's cooperative pool has
/// threads, so that no Swift task of the process can run any more.
let holdEveryThread = workflow("hold_every_thread", description: "Blocks every thread of the cooperative pool (test only)") {
    (ctx: ExecutionContext<Int>) -> Int in
    let block = FluxTask<Int, JSONValue>(definition: blockThread)
    return try await block.map(Array(0..<max(1, ctx.input))).count
}

exit(await FluxCommandLine.main(swiftTasks: [blockThread], swiftWorkflows: [holdEveryThread.definition]))
