import Foundation

extension JSONValue {
    /// Compact JSON with object keys sorted by their UTF-8 bytes: the same value always gives the same text.
    /// Task ids and cache keys hash this text, so it must never depend on the process or the platform.
    public var canonicalJSON: String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        JSONWriter.write(self, into: &out, sortKeys: true, pretty: false, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical JSON as UTF-8 bytes.
    public var canonicalData: Data {
        var out = [UInt8]()
        out.reserveCapacity(64)
        JSONWriter.write(self, into: &out, sortKeys: true, pretty: false, indent: 0)
        return Data(out)
    }

    /// Indented JSON with sorted keys, for people.
    public var prettyJSON: String {
        var out = [UInt8]()
        JSONWriter.write(self, into: &out, sortKeys: true, pretty: true, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }
}

enum JSONWriter {
    static func write(_ value: JSONValue, into out: inout [UInt8], sortKeys: Bool, pretty: Bool, indent: Int) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .int(let i): out.append(contentsOf: Array(String(i).utf8))
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                write(element, into: &out, sortKeys: sortKeys, pretty: pretty, indent: indent + 1)
            }
            if pretty && !a.isEmpty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            let entries = sortKeys ? o.sorted(by: { utf8Precedes($0.key, $1.key) }) : Array(o)
            for (i, entry) in entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                writeString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                write(entry.value, into: &out, sortKeys: sortKeys, pretty: pretty, indent: indent + 1)
            }
            if pretty && !o.isEmpty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether `a` sorts before `b` by their UTF-8 bytes (the canonical key order), compared as contiguous bytes: the
    /// generic comparison of two UTF-8 views walked them one iterator step at a time, most of the time spent
    /// writing an object with many keys.
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                if common > 0, let p = x.baseAddress, let q = y.baseAddress {
                    let order = memcmp(p, q, common)
                    if order != 0 { return order < 0 }
                }
                return x.count < y.count
            }
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private static func writeDouble(_ d: Double, into out: inout [UInt8]) {
        guard d.isFinite else {
            out.append(contentsOf: Array("null".utf8))  // JSON has no NaN or infinity
            return
        }
        if d.rounded() == d && abs(d) < 1e15 {
            // Integral doubles keep a fraction so they read back as doubles.
            out.append(contentsOf: Array(String(Int(d)).utf8))
            out.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
        } else {
            out.append(contentsOf: Array("\(d)".utf8))
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
