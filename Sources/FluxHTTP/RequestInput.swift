import Flux
import FluxService
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reading what a client sent: bodies within `security.max_body_bytes`, JSON inputs, query flags, uploads.
struct RequestInput: Sendable {
    let maxBodyBytes: Int

    /// The whole body; 413 when it is larger than the limit (by its Content-Length or as it arrives).
    func body(_ request: Request) async throws -> ByteBuffer {
        try checkDeclaredLength(request)
        do {
            return try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: maxBodyBytes)
        }
    }

    /// 413 when the Content-Length is over the limit: answered before the type is looked at, the cheaper refusal.
    func checkDeclaredLength(_ request: Request) throws(APIError) {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw APIError.tooLarge(limit: maxBodyBytes)
        }
    }

    /// The body as a JSON value; an empty body is `null`. A body must be declared `Content-Type: application/json`
    /// (or `application/*+json`), else 415: the types a web page may send cross-site without a CORS preflight
    /// (`text/plain`, forms) never reach a route that reads JSON. An empty body may come without a Content-Type.
    func json(_ request: Request) async throws -> JSONValue {
        try checkDeclaredLength(request)
        let declared = request.headers[.contentType]
        if let declared, !Self.isJSON(declared) {
            throw APIError.unsupportedMediaType("the body must be JSON sent with Content-Type: application/json, not \(declared)")
        }
        let buffer = try await body(request)
        // Refuse rather than repair: String(buffer:) would turn invalid bytes into U+FFFD and run with that.
        guard let text = String(validatingUTF8Buffer: buffer) else {
            throw APIError.badRequest("the request body is not UTF-8 text; send the input as JSON in UTF-8")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .null }
        guard declared != nil else {
            throw APIError.unsupportedMediaType("the request has a body but no Content-Type: send it as JSON with Content-Type: application/json")
        }
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw APIError.badRequest("the request body is not JSON (\(error)); send the input as JSON, e.g. \"World\" or {\"name\": \"World\"}")
        }
    }

    /// A boolean query parameter: absent is false; `true/1/yes` and `false/0/no` are accepted.
    static func flag(_ request: Request, _ name: String) throws(APIError) -> Bool {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return false }
        switch raw.lowercased() {
        case "", "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .badRequest("query parameter \(name) must be true or false, got \(raw)")
        }
    }

    /// An integer query parameter, or nil when absent.
    static func integer(_ request: Request, _ name: String) throws(APIError) -> Int? {
        guard let raw = request.uri.queryParameters[Substring(name)], !raw.isEmpty else { return nil }
        guard let value = Int(raw) else { throw .badRequest("query parameter \(name) must be an integer, got \(raw)") }
        return value
    }

    static func string(_ request: Request, _ name: String) -> String? {
        guard let raw = request.uri.queryParameters[Substring(name)], !raw.isEmpty else { return nil }
        return String(raw)
    }

    /// A workflow document sent as multipart/form-data (field `file`, as the original's upload) or as the raw
    /// YAML or JSON body, declared by its Content-Type (``documentTypes``; anything else is 415, and so is a body
    /// without a Content-Type). Returns the text and the name to show in messages.
    ///
    /// `multipart/form-data` is the one accepted type a browser form can send cross-site without a preflight; it
    /// stays for the original's upload, and the ``OriginMiddleware`` refuses it from a foreign page (browsers send
    /// `Origin` with every cross-site POST).
    func document(_ request: Request) async throws -> (text: String, sourceName: String) {
        try checkDeclaredLength(request)
        let declared = request.headers[.contentType]
        let contentType = declared ?? ""
        let mediaType = Self.mediaType(contentType)
        let expected = "send it as application/yaml or application/json, or as multipart/form-data with a file field"
        if declared != nil, !(mediaType == "multipart/form-data" || Self.isJSON(contentType) || Self.documentTypes.contains(mediaType)) {
            throw APIError.unsupportedMediaType("a document cannot be sent as \(contentType): \(expected)")
        }
        let buffer = try await body(request)
        if declared == nil, buffer.readableBytes > 0 {
            throw APIError.unsupportedMediaType("the request has a document but no Content-Type: \(expected)")
        }
        if mediaType == "multipart/form-data" {
            guard let boundary = Self.parameter("boundary", in: contentType) else {
                throw APIError.badRequest("a multipart/form-data body needs a boundary in its Content-Type")
            }
            let parts: [MultipartForm.Part]
            do { parts = try MultipartForm.parse(Array(buffer: buffer), boundary: boundary) } catch {
                throw APIError.badRequest("the multipart body cannot be read: \(error)")
            }
            guard let part = parts.first(where: { $0.dispositionParameter("name") == "file" }) else {
                throw APIError.badRequest("the multipart body has no field named file; send the document as the file field")
            }
            guard let text = String(validating: part.body, as: UTF8.self) else {
                throw APIError.badRequest("the uploaded file is not UTF-8 text")
            }
            return (text, part.dispositionParameter("filename") ?? "upload")
        }
        guard let text = String(validatingUTF8Buffer: buffer) else {
            throw APIError.badRequest("the document is not UTF-8 text")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIError.badRequest("the request has no document: send YAML or JSON as the body, or multipart/form-data with a file field")
        }
        let name = Self.string(request, "filename") ?? (Self.isJSON(contentType) ? "upload.json" : "upload.yaml")
        return (text, name)
    }

    /// The raw-body types a document may be sent as, besides JSON ones.
    static let documentTypes: Set<String> = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]

    /// A Content-Type's media type without its parameters, lowercased (`application/json; charset=utf-8` → `application/json`).
    static func mediaType(_ contentType: String) -> String {
        String(contentType.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// `application/json` or a structured `application/…+json` type, with any parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let type = mediaType(contentType)
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// A `key=value` (or `key="value"`) parameter of a header value such as a Content-Type.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }
}

extension String {
    /// The buffer's readable bytes as UTF-8, or nil when they are not valid UTF-8.
    init?(validatingUTF8Buffer buffer: ByteBuffer) {
        guard let bytes = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        self = text
    }
}
