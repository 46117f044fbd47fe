import Curl
import Foundation
import HTTPTesting

/// The real `stripe-emulator` executable started for one test on port 0 (the port is read from its
/// "HTTP server listening" log line), with a `/v1/` client and helpers for its test-helper API.
final class StripeEmulatorProcess: @unchecked Sendable {
    // Safe: every stored property is immutable after init; ChildProcess guards its own state.
    let process: ChildProcess
    let logPath: String
    let port: Int
    let client = HTTPClient(timeouts: ClientTimeouts(connect: .seconds(5), total: .seconds(20)))
    static let key = "sk_test_emulator_tests"

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    init(in dir: TemporaryDirectory, environment extra: [String: String] = [:]) throws {
        var env = ["PATH": "/usr/bin:/bin", "EMULATOR_PORT": "0", "EMULATOR_LOG_LEVEL": "debug"]
        env.merge(extra) { _, new in new }
        logPath = dir.file("emulator-\(UUID().uuidString.prefix(8)).log")
        process = try ChildProcess(executable: Binaries.path("stripe-emulator"), arguments: ["serve"], environment: env,
                                   outputPath: logPath)
        let deadline = ContinuousClock.now + .seconds(15)
        var found: Int?
        while found == nil {
            guard process.isRunning else {
                throw ServiceFailure("stripe-emulator exited with \(process.terminationStatus ?? -1):\n\((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
            }
            guard ContinuousClock.now < deadline else { throw ServiceFailure("stripe-emulator did not start") }
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            // Ready once it says so (the listening line comes first, the API is wired just after).
            if text.contains("stripe emulator ready"),
               let line = text.split(separator: "\n").first(where: { $0.contains("HTTP server listening") }),
               let range = line.range(of: #""http.port":""#) {
                found = Int(line[range.upperBound...].prefix { $0.isNumber })
            } else {
                usleep(5_000)
            }
        }
        port = found!
    }

    deinit {
        if process.isRunning {
            process.signal(SIGTERM)
            if process.waitForExit(timeout: .seconds(5)) == nil { process.signal(SIGKILL) }
        }
    }

    /// A `/v1/` call with form parameters (in order, brackets unescaped like the official clients send them).
    func stripe(_ method: String, _ path: String, _ params: [(String, String)] = [], key: String? = StripeEmulatorProcess.key,
                headers: [(String, String)] = []) throws -> HTTPTestResponse {
        let form = params.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        var all = headers
        if let key { all.append(("Authorization", "Bearer \(key)")) }
        let request: ClientRequest
        if method == "GET" || method == "DELETE" {
            request = ClientRequest(method: method, url: baseURL + path + (form.isEmpty ? "" : "?" + form), headers: all)
        } else {
            all.append(("Content-Type", "application/x-www-form-urlencoded"))
            request = ClientRequest(method: method, url: baseURL + path, headers: all, body: Array(form.utf8))
        }
        let r = try client.perform(request)
        return HTTPTestResponse(status: r.status, headers: r.headers.map { (name: $0.0, value: $0.1) }, body: r.body)
    }

    /// A test-helper call with a JSON body.
    func helper(_ method: String, _ path: String, json: [String: Any] = [:]) throws -> HTTPTestResponse {
        let body = method == "GET" ? [] : Array(try JSONSerialization.data(withJSONObject: json))
        let r = try client.perform(ClientRequest(method: method, url: baseURL + path,
                                                 headers: [("Content-Type", "application/json")], body: body))
        return HTTPTestResponse(status: r.status, headers: r.headers.map { (name: $0.0, value: $0.1) }, body: r.body)
    }

    /// The event types a helper answer lists.
    static func eventTypes(_ answer: [String: Any]) -> [String] {
        ((answer["events"] as? [[String: Any]]) ?? []).compactMap { $0["type"] as? String }
    }

    /// The delivery log (`GET /_emulator/deliveries`), optionally for one event.
    func deliveries(event: String? = nil) throws -> [[String: Any]] {
        let r = try helper("GET", "/_emulator/deliveries" + (event.map { "?event=\($0)" } ?? ""))
        return (r.json["data"] as? [[String: Any]]) ?? []
    }

    private static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~[]")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// Polls `condition` until it holds or `timeout` passes (readiness signals, not sleeps).
func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}

/// The venv interpreter with the official `stripe` client: `SHOP_VENV_PYTHON`, else
/// `<package root>/.venv-tools/bin/python`.
enum VenvPython {
    static let path: String = {
        if let p = ProcessInfo.processInfo.environment["SHOP_VENV_PYTHON"], !p.isEmpty { return p }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".venv-tools/bin/python").path
    }()

    /// `Tests/IntegrationTests/Scripts/<name>`.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/\(name)").path
    }

    static var environment: [String: String] { ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"] }

    /// Runs a script to completion.
    static func run(_ name: String, _ arguments: [String]) throws -> CommandResult {
        try runCommand(path, [script(name)] + arguments, environment: environment, timeout: .seconds(60))
    }
}

/// `Scripts/emulator_webhook_receiver.py`: a loopback endpoint that verifies each delivery with
/// `stripe.Webhook.construct_event` and logs it; the first `failFirst` requests are answered 500.
final class WebhookReceiver: @unchecked Sendable {
    // Safe: immutable after init.
    let process: ChildProcess
    let port: Int
    let logPath: String
    let secret: String

    var url: String { "http://127.0.0.1:\(port)/webhooks/stripe" }

    init(in dir: TemporaryDirectory, secret: String, failFirst: Int = 0) throws {
        let portFile = dir.file("receiver-\(UUID().uuidString.prefix(8)).port")
        logPath = dir.file("receiver-\(UUID().uuidString.prefix(8)).jsonl")
        self.secret = secret
        let child = try ChildProcess(executable: VenvPython.path,
                                     arguments: [VenvPython.script("emulator_webhook_receiver.py"), portFile, logPath, secret, String(failFirst)],
                                     environment: VenvPython.environment, outputPath: dir.file("receiver.out"))
        process = child
        var found: Int?
        _ = eventually(timeout: .seconds(20)) {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            return found != nil || !child.isRunning
        }
        guard let found else { throw ServiceFailure("the webhook receiver did not start (\(VenvPython.path))") }
        port = found
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: .seconds(5))
    }

    /// Every request received so far.
    var records: [[String: Any]] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}
