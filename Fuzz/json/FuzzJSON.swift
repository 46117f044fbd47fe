// Fuzz target `json`: the JSON reader (JSONScanner -> JSONValue -> JSONValueDecoder), differentially
// against Foundation, plus writer -> reader round trips.
//
// Invariants:
// 1. When both our reader and Foundation's JSONSerialization accept a text, they read the same value:
//    same kinds, same strings (scalar by scalar), same numbers, same array lengths, same members.
// 2. Whatever our reader accepts, JSONSerialization accepts too (we are never the more lenient one).
// 3. Decoding a probe type: when our decoder succeeds, JSONDecoder succeeds with an equal value.
// 4. Round trips: our tree written back with JSONWriter reads as the identical tree (keys and strings
//    byte for byte, numbers as the same literal); a decoded probe re-encoded with JSONValueEncoder
//    decodes to an equal probe.
//
// Deliberate differences from Foundation, and why (these inputs are skipped, not errors):
// - Duplicate keys: we refuse the whole text, JSONDecoder keeps the first and JSONSerialization one of
//   them. Two readers of a payment message must not see two different values.
// - Canonically equivalent keys (`"é"` and `"e\u0301"`, or KELVIN SIGN and `K`): we keep them apart and
//   match CodingKeys byte for byte; Foundation's dictionaries merge them. Keys are identifiers, not text
//   to display; RFC 8259 §8.3 compares names by code units.
// - Depth: we refuse nesting deeper than 64 (JSONScanner.maxDepth): frames come from other services and
//   from the internet, and recursion depth is stack. Foundation allows more, so only invariant 1 applies.
// - Encodings: we read UTF-8 only; Foundation also detects UTF-16/32 and a BOM. Only invariant 1 applies.
// - Numbers: we keep the literal and convert it once, to the type asked for; JSONSerialization converts
//   every number up front (and may refuse one that no Swift number holds, e.g. 1e400, which we accept as
//   a literal and refuse only when decoded). Numbers compare as Double when both sides have one.
// - Foundation quirk, not ours: JSONDecoder refuses some zeros written with an exponent as Float or
//   Double (`0e9`, `0.00e9`, `-0.0e9`, `0.00e-9`) while taking others (`0e10`, `0.0e9`, `0.0000e12`), and
//   takes all of them as Int; we read every one as 0. Probes with a zero literal that has an exponent
//   are skipped.
import Foundation
@testable import Wire

private struct Probe: Codable, Equatable {
    var i: Int?
    var i8: Int8?
    var u: UInt64?
    var d: Double?
    var f: Float?
    var s: String?
    var b: Bool?
    var a: [Int16]?
    var m: [String: Int32]?
    var K: String?
    var n: [Probe]?
}

private let probeKeys: Set<String> = ["i", "i8", "u", "d", "f", "s", "b", "a", "m", "K", "n"]

/// True if some object in `value` has a key that is canonically equivalent to another key, or to a
/// probe key, without being the same bytes: the documented difference, where comparison stops.
private func hasEquivalentKeys(_ value: JSONValue) -> Bool {
    switch value {
    case .object(let o):
        if Set(o.keys).count != o.keys.count { return true }
        for k in o.keys where probeKeys.contains(k) && !probeKeys.contains(where: { $0.utf8.elementsEqual(k.utf8) }) { return true }
        for k in o.keys {
            // Keys that Swift's Dictionary could merge with a probe key after normalisation.
            if !k.unicodeScalars.allSatisfy(\.isASCII), probeKeys.contains(k) { return true }
        }
        return o.values.contains(where: hasEquivalentKeys)
    case .array(let items): return items.contains(where: hasEquivalentKeys)
    default: return false
    }
}

/// True if some number in `value` is a zero written with an exponent (`0e9`, `-0.00e9`), which
/// JSONDecoder refuses or takes depending on the digits.
private func hasFoundationZeroQuirk(_ value: JSONValue) -> Bool {
    switch value {
    case .number(let t):
        guard let e = t.utf8.firstIndex(where: { $0 | 0x20 == UInt8(ascii: "e") }) else { return false }
        return t.utf8[..<e].allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    case .object(let o): return o.values.contains(where: hasFoundationZeroQuirk)
    case .array(let a): return a.contains(where: hasFoundationZeroQuirk)
    default: return false
    }
}

private func depth(_ value: JSONValue) -> Int {
    switch value {
    case .object(let o): 1 + (o.values.map(depth).max() ?? 0)
    case .array(let a): 1 + (a.map(depth).max() ?? 0)
    default: 0
    }
}

private func same(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

/// Invariant 1: our tree against JSONSerialization's.
private func compare(_ ours: JSONValue, _ theirs: Any, _ path: String) {
    switch ours {
    case .null:
        require(theirs is NSNull, "\(path): null vs \(type(of: theirs))")
    case .bool(let b):
        require((theirs as? NSNumber).map { $0.boolValue == b } == true, "\(path): \(b) vs \(theirs)")
    case .number(let text):
        guard let n = theirs as? NSNumber else { require(false, "\(path): number \(text) vs \(type(of: theirs))"); return }
        guard let d = Double(text), d.isFinite else { return }
        let t = n.doubleValue
        if d == t { return }
        // Large integers may be held exactly as Int64/UInt64 by Foundation; both are then exact.
        if let i = Int64(text) { require(n.int64Value == i, "\(path): \(text) vs \(n)"); return }
        if let u = UInt64(text) { require(n.uint64Value == u, "\(path): \(text) vs \(n)"); return }
        // JSONSerialization does not round very long literals correctly (ours is Swift's correctly rounded
        // Double(String)), so a relative difference of 1e-12 is allowed.
        let tolerance = Swift.max(abs(d), abs(t)) * 1e-12
        require(abs(d - t) <= tolerance || (d == 0 && t == 0), "\(path): number \(text) read as \(d) vs \(t)")
    case .string(let s):
        require((theirs as? String).map { same($0, s) } == true, "\(path): string \(show(Array(s.utf8))) vs \(theirs)")
    case .array(let items):
        guard let array = theirs as? [Any] else { require(false, "\(path): array vs \(type(of: theirs))"); return }
        require(array.count == items.count, "\(path): \(items.count) elements vs \(array.count)")
        for (k, (x, y)) in zip(items, array).enumerated() { compare(x, y, "\(path)[\(k)]") }
    case .object(let object):
        guard let dict = theirs as? [String: Any] else { require(false, "\(path): object vs \(type(of: theirs))"); return }
        if Set(object.keys).count != object.keys.count { return }  // canonically equivalent keys: merged there
        require(dict.count == object.keys.count, "\(path): \(object.keys.count) members vs \(dict.count)")
        for (k, v) in zip(object.keys, object.values) {
            guard let other = dict[k] else { require(false, "\(path): member \(show(Array(k.utf8))) missing"); return }
            compare(v, other, "\(path).\(k)")
        }
    }
}

private func write(_ value: JSONValue, to w: inout JSONWriter) {
    switch value {
    case .null: w.null()
    case .bool(let b): w.bool(b)
    case .number(let text): w.raw(Array(text.utf8))
    case .string(let s): w.string(s)
    case .array(let items):
        w.beginArray()
        for item in items { write(item, to: &w) }
        w.endArray()
    case .object(let object):
        w.beginObject()
        for (k, v) in zip(object.keys, object.values) {
            w.key(k)
            write(v, to: &w)
        }
        w.endObject()
    }
}

/// Byte-exact equality of two trees.
private func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.number(let x), .number(let y)): x.utf8.elementsEqual(y.utf8)
    case (.string(let x), .string(let y)): x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy(identical)
    case (.object(let x), .object(let y)):
        x.keys.count == y.keys.count && zip(x.keys, y.keys).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
            && zip(x.values, y.values).allSatisfy(identical)
    default: false
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Parsed straight from libFuzzer's exactly-sized buffer, so AddressSanitizer sees any overread.
    let ours = try? JSONValue.parse(UnsafeBufferPointer(start: data, count: size))
    let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])

    if let ours {
        // 2: never more lenient than Foundation. JSONSerialization refuses numbers it cannot hold.
        if theirs == nil {
            var hasHugeNumber = false
            func scan(_ v: JSONValue) {
                switch v {
                case .number(let t): if Double(t).map({ !$0.isFinite }) ?? true { hasHugeNumber = true }
                case .array(let a): a.forEach(scan)
                case .object(let o): o.values.forEach(scan)
                default: break
                }
            }
            scan(ours)
            require(hasHugeNumber, "our reader accepts what JSONSerialization refuses: \(show(bytes))")
        }
        // 1.
        if let theirs { compare(ours, theirs, "$") }
        // 4: writer -> reader.
        var w = JSONWriter()
        write(ours, to: &w)
        guard let again = try? JSONValue.parse(w.bytes) else {
            require(false, "written JSON does not read back: \(show(w.bytes))")
            return 0
        }
        require(identical(ours, again), "written JSON reads back differently: \(show(w.bytes))")
        // Duplicate keys are refused by construction: the tree holds none.
        func unique(_ v: JSONValue) -> Bool {
            switch v {
            case .object(let o):
                var seen = Set<[UInt8]>()
                return o.keys.allSatisfy { seen.insert(Array($0.utf8)).inserted } && o.values.allSatisfy(unique)
            case .array(let a): return a.allSatisfy(unique)
            default: return true
            }
        }
        require(unique(ours), "a tree with a repeated key was accepted: \(show(bytes))")
        require(depth(ours) <= JSONScanner.maxDepth, "a tree deeper than \(JSONScanner.maxDepth) was accepted")
    }

    // 3: decoding a probe.
    if let mine = try? JSONValueDecoder.decode(Probe.self, from: bytes), let tree = ours, !hasEquivalentKeys(tree),
       !hasFoundationZeroQuirk(tree) {
        do {
            let foundation = try JSONDecoder().decode(Probe.self, from: Data(bytes))
            require(foundation == mine, "decoded \(mine), JSONDecoder decoded \(foundation) from \(show(bytes))")
        } catch {
            require(false, "decoded \(mine) where JSONDecoder throws \(error) for \(show(bytes))")
        }
        // Round trip through our encoder.
        do {
            let encoded = try JSONValueEncoder.encode(mine)
            let back = try JSONValueDecoder.decode(Probe.self, from: encoded)
            require(back == mine, "JSONValueEncoder round trip changed \(mine) into \(back)")
        } catch {
            require(false, "JSONValueEncoder round trip of \(mine) threw \(error)")
        }
    }
    return 0
}
