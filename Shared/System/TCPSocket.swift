#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// TCP helpers for the HTTP server: listening on an IP literal, and naming peers.
public enum TCPSocket {
    /// Opens a listening socket on `host:port`. `host` is an IPv4 or IPv6 literal (brackets allowed) or
    /// `localhost` (taken as 127.0.0.1, never resolved); port 0 picks a free port. Returns the socket and
    /// the port actually bound.
    public static func listen(host: String, port: Int, backlog: Int32) throws(SystemError) -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else { throw SystemError(setup: "HTTP port \(port) is outside 0...65535") }
        var literal = host == "localhost" ? "127.0.0.1" : host
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }

        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port)).bigEndian
        } else if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port)).bigEndian
        } else {
            throw SystemError(setup: "HTTP host '\(host)' must be an IPv4 or IPv6 address or 'localhost'")
        }

        let where_ = "\(host):\(port)"
        do throws(SystemError) {
            let fd = try Syscall.run("socket") { socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            do throws(SystemError) {
                var one: Int32 = 1
                try Syscall.run("setsockopt(SO_REUSEADDR)") {
                    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                }
                if family == AF_INET {
                    try Syscall.run("bind(\(where_))") {
                        withUnsafePointer(to: &v4) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                            }
                        }
                    }
                } else {
                    try Syscall.run("bind(\(where_))") {
                        withUnsafePointer(to: &v6) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                            }
                        }
                    }
                }
                try Syscall.run("listen(\(where_))") { Glibc.listen(fd, backlog) }
                return (fd, try boundPort(fd))
            } catch {
                close(fd)
                throw error
            }
        } catch {
            if error.errno == EADDRINUSE {
                throw SystemError(setup: "cannot listen on \(where_): the address is already in use")
            }
            throw SystemError(setup: "cannot listen on \(where_): \(error)")
        }
    }

    /// The local port of a bound socket.
    private static func boundPort(_ fd: Int32) throws(SystemError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try Syscall.run("getsockname") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return describe(storage)?.port ?? 0
    }

    /// The address and port in a `sockaddr_storage`, as `1.2.3.4` / `::1`.
    public static func describe(_ storage: sockaddr_storage) -> (host: String, port: Int)? {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    guard inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil else { return nil }
                    return (cString(text), Int(UInt16(bigEndian: sin.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var addr = sin6.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil else { return nil }
                    return (cString(text), Int(UInt16(bigEndian: sin6.pointee.sin6_port)))
                }
            }
        default:
            return nil
        }
    }

    private static func cString(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `host:port`, with brackets around IPv6 hosts.
    public static func format(_ address: (host: String, port: Int)) -> String {
        address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
    }
}
