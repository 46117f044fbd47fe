/// Where each value of a parsed document starts: the tree of byte offsets that goes with a
/// ``JSONValue`` tree, children in document order (an object's member values, an array's elements).
indirect enum JSONOffsets: Sendable {
    case scalar(Int)
    case container(Int, [JSONOffsets])

    /// The byte offset the value starts at.
    var start: Int {
        switch self {
        case .scalar(let offset), .container(let offset, _): offset
        }
    }

    /// The offsets of child `index`, if this is a container that has it.
    func child(_ index: Int) -> JSONOffsets? {
        guard case .container(_, let children) = self, children.indices.contains(index) else { return nil }
        return children[index]
    }

    /// Walks one value, validating as ``JSONScanner/skipValue(depth:)`` does, and records where each
    /// value starts.
    static func read(_ s: inout JSONScanner, depth: Int) throws(JSONScanner.Failure) -> JSONOffsets {
        guard depth < JSONScanner.maxDepth else { throw s.fail("nesting deeper than \(JSONScanner.maxDepth)") }
        let next = s.peek()
        let start = s.position
        switch next {
        case UInt8(ascii: "{"):
            var children: [JSONOffsets] = []
            try s.readObject { (s: inout JSONScanner, _: String) throws(JSONScanner.Failure) in
                children.append(try read(&s, depth: depth + 1))
            }
            return .container(start, children)
        case UInt8(ascii: "["):
            _ = s.consume(UInt8(ascii: "["))
            var children: [JSONOffsets] = []
            if !s.consume(UInt8(ascii: "]")) {
                repeat { children.append(try read(&s, depth: depth + 1)) } while s.consume(UInt8(ascii: ","))
                try s.expect(UInt8(ascii: "]"))
            }
            return .container(start, children)
        default:
            try s.skipValue(depth: depth)
            return .scalar(start)
        }
    }
}
