// Fuzz target `form`: the Stripe stand-in's form decoder (tools/stripe-emulator/FormDecoder.swift), on
// any body, as API.swift calls it (`pairs` on the body text, then `decode`).
//
// Invariants: every body is either refused with a Failure (the stand-in answers 400 with its message) or
// decodes to one unambiguous tree:
// - no crash, however deep the brackets (the decoder used to recurse until the stack overflowed);
// - every pair becomes exactly one leaf, holding its value: nothing is dropped or overwritten;
// - every leaf sits at its pair's path (with `[]` and indexes resolved to array positions);
// - the tree, encoded back as a form (`x[i]` for arrays, `x[k]` for objects), decodes to the same tree;
// - the pairs, percent-encoded again (Shared/Core's encoder, Stripe's style), read back as the same pairs.
import Core
@testable import FuzzEmulatorForm

private func leaves(_ json: JSON, into out: inout [(path: [String], value: String)], path: [String]) {
    switch json {
    case .string(let s): out.append((path, s))
    case .array(let items): for (i, item) in items.enumerated() { leaves(item, into: &out, path: path + [String(i)]) }
    case .object(let o): for (k, v) in o.pairs { leaves(v, into: &out, path: path + [k]) }
    default: require(false, "the form decoder produced a non-string leaf \(json)")
    }
}

/// Encodes a tree back into pairs, the way Stripe's clients do.
private func encode(_ json: JSON, name: String, into out: inout [(name: String, value: String)]) {
    switch json {
    case .string(let s): out.append((name, s))
    case .array(let items): for (i, item) in items.enumerated() { encode(item, name: "\(name)[\(i)]", into: &out) }
    case .object(let o): for (k, v) in o.pairs { encode(v, name: "\(name)[\(k)]", into: &out) }
    default: break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForm(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let pairs: [(name: String, value: String)]
    let tree: JSONObject
    do {
        pairs = try FormDecoder.pairs(text)
        tree = try FormDecoder.decode(pairs)
    } catch {
        require(!error.message.isEmpty, "a refusal without a message")
        return 0
    }
    var found: [(path: [String], value: String)] = []
    for (k, v) in tree.pairs { leaves(v, into: &found, path: [k]) }
    require(found.count == pairs.count, "\(pairs.count) pairs but \(found.count) leaves: a pair was dropped or overwritten in \(show(Array(text.utf8)))")

    // Each pair's value at its path: `[]` takes the next position of its array, indexes their rank, so
    // positions compare as "some index". One leaf per pair: a multiset, matched in linear time.
    func shape(_ path: [String]) -> String {
        path.map { $0.isEmpty || FormDecoder.isIndex($0) ? "#" : "=" + $0 }.joined(separator: "\u{0}")
    }
    var leavesByShape: [String: Int] = [:]
    for leaf in found { leavesByShape[shape(leaf.path) + "\u{1}" + leaf.value, default: 0] += 1 }
    for (name, value) in pairs {
        guard let path = try? FormDecoder.keyPath(name) else {
            require(false, "decoded a name keyPath refuses: \(name)")
            return 0
        }
        let key = shape(path) + "\u{1}" + value
        require(leavesByShape[key, default: 0] > 0, "the value of \(name) is not at its path")
        leavesByShape[key, default: 0] -= 1
    }

    // The shared percent-encoding round-trips every pair: encoded as Stripe's clients send it (space as
    // `+`, brackets literal), the body reads back as the same pairs.
    let body = pairs.map { PercentEncoding.encode($0.name, .stripeForm) + "=" + PercentEncoding.encode($0.value, .stripeForm) }
        .joined(separator: "&")
    do {
        let back = try FormDecoder.pairs(body)
        require(back.count == pairs.count && zip(back, pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value },
                "pairs re-encoded as a form read back differently: \(body)")
    } catch {
        require(false, "pairs re-encoded as a form are refused (\(error.message)): \(body)")
    }

    var again: [(name: String, value: String)] = []
    for (k, v) in tree.pairs { encode(v, name: k, into: &again) }
    do {
        let reread = try FormDecoder.decode(again)
        require(reread == tree, "re-encoded form decodes differently: \(again)")
    } catch {
        require(false, "re-encoded form is refused (\(error.message)): \(again)")
    }
    return 0
}
