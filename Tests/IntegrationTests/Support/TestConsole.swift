import Crypto
import Foundation
import HTTPTesting

/// The operator console of the test stacks: a tokens file with one token per role, and the console's
/// port as the gateway logs it. The stack's topology (`/admin/api/readiness`) and its metrics
/// (`/admin/api/metrics`) are read there, as an operator reads them.
enum TestConsole {
    static let readToken = "adm_test_read_0123456789abcdef0123456789abcdef"
    static let writeToken = "adm_test_write_0123456789abcdef0123456789abcde"

    static func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }
    static let readAuth = bearer(readToken)
    static let writeAuth = bearer(writeToken)

    /// The variables that open the console on a free port, with a tokens file (`reader read`,
    /// `writer write`) written into `dir`.
    static func environment(in dir: TemporaryDirectory) throws -> [String: String] {
        let file = dir.file("admin-tokens")
        let lines = [("reader", "read", readToken), ("writer", "write", writeToken)]
            .map { "\($0.0) \($0.1) \(Hex.encode(Digest.sha256(Array($0.2.utf8))))" }.joined(separator: "\n")
        try ("# test tokens\n" + lines + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return ["ADMIN_TOKENS_FILE": file, "ADMIN_PORT": "0"]
    }

    /// The console's port: the newest "operator console ready" line of the gateway's log (a gateway
    /// started again on the same log logs a new one).
    static func port(of gateway: ServiceProcess) throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            for line in gateway.log.split(separator: "\n").reversed() where line.contains("operator console ready") {
                if let range = line.range(of: #""admin.port":""#), let port = Int(line[range.upperBound...].prefix { $0.isNumber }) {
                    return port
                }
            }
            usleep(20_000)
        }
        throw ServiceFailure("the gateway did not log its console port:\n\(gateway.log)")
    }

    /// The detailed readiness (`GET /admin/api/readiness` with the read token): each service's state.
    static func readiness(_ gateway: ServiceProcess) throws -> HTTPTestResponse {
        try HTTPTestClient(port: port(of: gateway)).get("/admin/api/readiness", headers: readAuth)
    }

    /// The gateway's Prometheus text (`GET /admin/api/metrics` with the read token).
    static func metrics(_ gateway: ServiceProcess) throws -> HTTPTestResponse {
        try HTTPTestClient(port: port(of: gateway)).get("/admin/api/metrics", headers: readAuth)
    }
}
