import Testing
import Wire

@Suite("ParsedJSON offsets")
struct ParsedJSONOffsetsTests {
    @Test("each value knows the byte it starts at, members and elements included")
    func offsets() throws {
        let text = "{\"a\": [1, {\"b\": \"x\"}],\n \"c\": null}"
        let bytes = Array(text.utf8)
        let root = try ParsedJSON.parse(bytes, recordingOffsets: true)
        func at(_ node: ParsedJSON?) -> Character? {
            guard let offset = node?.offset else { return nil }
            return Character(Unicode.Scalar(bytes[offset]))
        }
        #expect(root.offset == 0)
        #expect(at(root["a"]) == "[" && root["a"]?.offset == 6)
        let elements = try #require(root["a"]?.elements)
        #expect(elements.map(\.offset) == [7, 10])
        #expect(at(elements[1]["b"]) == "\"" && elements[1]["b"]?.offset == 16)
        #expect(root.members?.map(\.value.offset) == [6, 29])
        #expect(at(root["c"]) == "n")
    }

    @Test("without recordingOffsets there are none; the values are the same")
    func noOffsets() throws {
        let plain = try ParsedJSON.parse(Array(#"{"a":[1]}"#.utf8), recordingOffsets: false)
        #expect(plain.offset == nil && plain["a"]?.elements?.first?.offset == nil)
        #expect(plain["a"]?.elements?.first?.numberText == "1" && plain.kind == "an object")
    }

    @Test("a syntax error says where; a key given twice names the key")
    func errors() {
        do {
            _ = try ParsedJSON.parse(Array("{\"a\": 1,\n \"a\": 2}".utf8), recordingOffsets: true)
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.duplicateKey == "a" && error.offset == 10)
        }
        do {
            _ = try ParsedJSON.parse(Array("[1, 01]".utf8), recordingOffsets: true)
            Issue.record("01 was accepted")
        } catch {
            #expect(error.duplicateKey == nil && error.offset >= 4)
        }
    }
}
