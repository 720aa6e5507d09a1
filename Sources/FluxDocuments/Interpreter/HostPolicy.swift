import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which hosts `http:` steps may reach. Names are compared with the URL's host; addresses and networks with
/// every address the host resolves to (so `http://2852039166/` or a DNS name pointing at 169.254.169.254 is
/// caught as well as the literal address).
struct HostPolicy: Sendable {
    let allow: [HostPattern]
    let deny: [HostPattern]
    let refuseLinkLocal: Bool

    init(environment: InterpreterEnvironment) {
        allow = environment.httpAllowHosts.compactMap(HostPattern.init)
        deny = environment.httpDenyHosts.compactMap(HostPattern.init)
        refuseLinkLocal = environment.httpRefusesLinkLocal
    }

    /// Host names of cloud metadata services.
    static let metadataNames: Set<String> = [
        "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
    ]
    /// Metadata addresses outside the link-local ranges (AWS IPv6, Alibaba Cloud).
    static let metadataAddresses: [IPAddress] = ["fd00:ec2::254", "100.100.100.200"].compactMap(IPAddress.init)

    /// `nil` when `host` may be reached, else why not. Resolves the name (blocking: call off the cooperative pool).
    /// Whether `rawHost` may be reached, and at which of its addresses: every address it resolves to is checked,
    /// and the first is the one the client connects to. An unspecified address (`0.0.0.0`, `0`, `::`) reaches this
    /// machine, so it is judged as loopback too.
    func admission(host rawHost: String) -> HostAdmission {
        let host = Self.bare(rawHost)
        if refuseLinkLocal, Self.metadataNames.contains(host) {
            return .refused("http to \(host) is refused: cloud metadata services are never reachable from workflows")
        }
        if deny.contains(where: { $0.matches(name: host) }) {
            return .refused("http to \(host) is refused by security.http_deny_hosts")
        }
        let literal = IPAddress(host)
        // A name that does not resolve here is left to the HTTP client, which fails on it (or, in tests, fakes it).
        let addresses = literal.map { [$0] } ?? IPAddress.resolve(host)
        for address in addresses {
            if refuseLinkLocal, address.isLinkLocal || Self.metadataAddresses.contains(address) {
                return .refused("http to \(host) (\(address)) is refused: link-local and cloud metadata addresses are never reachable from workflows")
            }
            let judged = address.isUnspecified ? [address] + IPAddress.loopback : [address]
            if judged.contains(where: { candidate in deny.contains { $0.matches(address: candidate) } }) {
                return .refused("http to \(host) (\(address)) is refused by security.http_deny_hosts"
                    + (address.isUnspecified ? " (an unspecified address reaches this machine, like loopback)" : ""))
            }
        }
        if !allow.isEmpty, !allow.contains(where: { $0.matches(name: host) }),
           addresses.isEmpty || !addresses.allSatisfy({ address in allow.contains { $0.matches(address: address) } }) {
            return .refused("http to \(host) is refused: it is not in security.http_allow_hosts")
        }
        return .admitted(address: literal == nil ? addresses.first?.description : nil)
    }

    func admissionAsync(host: String) async -> HostAdmission {
        await onThread { self.admission(host: host) }
    }

    static func bare(_ host: String) -> String {
        var h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        while h.hasSuffix(".") { h.removeLast() }
        return h
    }
}

/// One entry of an allow or deny list.
enum HostPattern: Sendable, Hashable {
    /// `example.com`: exactly this host.
    case name(String)
    /// `*.example.com`: any subdomain (not `example.com` itself).
    case subdomains(String)
    /// `10.0.0.0/8`, `::1`, `169.254.169.254`: addresses in this network.
    case network(IPAddress, prefix: Int)

    init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        if let slash = t.firstIndex(of: "/"), let address = IPAddress(String(t[..<slash])),
           let prefix = Int(t[t.index(after: slash)...]), prefix >= 0, prefix <= address.bytes.count * 8 {
            self = .network(address, prefix: prefix)
        } else if let address = IPAddress(HostPolicy.bare(t)) {
            self = .network(address, prefix: address.bytes.count * 8)
        } else if t.hasPrefix("*.") {
            self = .subdomains(HostPolicy.bare(String(t.dropFirst(1))))
        } else {
            self = .name(HostPolicy.bare(t))
        }
    }

    func matches(name host: String) -> Bool {
        switch self {
        case .name(let n): return host == n
        case .subdomains(let suffix): return host.hasSuffix(suffix) && host.count > suffix.count
        case .network: return false
        }
    }

    func matches(address: IPAddress) -> Bool {
        guard case .network(let network, let prefix) = self else { return false }
        return address.isIn(network, prefix: prefix)
    }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address; IPv4-mapped IPv6 addresses are kept as IPv4.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        // ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            self.bytes = Array(bytes[12...])
        } else {
            self.bytes = bytes
        }
    }

    /// Parses a strict dotted-quad IPv4 or an IPv6 literal.
    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    /// `127.0.0.1` and `::1`.
    static let loopback: [IPAddress] = ["127.0.0.1", "::1"].compactMap(IPAddress.init)

    /// `0.0.0.0/8` and `::`: connecting there reaches this machine.
    var isUnspecified: Bool {
        if bytes.count == 4 { return bytes[0] == 0 }
        return bytes.allSatisfy { $0 == 0 }
    }

    var isLinkLocal: Bool {
        if bytes.count == 4 { return bytes[0] == 169 && bytes[1] == 254 }
        // fe80::/10, and IPv4 link-local behind NAT64 (64:ff9b::/96).
        if bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 { return true }
        if bytes[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0][...] { return bytes[12] == 169 && bytes[13] == 254 }
        return false
    }

    func isIn(_ network: IPAddress, prefix: Int) -> Bool {
        guard network.bytes.count == bytes.count else { return false }
        var remaining = prefix
        for i in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if bytes[i] & mask != network.bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }

    /// Every address `host` resolves to (as the HTTP client will resolve it: `getaddrinfo`, which also reads
    /// numeric forms such as `2852039166` or `0xa9.0xfe.0xa9.0xfe`). Empty when it does not resolve.
    static func resolve(_ host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var out: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sa = info.pointee.ai_addr {
                switch Int32(sa.pointee.sa_family) {
                case AF_INET:
                    var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    out.append(IPAddress(bytes: withUnsafeBytes(of: &a) { Array($0) }))
                case AF_INET6:
                    var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    out.append(IPAddress(bytes: withUnsafeBytes(of: &a) { Array($0) }))
                default: break
                }
            }
            cursor = info.pointee.ai_next
        }
        return Array(Set(out)).sorted { $0.description < $1.description }
    }
}
