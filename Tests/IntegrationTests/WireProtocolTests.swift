import Foundation
import Testing
import Transport
import Wire

/// Raw frames written by hand to a real service: valid, unknown, oversized, garbage, cut short; the
/// service must answer what it can, close only the offending connection, and keep serving.
@Suite("Wire protocol against a live service")
struct WireProtocolTests {
    let dir: TemporaryDirectory
    let service: ServiceProcess

    init() throws {
        dir = try TemporaryDirectory()
        service = try ServiceProcess("fulfillment", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
    }

    private func stillServing() throws {
        let reply = try BlockingClient.call(path: service.socketPath, message: .request("sys.ping"), timeoutMs: 2_000)
        #expect(reply.error == nil)
        #expect(reply.payload?.description == #"{"pong":true}"#)
    }

    private func json(_ s: String) -> [UInt8] { Frame.encode(Array(s.utf8)) }

    @Test("sys.describe lists what the service handles")
    func describe() throws {
        let reply = try BlockingClient.call(path: service.socketPath, message: .request("sys.describe"))
        let text = reply.payload?.description ?? ""
        #expect(text.contains(#""service":"fulfillment""#))
        #expect(text.contains("sys.health"))
        #expect(text.contains(#""protocol_version":1"#))
    }

    @Test("pipelined requests on one connection are all answered and matched by id")
    func pipelining() throws {
        let socket = try RawSocket(path: service.socketPath)
        var sent: [String: String] = [:]
        var batch: [UInt8] = []
        for i in 0..<300 {
            let type = ["sys.ping", "sys.describe", "no.such.method", "sys.health"][i % 4]
            let payload = i % 8 == 0 ? try RawJSON(validating: Array(#"{"delay_ms":\#(i % 3 * 20)}"#.utf8)) : nil
            let e = Envelope.request(type, payload: payload, traceID: "trace-\(i)")
            sent[e.id] = type
            batch += e.frame()
        }
        try socket.write(batch)
        var answered: [String: Envelope] = [:]
        for _ in 0..<300 {
            let reply = try #require(try socket.read())
            answered[try #require(reply.replyTo)] = reply
        }
        #expect(answered.count == 300)
        for (id, type) in sent {
            let reply = try #require(answered[id])
            #expect(reply.kind == .response)
            if type == "no.such.method" {
                #expect(reply.error?.code == "unknown_type")
            } else {
                #expect(reply.error == nil, "\(type): \(String(describing: reply.error))")
            }
        }
        #expect(Set(answered.values.map { $0.traceID ?? "" }).count == 300)
    }

    @Test("unknown type, bad payload, unsupported version and malformed JSON each get their code; the connection stays open")
    func errorCodes() throws {
        let socket = try RawSocket(path: service.socketPath)
        try socket.write(json(#"{"v":1,"id":"u1","kind":"request","type":"orders.teleport","trace_id":"t-1"}"#))
        let unknown = try #require(try socket.read())
        #expect(unknown.error?.code == "unknown_type")
        #expect(unknown.replyTo == "u1")
        #expect(unknown.traceID == "t-1")

        try socket.write(json(#"{"v":1,"id":"b1","kind":"request","type":"sys.ping","payload":{"delay_ms":"soon"}}"#))
        let bad = try #require(try socket.read())
        #expect(bad.error?.code == "invalid_argument")
        #expect(bad.error?.message.contains("delay_ms") == true)

        try socket.write(json(#"{"v":7,"id":"v7","kind":"request","type":"sys.ping"}"#))
        let version = try #require(try socket.read())
        #expect(version.error?.code == "unsupported_version")
        #expect(version.replyTo == "v7")

        try socket.write(json(#"{"v":1,"id":"m1","kind":"request","type":"sys.ping""#))
        let malformed = try #require(try socket.read())
        #expect(malformed.error?.code == "malformed_message")

        try socket.write(Frame.encode([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))  // {"\xFF":1}
        #expect(try socket.read()?.error?.code == "malformed_message")

        try socket.write(json(#"{"v":1,"id":"r1","kind":"response","reply_to":"x","type":"sys.ping"}"#))
        #expect(try socket.read()?.error?.code == "invalid_argument")

        // Same connection still works.
        let ping = Envelope.request("sys.ping")
        try socket.write(ping)
        #expect(try socket.read()?.replyTo == ping.id)
    }

    @Test("an oversized length is refused with an error frame and the connection closed", arguments: [
        [0x7F, 0xFF, 0xFF, 0xFF], [0x00, 0x10, 0x00, 0x01], [0x00, 0x00, 0x00, 0x00],
    ] as [[UInt8]])
    func oversizedOrEmpty(header: [UInt8]) throws {
        let socket = try RawSocket(path: service.socketPath)
        try socket.write(header + Array("{}".utf8))
        let frames = try socket.readUntilClosed()
        #expect(frames.count == 1)
        #expect(frames.first?.error?.code == "frame_rejected")
        try stillServing()
    }

    @Test("garbage bytes get a refusal and a hang-up, nothing else")
    func garbage() throws {
        let socket = try RawSocket(path: service.socketPath)
        try socket.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let frames = try socket.readUntilClosed()
        #expect(frames.first?.error?.code == "frame_rejected")
        try stillServing()
    }

    @Test("a peer that pipelines then half-closes still gets every answer")
    func halfCloseAfterPipelining() throws {
        let socket = try RawSocket(path: service.socketPath)
        let requests = try (0..<40).map { i in
            Envelope.request("sys.ping", payload: try RawJSON(validating: Array(#"{"delay_ms":\#(i % 4 * 25)}"#.utf8)))
        }
        try socket.write(Array(requests.map { $0.frame() }.joined()))
        socket.shutdownWrite()
        let answers = try socket.readUntilClosed()
        #expect(Set(answers.compactMap(\.replyTo)) == Set(requests.map(\.id)))
    }

    @Test("a bad frame after an in-flight request: the answer still arrives, then the refusal")
    func answerBeforeRefusal() throws {
        let socket = try RawSocket(path: service.socketPath)
        let slow = Envelope.request("sys.ping", payload: try RawJSON(validating: Array(#"{"delay_ms":200}"#.utf8)))
        try socket.write(slow.frame() + [0, 0, 0, 0])
        let frames = try socket.readUntilClosed()
        #expect(frames.contains { $0.replyTo == slow.id && $0.error == nil })
        #expect(frames.contains { $0.error?.code == "frame_rejected" })
        try stillServing()
    }

    @Test("an enormous type is answered within the frame limit")
    func hugeType() throws {
        let socket = try RawSocket(path: service.socketPath)
        let e = Envelope.request(String(repeating: "t", count: 900_000))
        try socket.write(e)
        let reply = try #require(try socket.read())
        #expect(reply.error?.code == "invalid_argument")
        #expect(reply.error?.message.contains("longer than 256 bytes") == true)
        #expect(reply.replyTo == e.id)
        #expect(reply.json().count < 2_000)
    }

    @Test("half a frame then a hang-up costs only that connection")
    func halfFrameThenHangUp() throws {
        do {
            let socket = try RawSocket(path: service.socketPath)
            let frame = Envelope.request("sys.ping").frame()
            try socket.write(Array(frame.prefix(frame.count / 2)))
            socket.shutdownWrite()
            #expect(try socket.readUntilClosed().isEmpty)
        }
        try stillServing()
    }

    @Test("a client that never reads its answers does not stall other clients")
    func neverReads() throws {
        let greedy = try RawSocket(path: service.socketPath)
        let frame = Envelope.request("sys.describe").frame()
        let batch = Array([[UInt8]](repeating: frame, count: 2_000).joined())
        // Written from a thread: this client never reads, so its own writes eventually block.
        nonisolated(unsafe) let unsafeGreedy = greedy
        let writer = Thread { for _ in 0..<20 { try? unsafeGreedy.write(batch) } }
        writer.start()
        for _ in 0..<20 { try stillServing() }
        #expect(service.process.isRunning)
    }

    @Test("many concurrent connections are served")
    func manyConnections() async throws {
        let path = service.socketPath
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let client = MessageClient(socketPath: path)
                    defer { client.close() }
                    for _ in 0..<20 {
                        _ = try await client.send(.request("sys.ping"))
                    }
                    return true
                }
            }
            var n = 0
            for try await ok in group where ok { n += 1 }
            #expect(n == 64)
        }
    }
}
