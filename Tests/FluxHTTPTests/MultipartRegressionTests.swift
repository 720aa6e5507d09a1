import FluxCore
import Foundation
import Testing

/// Regression: MultipartKit 4.7.1 trapped on a multipart header name with a byte above 0x7F, so one upload
/// killed the server. The server now parses multipart bodies itself and answers 400.
@Suite struct MultipartRegressionTests {
    static let boundary = "XyZ-boundary"

    static func body(headerName: [UInt8], file: String) -> Data {
        var data = Data("--\(boundary)\r\n".utf8)
        data += Data(headerName) + Data(": form-data; name=\"file\"; filename=\"a.yaml\"\r\n\r\n".utf8)
        data += Data(file.utf8) + Data("\r\n--\(boundary)--\r\n".utf8)
        return data
    }

    @Test func nonASCIIHeaderNamesAre400AndTheServerLives() async throws {
        let server = try await ServerProcess()
        let headers = ["Content-Type": "multipart/form-data; boundary=\(Self.boundary)"]
        for name in [Array("Content-Dispositi\u{00f3}n".utf8), [0xFF, 0x41], [0x80], Array("X Y".utf8)] {
            let reply = try await server.request("POST", "/workflows", body: Self.body(headerName: name, file: "flux: 1"), headers: headers)
            #expect(reply.status == 400, "\(name): \(reply.status) \(reply.text)")
            #expect(reply.errorCode == "invalid_input")
            #expect(reply.text.contains("multipart body cannot be read"))
        }
        // Still serving, and a well-formed upload still registers.
        #expect(try await server.get("/health").status == 200)
        let document = try TestPaths.example("hello_world.yaml")
        let good = try await server.request("POST", "/workflows", body: Self.body(headerName: Array("Content-Disposition".utf8), file: document),
                                            headers: headers)
        #expect(good.status == 200, "\(good.text)")
        #expect(good.json[0]?["name"] == "hello_world")
    }

    @Test func malformedBodiesAre400() async throws {
        let server = try await ServerProcess()
        let cases: [(String, Data)] = [
            ("multipart/form-data; boundary=\(Self.boundary)", Data("no boundary at all".utf8)),
            ("multipart/form-data; boundary=\(Self.boundary)", Data("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunterminated".utf8)),
            ("multipart/form-data; boundary=\(Self.boundary)", Data("--\(Self.boundary)\r\nno colon here\r\n\r\nx\r\n--\(Self.boundary)--\r\n".utf8)),
            ("multipart/form-data; boundary=\(String(repeating: "b", count: 71))", Data("--b\r\n".utf8)),
            ("multipart/form-data; boundary=\(Self.boundary)", Data("--\(Self.boundary)--\r\n".utf8)),
        ]
        for (type, body) in cases {
            let reply = try await server.request("POST", "/workflows", body: body, headers: ["Content-Type": type])
            #expect(reply.status == 400, "\(reply.status) \(reply.text)")
            #expect(reply.errorCode == "invalid_input")
        }
    }
}
