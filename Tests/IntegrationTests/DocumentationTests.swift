import Foundation
import Testing

/// README is where a user looks up a variable or a command: it must list every one the executables read
/// or offer, and nothing they no longer do.
@Suite("Documentation")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let executables = ["gateway", "payments", "fulfillment", "notifier", "stripe-emulator"]

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Each executable's `--help`.
    static func helps() throws -> [String: String] {
        var helps: [String: String] = [:]
        for name in executables {
            let r = try runCommand(Binaries.path(name), ["--help"], environment: [:])
            #expect(r.status == 0, "\(name) --help: \(r.stderr)")
            helps[name] = r.stdout + r.stderr
        }
        return helps
    }

    /// The variable names of a help text's environment section: the first word of its indented lines.
    static func variables(inHelp help: String) -> [String] {
        var inSection = false
        var names: [String] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.lowercased().hasPrefix("environment:") { inSection = true; continue }
            guard inSection else { continue }
            guard line.hasPrefix("  ") else { if !line.isEmpty { inSection = false }; continue }
            let word = line.drop { $0 == " " }.prefix { !$0.isWhitespace }
            if !word.isEmpty, word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) { names.append(String(word)) }
        }
        return names
    }

    @Test("every variable an executable's --help lists is in README, and every variable README's tables list is read by an executable or a script")
    func variables() throws {
        let readme = try Self.text("README.md")
        let helps = try Self.helps()
        var listed = Set<String>()
        for (name, help) in helps {
            let names = Self.variables(inHelp: help)
            #expect(names.count >= 8, "\(name) --help lists too few variables to have been parsed: \(names)")
            for variable in names {
                listed.insert(variable)
                let documented = readme.contains("`\(variable)`")
                #expect(documented, "\(name) reads \(variable), which README does not list")
            }
        }
        // README's table rows name variables in their first cell, several to a cell at times.
        let scripts = try ["scripts/run", "scripts/test", "scripts/lib.sh", "scripts/fuzz", "compose/docker-compose.yml", "compose/test.sh"]
            .map(Self.text).joined(separator: "\n")
        for row in readme.split(separator: "\n") where row.hasPrefix("| `") {
            let cell = row.dropFirst(2).prefix { $0 != "|" }
            for variable in cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter({ $0.offset % 2 == 1 }).map({ String($0.element) })
            where variable.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) && variable.contains("_") {
                let read = listed.contains(variable) || scripts.contains(variable)
                #expect(read, "README lists \(variable), which no executable's --help nor any script mentions")
            }
        }
    }

    @Test("every command a service's --help offers is in README's table of commands")
    func commands() throws {
        let readme = try Self.text("README.md")
        for (name, help) in try Self.helps() where name != "stripe-emulator" {
            var offered: [String] = []
            for line in help.split(separator: "\n") where line.hasPrefix("  \(name) ") {
                let word = line.dropFirst(name.count + 3).prefix { !$0.isWhitespace }
                guard !word.isEmpty, !word.hasPrefix("-"), !word.hasPrefix("["), !["serve", "health"].contains(word) else { continue }
                offered.append(String(word))
            }
            for command in offered {
                // A row may list several of a service's commands: "| `notifier failures` / `deliveries` |".
                let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `\(name) ") }
                let documented = readme.contains("`\(name) \(command)") || rows.contains { $0.contains("/ `\(command)") }
                #expect(documented, "\(name) \(command) is not in README's commands")
            }
        }
    }
}
