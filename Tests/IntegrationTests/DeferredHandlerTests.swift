import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
import Transport
import Wire

/// Handlers that answer from a callback (``Handler/deferred``) and frames held back by
/// ``FramedConnection/coalescingSends(_:)``, on a real ``MessageServer`` over a real Unix socket.
@Suite("Deferred answers and coalesced sends")
struct DeferredHandlerTests {
    private struct Empty: Codable, Sendable {}

    private static func server(in dir: TemporaryDirectory, _ configure: (inout Router) -> Void) throws -> MessageServer {
        var router = Router()
        configure(&router)
        let server = MessageServer(socketPath: dir.path + "/s.sock", router: router,
                                   logger: Logger(service: "test", level: .error, sink: { _ in }))
        try server.start()
        return server
    }

    @Test("a deferred handler answers from another thread, after its start returned")
    func answersLater() async throws {
        let dir = try TemporaryDirectory()
        let server = try Self.server(in: dir) { router in
            router.register("later", .deferred { request, responder in
                let echoed = request.payload ?? .emptyObject
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { responder.succeed(echoed) }
            })
        }
        defer { server.stop() }
        let client = MessageClient(socketPath: server.socketPath)
        defer { client.close() }
        let payload = try RawJSON(validating: Array(#"{"n":7}"#.utf8))
        let reply = try await client.send(.request("later", payload: payload), deadline: .seconds(5))
        #expect(reply.payload?.bytes == payload.bytes)
    }

    @Test("a responder dropped without an answer answers internal; a second answer is ignored")
    func droppedAndDoubleAnswers() async throws {
        let dir = try TemporaryDirectory()
        let server = try Self.server(in: dir) { router in
            router.register("dropped", .deferred { _, _ in })
            router.register("twice", .deferred { _, responder in
                responder.succeed(try? RawJSON(validating: Array(#"{"first":true}"#.utf8)))
                responder.fail(WireError.invalidArgument("second"))
            })
            router.onDeferred("typed", Empty.self) { _, _, completion in
                completion(Result<Empty, WireError>.failure(.notFound("nothing here")))
            }
        }
        defer { server.stop() }
        let client = MessageClient(socketPath: server.socketPath)
        defer { client.close() }
        do {
            _ = try await client.send(.request("dropped"), deadline: .seconds(5))
            Issue.record("a dropped request must be answered with an error")
        } catch {
            #expect(error.code == .remote)
            #expect(error.remote?.code == "internal")
        }
        let twice = try await client.send(.request("twice"), deadline: .seconds(5))
        #expect(twice.payload?.bytes == Array(#"{"first":true}"#.utf8))
        do {
            _ = try await client.send(.request("typed"), deadline: .seconds(5))
            Issue.record("a typed failure must reach the caller")
        } catch {
            #expect(error.remote?.code == "not_found")
        }
        // The ignored second answer sent nothing: the connection still pairs each request with its reply.
        let after = try await client.send(.request("twice"), deadline: .seconds(5))
        #expect(after.replyTo != nil && after.error == nil)
    }

    @Test("frames sent inside coalescingSends leave together when the scope ends, in order")
    func coalescedSends() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let connection = FramedConnection(fd: fds[0])
        defer { close(fds[1]) }
        let frames = (1...3).map { Envelope.request("f\($0)").frame() }
        func readable() -> Bool {
            var p = pollfd(fd: fds[1], events: Int16(POLLIN), revents: 0)
            return poll(&p, 1, 0) == 1
        }
        FramedConnection.coalescingSends {
            for frame in frames { #expect(connection.send(frame)) }
            FramedConnection.coalescingSends { #expect(connection.send(frames[0])) }  // nested: joins the outer scope
            #expect(!readable(), "nothing may leave before the scope ends")
        }
        #expect(readable())
        let expected = frames.flatMap { $0 } + frames[0]
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while received.count < expected.count {
            let n = read(fds[1], &buffer, buffer.count)
            guard n > 0 else { break }
            received += buffer[0..<n]
        }
        #expect(received == expected)
        // Outside a scope a frame is written at once.
        #expect(connection.send(frames[1]))
        #expect(readable())
    }
}
