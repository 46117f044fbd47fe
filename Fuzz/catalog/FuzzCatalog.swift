// Fuzz target `catalog`: fulfillment's catalog reader (Services/fulfillment/Catalog.swift and its own JSON
// reader, PositionedJSON.swift), on any file.
//
// Invariants:
// - never crashes; a refusal names a line >= 1;
// - an accepted catalog obeys every rule the reader promises (non-empty, SKUs unique and of
//   [A-Za-z0-9._-]{1,64}, amounts 1...99_999_999, currencies three lowercase letters, stock
//   0...1_000_000_000, names 1...200 characters without control characters, descriptions <= 1000);
// - two readers, one file: whatever the catalog reader accepts, the services' JSON reader (Shared/Wire)
//   accepts too (after a UTF-8 BOM, which only the catalog allows) and reads the same products. So the
//   two readers cannot disagree on duplicate keys, canonically equivalent keys or numbers.
@testable import FuzzFulfillmentCatalog
@testable import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCatalog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let catalog: Catalog
    do {
        catalog = try Catalog.parse(bytes)
    } catch {
        require(error.line >= 1, "a refusal at line \(error.line)")
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

    // The services' reader on the same bytes.
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    let tree: JSONValue
    do {
        tree = try JSONValue.parse(body)
    } catch {
        require(false, "the catalog reader accepts a file the services' JSON reader refuses (\(error.description))")
        return 0
    }
    guard case .object(let top) = tree, top.keys.count == 1, case .array(let items)? = top.value(for: "products"),
          items.count == catalog.entries.count else {
        require(false, "the services' JSON reader sees other products")
        return 0
    }
    for (item, e) in zip(items, catalog.entries) {
        guard case .object(let o) = item else { require(false, "a product is not an object there"); return 0 }
        func string(_ k: String) -> String? { if case .string(let s)? = o.value(for: k) { s } else { nil } }
        func int(_ k: String) -> Int? { if case .number(let t)? = o.value(for: k) { Int(t) } else { nil } }
        require(string("sku").map { $0.utf8.elementsEqual(e.sku.utf8) } == true, "sku differs: \(e.sku)")
        require(string("name").map { $0.utf8.elementsEqual(e.name.utf8) } == true, "name differs: \(e.name)")
        require(string("currency") == e.currency && int("unit_amount") == e.unitAmount && int("stock") == e.stock,
                "amount, currency or stock differ for \(e.sku)")
        let description = string("description")
        require(description.map { d in e.description.map { $0.utf8.elementsEqual(d.utf8) } ?? false } ?? (e.description == nil),
                "description differs for \(e.sku)")
    }
    return 0
}
