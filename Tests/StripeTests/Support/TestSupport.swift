import Foundation
import Stripe

/// Paths and helpers shared by the Stripe tests. Nothing here reads `../shared`: fixtures are in
/// `Tests/Fixtures`, scripts in `Tests/StripeTests/Scripts`.
enum TestPaths {
    /// `Tests/StripeTests`.
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    /// The package root.
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/stripe")
    static let scripts = testsDirectory.appendingPathComponent("Scripts")

    /// The interpreter that has stripe-python 16.1.0: `SHOP_VENV_PYTHON`, else `.venv-tools/bin/python`.
    static var python: String {
        if let env = ProcessInfo.processInfo.environment["SHOP_VENV_PYTHON"], !env.isEmpty { return env }
        return packageRoot.appendingPathComponent(".venv-tools/bin/python").path
    }
}

enum Fixture {
    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: TestPaths.fixtures.appendingPathComponent(name)))
    }

    /// `resources[name]` of openapi-fixtures3.json, as a JSON object.
    static func resource(_ name: String) throws -> [String: Any] {
        let all = try JSONSerialization.jsonObject(with: Data(try bytes("openapi-fixtures3.json"))) as? [String: Any]
        guard let object = (all?["resources"] as? [String: Any])?[name] as? [String: Any] else {
            throw StubError("openapi-fixtures3.json has no resources[\(name)]")
        }
        return object
    }

    static func json(_ object: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]))
    }

    /// The localstripe `payment_intent.succeeded` delivery and its header and secret (from the fixtures README).
    static let localstripeBodyName = "localstripe-payment_intent.succeeded.json"
    static let localstripeHeader = "t=1795276603,v1=3a94e785b3e48d445ffba5d25c300a79c3daf301bac22a4a8b0c52aa0e353db1"
    static let localstripeSecret = "whsec_test_r2"
    static let localstripeTimestamp: Int64 = 1795276603
}

/// Runs a script from `Tests/StripeTests/Scripts` with the stripe-python interpreter, `stdin` as its
/// input, and returns its stdout. Fails (never skips) when python or the script fails.
enum Python {
    static func run(_ script: String, arguments: [String] = [], stdin: [UInt8] = []) async throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stripetests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("stdin"), output = dir.appendingPathComponent("stdout"),
            errors = dir.appendingPathComponent("stderr")
        try Data(stdin).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.python)
        process.arguments = [TestPaths.scripts.appendingPathComponent(script).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["no_proxy"] = "127.0.0.1,localhost"
        process.environment = environment
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw StubError("\(script) exited with \(status) (python \(TestPaths.python)): \(stderr)")
        }
        return Array(try Data(contentsOf: output))
    }

    /// Runs a script that reads one JSON document on stdin and prints one on stdout.
    static func json(_ script: String, _ input: Any) async throws -> Any {
        let out = try await run(script, stdin: try Fixture.json(input))
        return try JSONSerialization.jsonObject(with: Data(out))
    }
}
