// Fuzz target `catalog`: fulfillment's catalog reader (Services/fulfillment/Catalog.swift), which reads
// the file with the services' JSON reader (Shared/Wire's ParsedJSON) and its byte offsets, on any file.
//
// Invariants:
// - never crashes; a refusal names a line of the file (1 to the number of lines);
// - an accepted catalog obeys every rule the reader promises (non-empty, SKUs unique and of
//   [A-Za-z0-9._-]{1,64}, amounts 1...99_999_999, currencies three lowercase letters, stock
//   0...1_000_000_000, names 1...200 characters without control characters, descriptions <= 1000);
// - the offsets a line is computed from are right: the reader accepts a file with offsets exactly when
//   it accepts it without (failing at the same byte), and every value's offset is the first byte of a
//   value of that kind, strictly increasing in document order. So a line number points at the value.
import Wire
@testable import FuzzFulfillmentCatalog

/// Checks `node`'s offset and its children's; returns the last offset seen.
private func checkOffsets(_ node: ParsedJSON, _ bytes: [UInt8], after previous: Int) -> Int {
    guard let offset = node.offset, offset > previous, offset < bytes.count else {
        require(false, "offset \(String(describing: node.offset)) after \(previous) in \(bytes.count) bytes")
        return Int.max
    }
    let b = bytes[offset]
    let ok: Bool = switch node.kind {
    case "an object": b == UInt8(ascii: "{")
    case "an array": b == UInt8(ascii: "[")
    case "a string": b == UInt8(ascii: "\"")
    case "a boolean": b == UInt8(ascii: "t") || b == UInt8(ascii: "f")
    case "null": b == UInt8(ascii: "n")
    default: b == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
    }
    require(ok, "\(node.kind) at byte \(offset) starts with \(b)")
    var last = offset
    for child in node.members?.map(\.value) ?? node.elements ?? [] { last = checkOffsets(child, bytes, after: last) }
    return last
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCatalog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // The offsets behind the lines: the same answer with and without them, each at its value.
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    let plain = Result { () throws(ParsedJSON.SyntaxError) in try ParsedJSON.parse(body, recordingOffsets: false) }
    let positioned = Result { () throws(ParsedJSON.SyntaxError) in try ParsedJSON.parse(body, recordingOffsets: true) }
    switch (plain, positioned) {
    case (.success(let p), .success(let tree)):
        require(p.offset == nil && p.kind == tree.kind, "the reader reads differently with offsets")
        _ = checkOffsets(tree, body, after: -1)
    case (.failure(let a), .failure(let b)):
        require(a.offset == b.offset && a.message == b.message, "with offsets the reader fails elsewhere: \(a) / \(b)")
    default:
        require(false, "the reader accepts with offsets what it refuses without, or the reverse")
    }
    let catalog: Catalog
    do {
        catalog = try Catalog.parse(bytes)
    } catch {
        let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        require((1...lines).contains(error.line), "a refusal at line \(error.line) of \(lines)")
        _ = error.description
        return 0
    }
    require(!catalog.entries.isEmpty, "an empty catalog was accepted")
    var skus = Set<[UInt8]>()
    for e in catalog.entries {
        require((1...64).contains(e.sku.utf8.count) && e.sku.utf8.allSatisfy { b in
            b == 0x2D || b == 0x2E || b == 0x5F || (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }, "accepted SKU \(show(Array(e.sku.utf8)))")
        require(skus.insert(Array(e.sku.utf8)).inserted, "SKU \(e.sku) accepted twice")
        require((1...Catalog.maxUnitAmount).contains(e.unitAmount), "accepted unit_amount \(e.unitAmount)")
        require((0...Catalog.maxStock).contains(e.stock), "accepted stock \(e.stock)")
        require(e.currency.utf8.count == 3 && e.currency.utf8.allSatisfy { (0x61...0x7A).contains($0) }, "accepted currency \(e.currency)")
        require(e.name.count <= 200 && !e.name.unicodeScalars.contains { $0.value < 0x20 }, "accepted name \(show(Array(e.name.utf8)))")
        require((e.description?.count ?? 0) <= 1000, "accepted a description of \(e.description?.count ?? 0) characters")
    }

    return 0
}
