import Foundation
import PackagePlugin

/// Embeds the files of a target's `Assets/` folder (scripts, styles, pages, documents) into the target
/// as Swift string constants, at build time.
///
/// The files stay files, where their own tools (a JS linter, a JSON validator, a browser) can read
/// them, and the binary still carries everything it serves: nothing to install beside it. SwiftPM's
/// `.embedInCode` resources would do the same but compile a large file as a byte array, which is slow;
/// the generator writes raw string literals instead (see `tools/embed-files`).
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let folder = target.directoryURL.appending(path: "Assets")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
        let inputs = names.map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [
            .buildCommand(displayName: "Embedding \(inputs.count) assets of \(target.name)",
                          executable: try context.tool(named: "embed-files").url,
                          arguments: [output.path] + inputs.map(\.path),
                          inputFiles: inputs, outputFiles: [output]),
        ]
    }
}
