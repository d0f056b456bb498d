import Foundation
import Testing
@testable import OpenSpecStore

/// The stored arrays of strings (`filesChanged`, `pendingPaths`) read back
/// as written, through the plain path when no string holds an escape.
@Suite("JSON arrays of strings: decoding")
struct JSONArrayDecodeTests {
    @Test("what encode writes, decode reads back, whatever the strings hold")
    func roundTrip() {
        let lists: [[String]] = [
            [], ["a"], ["changes/add-x/proposal.md", "changes/add-x/tasks.md"], ["é 日本 👩‍💻", "with space", ""],
            ["quote \"", "back\\slash", "new\nline", "\u{1}\u{1f}", "slash /"],
        ]
        for list in lists {
            #expect(JSONArray.decode(JSONArray.encode(list)) == list, "\(list)")
        }
    }

    @Test("the plain path reads escape-free arrays, whitespace included, and leaves the rest to Foundation")
    func plainPath() {
        #expect(JSONArray.decodePlain(#"["a","b/c","é"]"#) == ["a", "b/c", "é"])
        #expect(JSONArray.decodePlain(" [ \"a\" ,\n\t\"b\" ] ") == ["a", "b"])
        #expect(JSONArray.decodePlain("[]") == [])
        #expect(JSONArray.decodePlain(" [ ] ") == [])
        // An escape, a raw control character, or anything not a plain array: not this path's to read.
        for text in [#"["a\"b"]"#, #"["a\\b"]"#, "[\"a\u{1}\"]", "", "[", "[\"a\"", "[\"a\",]", "[1]", "[\"a\"] x", "{}", "[null]", "[\"a\" \"b\"]"] {
            #expect(JSONArray.decodePlain(text) == nil, "\(text)")
        }
        #expect(JSONArray.decode(#"["a\"b","c\\d","\u00e9"]"#) == ["a\"b", "c\\d", "é"])
        #expect(JSONArray.decode("not json") == nil)
        #expect(JSONArray.decode("[1]") == nil)
    }
}
