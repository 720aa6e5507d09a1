import Flux
import FluxService
import Foundation

extension OpenAPI {
    /// `GET /docs`: the operations of ``document`` as a self-contained page (no script, no CDN), rendered once.
    static let html: String = DocsPage.render(document)
}

/// Renders an OpenAPI document as a readable HTML list of operations.
enum DocsPage {
    static let methods = ["get", "post", "put", "patch", "delete"]

    static func render(_ text: String) -> String {
        guard let spec = try? JSONValue(parsing: text) else { return "<!doctype html><title>Flux REST API</title><p>The description cannot be read.</p>" }
        let info = spec["info"]
        var html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(info?["title"]?.stringValue ?? "API"))</title>
        <style>
        body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.45}
        h1{margin-bottom:.2rem} .op{border:1px solid #d0d7de;border-radius:6px;margin:.8rem 0;padding:.6rem .9rem}
        .m{display:inline-block;min-width:4.2rem;text-align:center;font-weight:700;border-radius:4px;padding:.1rem .4rem;color:#fff;font-size:.85rem}
        .get{background:#0969da}.post{background:#1a7f37}.delete{background:#cf222e}.put,.patch{background:#9a6700}
        code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}.path{font-weight:600;margin-left:.5rem}
        table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;font-size:.9rem}
        .lock{color:#9a6700;font-size:.85rem}.muted{color:#57606a}
        </style></head><body>
        <h1>\(escape(info?["title"]?.stringValue ?? "API")) <span class="muted">\(escape(info?["version"]?.stringValue ?? ""))</span></h1>
        <p>\(escape(info?["description"]?.stringValue ?? ""))</p>
        <p class="muted">Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI \(escape(spec["openapi"]?.stringValue ?? "")))</p>

        """
        let paths = spec["paths"]?.objectValue ?? [:]
        for tag in spec["tags"]?.arrayValue ?? [] {
            guard let tagName = tag["name"]?.stringValue else { continue }
            html += "<h2 id=\"\(escape(tagName))\">\(escape(tagName))</h2>\n<p class=\"muted\">\(escape(tag["description"]?.stringValue ?? ""))</p>\n"
            for path in paths.keys.sorted() {
                guard let item = paths[path] else { continue }
                for method in methods {
                    guard let op = item[method], op["tags"]?.arrayValue?.contains(.string(tagName)) == true else { continue }
                    html += operation(method: method, path: path, op: op, shared: item["parameters"]?.arrayValue ?? [], spec: spec)
                }
            }
        }
        html += "</body></html>\n"
        return html
    }

    static func operation(method: String, path: String, op: JSONValue, shared: [JSONValue], spec: JSONValue) -> String {
        var html = "<div class=\"op\" id=\"\(escape(op["operationId"]?.stringValue ?? ""))\">"
        html += "<span class=\"m \(method)\">\(method.uppercased())</span><span class=\"path\">\(escape(path))</span>"
        if let security = op["security"]?.arrayValue, !security.isEmpty {
            let schemes = security.compactMap { $0.objectValue?.keys.first }
            html += " <span class=\"lock\">🔒 \(escape(schemes.joined(separator: ", ")))\(security.contains(.object([:])) ? " (when configured)" : "")</span>"
        }
        html += "<div><strong>\(escape(op["summary"]?.stringValue ?? ""))</strong></div>"
        if let description = op["description"]?.stringValue { html += "<p>\(escape(description))</p>" }
        let parameters = (shared + (op["parameters"]?.arrayValue ?? [])).map { resolve($0, in: spec) }
        if !parameters.isEmpty {
            html += "<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>"
            for p in parameters {
                let schema = resolve(p["schema"] ?? .null, in: spec)
                var type = schema["type"]?.stringValue ?? (schema["enum"] != nil ? "string" : "")
                if let values = schema["enum"]?.arrayValue { type += " (" + values.compactMap(\.stringValue).joined(separator: " | ") + ")" }
                html += "<tr><td><code>\(escape(p["name"]?.stringValue ?? ""))</code>\(p["required"]?.boolValue == true ? " *" : "")</td>"
                html += "<td>\(escape(p["in"]?.stringValue ?? ""))</td><td>\(escape(type))</td><td>\(escape(p["description"]?.stringValue ?? ""))</td></tr>"
            }
            html += "</table>"
        }
        if let content = op["requestBody"]?["content"]?.objectValue {
            html += "<div>Body: " + content.keys.sorted().map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + "</div>"
        }
        if let responses = op["responses"]?.objectValue {
            let listed = responses.keys.sorted().map { code -> String in
                let response = resolve(responses[code] ?? .null, in: spec)
                return "<code>\(escape(code))</code> \(escape(response["description"]?.stringValue ?? ""))"
            }
            html += "<div class=\"muted\">Responses: " + listed.joined(separator: "; ") + "</div>"
        }
        return html + "</div>\n"
    }

    /// Follows a local `$ref` (`#/components/...`).
    static func resolve(_ value: JSONValue, in spec: JSONValue) -> JSONValue {
        guard let ref = value["$ref"]?.stringValue, ref.hasPrefix("#/") else { return value }
        var node: JSONValue? = spec
        for key in ref.dropFirst(2).split(separator: "/") { node = node?[String(key)] }
        return node ?? value
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
