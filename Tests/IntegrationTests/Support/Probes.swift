import Foundation
import Transport
import Wire

/// Runs SQL on a service's database with the sqlite3 shell; rows as lines (`|`-separated columns).
func sqlite(_ databasePath: String, _ query: String) throws -> [String] {
    let r = try runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", databasePath, query], environment: [:])
    guard r.status == 0 else { throw ServiceFailure("sqlite3 failed: \(r.stderr)") }
    return r.stdout.split(separator: "\n").map(String.init)
}

/// Polls an observable condition until it holds, or fails naming `what`.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw ServiceFailure("timed out after \(timeout) waiting for: \(what)")
}

/// One request to a service's socket; the reply's payload as JSON text, or its error.
func callService(_ socketPath: String, _ type: String, _ payload: String = "{}", traceID: String? = nil,
                 timeoutMs: Int = 30_000) throws -> Result<String, WireError> {
    let reply = try BlockingClient.call(path: socketPath,
                                        message: .request(type, payload: try RawJSON(validating: Array(payload.utf8)), traceID: traceID),
                                        timeoutMs: timeoutMs)
    if let error = reply.error { return .failure(error) }
    return .success((reply.payload ?? .emptyObject).description)
}

/// A JSON object's fields.
func jsonObject(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}
