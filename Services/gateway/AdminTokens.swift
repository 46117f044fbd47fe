import Crypto
import FoundationEssentials

/// The console's bearer tokens: `ADMIN_TOKENS_FILE`, one `name role sha256-hex` line per token (blank
/// lines and `#` comments ignored). Only hashes are stored; a token is shown once, when created.
struct AdminTokens: Sendable {
    enum Role: String, Sendable {
        case read, write
    }

    struct Entry: Sendable {
        var name: String
        var role: Role
        var hash: [UInt8]
    }

    /// Who a request acts as.
    struct Operator: Sendable, Equatable {
        var name: String
        var role: Role
    }

    let entries: [Entry]

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses the file's text; a bad line is an error naming its number (never its hash).
    static func parse(_ text: String) throws(Problem) -> AdminTokens {
        var entries: [Entry] = [], names: Set<String> = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard fields.count == 3 else { throw Problem(description: "line \(n + 1): expected 'name role sha256-hex'") }
            let name = String(fields[0])
            guard isName(name) else { throw Problem(description: "line \(n + 1): the name must be 1 to 64 of A-Z a-z 0-9 . _ -") }
            guard let role = Role(rawValue: String(fields[1])) else { throw Problem(description: "line \(n + 1): the role must be read or write") }
            guard fields[2].count == 64, let hash = Hex.decode(fields[2]) else {
                throw Problem(description: "line \(n + 1): the hash must be 64 hex digits (a SHA-256 of the token)")
            }
            guard names.insert(name).inserted else { throw Problem(description: "line \(n + 1): the name '\(name)' repeats") }
            entries.append(Entry(name: name, role: role, hash: hash))
        }
        return AdminTokens(entries: entries)
    }

    /// Reads and parses the file.
    static func load(path: String) throws(Problem) -> AdminTokens {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Problem(description: "cannot read \(path): \(error)")
        }
        return try parse(String(decoding: data, as: UTF8.self))
    }

    static func isName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// The operator a token belongs to. Every entry is compared, in constant time, so the time taken does
    /// not tell which entry (or how much of a hash) matched.
    func authenticate(_ token: String) -> Operator? {
        guard !token.isEmpty, token.utf8.count <= 512 else { return nil }
        let hash = Digest.sha256(Array(token.utf8))
        var found: Operator?
        for entry in entries where Digest.constantTimeEqual(entry.hash, hash) {
            found = Operator(name: entry.name, role: entry.role)
        }
        return found
    }

    /// A new random token (`adm_` + 64 hex digits) and its file line.
    static func create(name: String, role: Role) -> (token: String, line: String) {
        let token = "adm_" + Hex.encode(Digest.randomBytes(32))
        return (token, "\(name) \(role.rawValue) \(Hex.encode(Digest.sha256(Array(token.utf8))))")
    }
}
