import Messages
import Storage
import Wire

/// The products on sale as read from a catalog file (`CATALOG_FILE`, else the embedded
/// ``DefaultCatalog``). The file decides what is sold and at what price; stock lives in the database
/// (see ``Catalog/seed(_:now:)``).
struct Catalog: Sendable, Equatable {
    /// One product as written in the file.
    struct Entry: Sendable, Equatable {
        var sku: String
        var name: String
        var description: String?
        var unitAmount: Int
        var currency: String
        /// Units on hand when the SKU is first seen.
        var stock: Int
    }

    /// A refused file: the line and the field at fault.
    struct Problem: Error, CustomStringConvertible {
        var line: Int
        var field: String
        var message: String
        var description: String { "line \(line): \(field.isEmpty ? "" : field + ": ")\(message)" }
    }

    var entries: [Entry]

    /// Largest amount Stripe accepts for most currencies (8 digits in the minor unit).
    static let maxUnitAmount = 99_999_999
    static let maxStock = 1_000_000_000

    /// Parses and validates a catalog file:
    /// `{"products":[{"sku","name","description"?,"unit_amount","currency","stock"}, ...]}`.
    /// Unknown fields are refused (a typo such as `price` must not silently drop a value).
    static func parse(_ bytes: [UInt8]) throws(Problem) -> Catalog {
        // A UTF-8 BOM some editors write is allowed (and has no newline, so lines stay the same).
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        let lines = LineIndex(body)
        func line(_ node: ParsedJSON) -> Int { lines.line(at: node.offset ?? 0) }
        // The services' own reader, strict as for every message, with offsets for the line numbers.
        let root: ParsedJSON
        do {
            root = try ParsedJSON.parse(body, recordingOffsets: true)
        } catch {
            // A key given twice in one object is refused by the reader itself, which never picks one.
            if let key = error.duplicateKey {
                throw Problem(line: lines.line(at: error.offset), field: key, message: "given twice")
            }
            throw Problem(line: lines.line(at: error.offset), field: "", message: "not valid JSON: \(error.message)")
        }
        guard let top = root.members else {
            throw Problem(line: line(root), field: "", message: "expected an object {\"products\": [...]}, found \(root.kind)")
        }
        // Keys are compared byte for byte, as the services' JSON reader does: Swift's `==` would take
        // "stoc\u{212A}" (KELVIN SIGN) for "stock".
        for member in top where !same(member.key, "products") {
            throw Problem(line: line(member.value), field: member.key, message: "unknown field (expected only \"products\")")
        }
        guard let productsNode = top.first?.value else {
            throw Problem(line: line(root), field: "products", message: "missing")
        }
        guard let items = productsNode.elements else {
            throw Problem(line: line(productsNode), field: "products", message: "expected an array, found \(productsNode.kind)")
        }
        guard !items.isEmpty else { throw Problem(line: line(productsNode), field: "products", message: "must not be empty") }
        var entries: [Entry] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "products[\(index)]"
            guard let fields = item.members else {
                throw Problem(line: line(item), field: path, message: "expected an object, found \(item.kind)")
            }
            var byName: [String: ParsedJSON] = [:]
            for f in fields {
                guard let known = fieldNames.first(where: { same($0, f.key) }) else {
                    throw Problem(line: line(f.value), field: "\(path).\(f.key)",
                                  message: "unknown field (expected sku, name, description, unit_amount, currency, stock)")
                }
                byName[known] = f.value
            }
            func required(_ key: String) throws(Problem) -> ParsedJSON {
                guard let n = byName[key] else { throw Problem(line: line(item), field: "\(path).\(key)", message: "missing") }
                return n
            }
            func string(_ key: String, _ node: ParsedJSON) throws(Problem) -> String {
                guard let s = node.string else {
                    throw Problem(line: line(node), field: "\(path).\(key)", message: "expected a string, found \(node.kind)")
                }
                return s
            }
            func integer(_ key: String, _ node: ParsedJSON, _ range: ClosedRange<Int>, _ what: String) throws(Problem) -> Int {
                guard let text = node.numberText, let n = Int(text), range.contains(n) else {
                    throw Problem(line: line(node), field: "\(path).\(key)",
                                  message: "expected \(what), an integer from \(range.lowerBound) to \(range.upperBound); found \(node.numberText ?? node.kind)")
                }
                return n
            }

            let skuNode = try required("sku")
            let sku = try string("sku", skuNode)
            // The rule orders are checked by: a SKU no order could name is refused here.
            guard OrderRules.isValidSKU(sku) else {
                throw Problem(line: line(skuNode), field: "\(path).sku", message: "expected 1 to 64 characters of A-Z a-z 0-9 . _ -; found \"\(sku)\"")
            }
            if let first = seen[sku] {
                throw Problem(line: line(skuNode), field: "\(path).sku", message: "\"\(sku)\" is already used by products[\(first)]")
            }
            seen[sku] = index
            let nameNode = try required("name")
            let name = try string("name", nameNode)
            guard !name.trimmingSpaces.isEmpty, name.count <= 200, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw Problem(line: line(nameNode), field: "\(path).name", message: "expected 1 to 200 characters without control characters")
            }
            var description: String?
            if let d = byName["description"] {
                if d.isNull { description = nil } else {
                    description = try string("description", d)
                    guard description!.count <= 1000 else {
                        throw Problem(line: line(d), field: "\(path).description", message: "longer than 1000 characters")
                    }
                }
            }
            let unitAmount = try integer("unit_amount", try required("unit_amount"), 1...maxUnitAmount, "the price in the currency's minor unit")
            let currencyNode = try required("currency")
            let currency = try string("currency", currencyNode)
            guard currency.utf8.count == 3, currency.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) else {
                throw Problem(line: line(currencyNode), field: "\(path).currency",
                              message: "expected a lowercase three-letter ISO 4217 code such as \"usd\"; found \"\(currency)\"")
            }
            let stock = try integer("stock", try required("stock"), 0...maxStock, "the units on hand")
            entries.append(Entry(sku: sku, name: name, description: description, unitAmount: unitAmount,
                                 currency: currency, stock: stock))
        }
        return Catalog(entries: entries)
    }

    private static let fieldNames = ["sku", "name", "description", "unit_amount", "currency", "stock"]

    /// Byte-for-byte equality of two keys (no Unicode normalisation).
    private static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Brings the `products` table in line with this catalog, inside the caller's transaction.
    ///
    /// - A SKU seen for the first time is inserted with the file's `stock`.
    /// - A known SKU takes the file's name, description, price and currency (for new orders; existing
    ///   orders keep the lines they were priced with) but **keeps its stock, reservations and sales**:
    ///   restarting with the same file never resets stock. Operators change stock with
    ///   `fulfillment catalog set-stock SKU N`.
    /// - A SKU no longer in the file is marked inactive: not listed, not orderable, but kept so its
    ///   open orders can still be fulfilled or released.
    /// Returns (inserted, updated, deactivated).
    func seed(_ c: Connection, now: Int64) throws -> (Int, Int, Int) {
        var inserted = 0, updated = 0
        for (position, e) in entries.enumerated() {
            let exists = try c.queryOne("SELECT 1 AS x FROM products WHERE sku = ?", e.sku) != nil
            if exists {
                updated += try c.execute("""
                    UPDATE products SET name = ?, description = ?, unit_amount = ?, currency = ?, position = ?, active = 1,
                        updated_at = ?
                    WHERE sku = ? AND (name IS NOT ? OR description IS NOT ? OR unit_amount != ? OR currency != ?
                                       OR position != ? OR active != 1)
                    """, e.name, e.description, e.unitAmount, e.currency, position, now,
                    e.sku, e.name, e.description, e.unitAmount, e.currency, position)
            } else {
                inserted += try c.execute("""
                    INSERT INTO products(sku, name, description, unit_amount, currency, stock, reserved, sold, position, active, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, 1, ?)
                    """, e.sku, e.name, e.description, e.unitAmount, e.currency, e.stock, position, now)
            }
        }
        let skus = entries.map(\.sku)
        let placeholders = Array(repeating: "?", count: skus.count).joined(separator: ",")
        let deactivated = try c.execute("UPDATE products SET active = 0, updated_at = ? WHERE active = 1 AND sku NOT IN (\(placeholders))",
                                        parameters: [now] + skus)
        return (inserted, updated, deactivated)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}

/// The 1-based line of a byte offset in a file: where each line starts, searched by bisection.
struct LineIndex {
    private var starts: [Int] = [0]

    init(_ bytes: [UInt8]) {
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
    }

    func line(at offset: Int) -> Int {
        // The number of lines that start at or before `offset`.
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= offset { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension Catalog {
    /// Sets a SKU's units on hand, never below the units open orders reserve. Returns 1 when set, 0 when
    /// the SKU is unknown or `stock` is below its reserved units. Used by `catalog set-stock` and the console.
    static func setStock(_ c: Connection, sku: String, stock: Int) throws -> Int {
        try c.execute("UPDATE products SET stock = ?1 WHERE sku = ?2 AND reserved <= ?1", stock, sku)
    }
}
