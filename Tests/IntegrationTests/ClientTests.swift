import Foundation
import Testing
import Transport
import Wire

/// The service-to-service client against real processes: deadlines, a peer that vanishes, reconnection.
@Suite("Client against live services")
struct ClientTests {
    private func delayed(_ ms: Int) throws -> Envelope {
        .request("sys.ping", payload: try RawJSON(validating: Array(#"{"delay_ms":\#(ms)}"#.utf8)))
    }

    @Test("a call past its deadline fails with deadline_exceeded; the connection stays usable")
    func deadline() async throws {
        let dir = try TemporaryDirectory()
        let service = try ServiceProcess("notifier", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
        let client = MessageClient(socketPath: service.socketPath)
        defer { client.close() }
        let slow = try delayed(2_000)
        do {
            _ = try await client.send(slow, deadline: .milliseconds(100))
            Issue.record("expected a deadline error")
        } catch {
            #expect(error.code == .deadlineExceeded)
        }
        let reply = try await client.send(.request("sys.ping"), deadline: .seconds(2))
        #expect(reply.error == nil)
    }

    @Test("a remote error is reported as remote with the service's code")
    func remoteError() async throws {
        let dir = try TemporaryDirectory()
        let service = try ServiceProcess("notifier", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
        let client = MessageClient(socketPath: service.socketPath)
        defer { client.close() }
        do {
            _ = try await client.send(.request("nope"))
            Issue.record("expected a remote error")
        } catch {
            #expect(error.code == .remote)
            #expect(error.remote?.code == "unknown_type")
        }
    }

    @Test("no service: unavailable, not a deadline")
    func unavailable() async throws {
        let dir = try TemporaryDirectory()
        let client = MessageClient(socketPath: dir.file("missing.sock"))
        do {
            _ = try await client.send(.request("sys.ping"), deadline: .milliseconds(300))
            Issue.record("expected unavailable")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("no socket"))
        }
    }

    @Test("a peer killed mid-call fails pending calls as unavailable; the client reconnects after restart")
    func droppedPeer() async throws {
        let dir = try TemporaryDirectory()
        let service = try ServiceProcess("notifier", environment: ServiceProcess.environment(in: dir), logDirectory: dir)
        let client = MessageClient(socketPath: service.socketPath)
        defer { client.close() }
        _ = try await client.send(.request("sys.ping"))
        let slow = try delayed(5_000)
        let pending = Task { () -> Result<Envelope, ClientError> in
            do throws(ClientError) { return .success(try await client.send(slow, deadline: .seconds(10))) } catch { return .failure(error) }
        }
        // Readiness signal: the call is registered as in flight on the live connection.
        while client.inFlightCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
        let crashedAt = ContinuousClock.now
        service.crash()
        let result = await pending.value
        guard case .failure(let error) = result else {
            Issue.record("call to a killed service should fail")
            return
        }
        #expect(ContinuousClock.now - crashedAt < .seconds(3), "pending calls must fail when the peer vanishes, not at their deadline")
        #expect(error.code == .unavailable)
        try service.restart()
        let reply = try await client.send(.request("sys.ping"), deadline: .seconds(3))
        #expect(reply.error == nil)
    }
}
