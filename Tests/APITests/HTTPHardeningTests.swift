import Foundation
import OpenSpecSyncTestSupport
import Testing

/// A TCP connection to the server on loopback, spoken to byte by byte.
final class RawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = try Self.connectLoopback(port: port)
    }

    /// A socket connected to 127.0.0.1:`port`; the caller closes it.
    static func connectLoopback(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED
            if fd >= 0 { close(fd) }
            throw POSIXError(code)
        }
        return fd
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrives within `seconds`: the bytes, and whether the server closed the connection.
    func receive(for seconds: Double, until done: (String) -> Bool = { _ in false }) -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let waitMs = max(1, Int32(deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, min(waitMs, 100)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<count]
            if done(String(decoding: received, as: UTF8.self)) { break }
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    /// One whole response (head and a Content-Length body): its status and body.
    func response(within seconds: Double = 10) -> (status: Int, body: String) {
        let (text, _) = receive(for: seconds) { text in
            guard let split = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<split.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text.utf8.count - text[..<split.upperBound].utf8.count >= length
        }
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? -1
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}

/// The HTTP layer holds up against clients that send slowly, open many
/// connections, or leave out or repeat the Host header.
@Suite("HTTP hardening")
struct HTTPHardeningTests {
    static let listRequest = "GET /trpc/projects.list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    private func started(_ flags: [String]) throws -> LiveServer {
        let server = try LiveServer()
        try server.start(["serve"] + flags)
        return server
    }

    @Test("a connection that sends half a header is closed after the read timeout (serve and run --serve)",
          arguments: [["serve"], ["run", "--serve", "--interval", "3600"]])
    func halfHeaderTimesOut(command: [String]) throws {
        let server = try LiveServer()
        try server.start(command + ["--read-timeout", "1"])
        let connection = try RawConnection(port: server.port)
        connection.send("GET /trpc/projects.list HTTP/1.1\r\nHost: 127.0")
        let began = Date()
        let (_, closed) = connection.receive(for: 6)
        #expect(closed, "the connection is still open after 6 s")
        let waited = Date().timeIntervalSince(began)
        #expect(waited > 0.7 && waited < 4, "closed after \(waited) s")
    }

    @Test("a request whose body stops short is closed after the read timeout")
    func shortBodyTimesOut() throws {
        let server = try started(["--read-timeout", "1"])
        let connection = try RawConnection(port: server.port)
        connection.send("POST /trpc/sync.forceSync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
        let (_, closed) = connection.receive(for: 6)
        #expect(closed, "the connection is still open after 6 s")
    }

    @Test("an idle kept-alive connection is closed after the read timeout; a request sent in time is answered")
    func keepAliveIdleTimesOut() throws {
        let server = try started(["--read-timeout", "1"])
        let connection = try RawConnection(port: server.port)
        connection.send(Self.listRequest)
        #expect(connection.response().status == 200)
        usleep(400_000)
        connection.send(Self.listRequest)
        #expect(connection.response().status == 200, "the clock starts again at each response")
        let (_, closed) = connection.receive(for: 6)
        #expect(closed, "the idle connection is still open after 6 s")
    }

    @Test("an event stream outlives the read timeout: the clock stops once the request is read")
    func eventStreamIsNotCut() throws {
        let server = try started(["--read-timeout", "1"])
        let connection = try RawConnection(port: server.port)
        connection.send("GET /trpc/sync.subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let (text, closed) = connection.receive(for: 3)
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
        #expect(!closed, "the stream was closed: \(text)")
    }

    @Test("200 slow connections at once: those past the limit are closed at once, the rest at the timeout, and the server still answers")
    func slowlorisBurst() throws {
        let server = try started(["--read-timeout", "1", "--max-connections-per-client", "150"])
        let slow = try (0..<200).map { _ in try RawConnection(port: server.port) }
        for connection in slow { connection.send("GET /trpc/projects.list HTTP/1.1\r\nX-Slow: ") }
        let began = Date()
        let closed = slow.filter { $0.receive(for: max(0.1, 8 - Date().timeIntervalSince(began))).closed }
        #expect(closed.count == slow.count, "\(slow.count - closed.count) slow connections still open")
        #expect(Date().timeIntervalSince(began) < 6)
        let fresh = try RawConnection(port: server.port)
        fresh.send(Self.listRequest)
        #expect(fresh.response().status == 200)
    }

    @Test("past the per-client limit a new connection is closed at once, and the first ones stay usable")
    func connectionLimitPerClient() throws {
        let limit = 4
        let server = try started(["--max-connections-per-client", "\(limit)"])
        var connections: [RawConnection] = []
        for _ in 0..<limit {
            let connection = try RawConnection(port: server.port)
            connection.send(Self.listRequest)
            #expect(connection.response().status == 200)
            connections.append(connection)
        }
        let extra = try RawConnection(port: server.port)
        extra.send(Self.listRequest)
        let (text, closed) = extra.receive(for: 3)
        #expect(closed && text.isEmpty, "the connection over the limit got: \(text)")
        for connection in connections {
            connection.send(Self.listRequest)
            #expect(connection.response().status == 200)
        }
        // A closed connection frees its place.
        connections.removeLast()
        #expect(try eventually(timeout: 3) {
            let again = try RawConnection(port: server.port)
            again.send(Self.listRequest)
            return again.response(within: 2).status == 200
        })
    }

    @Test("a request without a Host header, or with two, is refused with 400 in tRPC's shape",
          arguments: ["", "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n", "Host: 127.0.0.1\r\nHost: evil.example\r\n"])
    func hostHeaderCount(hosts: String) throws {
        let server = try started([])
        let connection = try RawConnection(port: server.port)
        connection.send("GET /trpc/projects.list HTTP/1.1\r\n\(hosts)\r\n")
        let (status, body) = connection.response()
        #expect(status == 400, "\(body)")
        let error = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["error"] as? [String: Any]
        #expect((error?["data"] as? [String: Any])?["code"] as? String == "BAD_REQUEST", "\(body)")
        #expect((error?["message"] as? String)?.contains("Host header") == true, "\(body)")
    }

    @Test("a request with one Host header is answered as before")
    func oneHostHeader() throws {
        let server = try started([])
        let connection = try RawConnection(port: server.port)
        connection.send(Self.listRequest)
        let (status, body) = connection.response()
        #expect(status == 200, "\(body)")
        #expect(body.contains("\"result\""), "\(body)")
    }

    @Test("out-of-range server flags are refused with exit 64",
          arguments: [["--read-timeout", "0"], ["--read-timeout", "nan"], ["--read-timeout", "1e308"], ["--max-connections-per-client", "0"]])
    func badServerFlags(flags: [String]) throws {
        let server = try LiveServer()
        // Bounded: a value let through would leave the server running.
        let result = try runProcess("/usr/bin/timeout", ["10", openSpecSyncBinary, "serve", "--port", "0"] + flags, environment: server.environment)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(flags[0]), "\(result.stderr)")
    }
}
