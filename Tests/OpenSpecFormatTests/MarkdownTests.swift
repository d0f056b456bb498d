import OpenSpecFormat
import Testing

@Suite("Markdown sections")
struct MarkdownTests {
    @Test("sections nest by level; content runs to the next header of the same or higher level")
    func tree() {
        let text = """
            # Title
            Intro line.

            ## Why
            Because.

            ### Detail
            More.
            ## What Changes
            - a
            """
        let sections = Markdown.sections(text)
        #expect(sections.count == 1)
        let title = sections[0]
        #expect(title.title == "Title")
        #expect(title.line == 1)
        #expect(title.children.map(\.title) == ["Why", "What Changes"])
        let why = title.children[0]
        #expect(why.line == 4)
        #expect(why.content == "Because.\n\n### Detail\nMore.")
        #expect(why.children.map(\.title) == ["Detail"])
        #expect(why.children[0].content == "More.")
        #expect(title.children[1].content == "- a")
    }

    @Test("headers inside code fences are not headers, and fenced text stays in the content")
    func fences() {
        let text = """
            ## Design
            ```markdown
            ## Not a section
            ```
            ~~~~
            # Still fenced
            ~~~
            ```
            # still fenced: a shorter or different fence does not close it
            ~~~~~
            ## After
            """
        let sections = Markdown.sections(text)
        #expect(sections.map(\.title) == ["Design", "After"])
        #expect(sections[0].content.contains("## Not a section"))
        #expect(sections[0].content.hasSuffix("~~~~~"))
        #expect(sections[1].line == 11)
    }

    @Test("what is and is not a header")
    func headerShapes() {
        let text = "#NoSpace\n####### seven\n  # indented\n#\u{3000}Ideographic space\n###### Six\n"
        let sections = Markdown.sections(text)
        #expect(sections.map(\.title) == ["Ideographic space"])
        #expect(sections[0].children.map(\.title) == ["Six"])
    }

    @Test("a bare '## ' ends content like OpenSpec's terminator scan, but is no section")
    func terminatorWithoutTitle() {
        let text = "# A\n### C\ntext\n## \n#### D\nd\n"
        let sections = Markdown.sections(text)
        let a = sections[0]
        let c = a.children[0]
        #expect(c.title == "C")
        #expect(c.content == "text")
        // The parent chain only pops on real headers, so D stays under C.
        #expect(c.children.map(\.title) == ["D"])
        #expect(a.content == "### C\ntext\n## \n#### D\nd")
    }

    @Test("findSection: depth-first, first match, case-insensitive exact title")
    func findSection() {
        let text = """
            # Why
            top
            ## why
            nested
            ## Why Now
            decorated
            """
        let sections = Markdown.sections(text)
        #expect(Markdown.findSection("WHY", in: sections)?.content == "top\n## why\nnested\n## Why Now\ndecorated")
        #expect(Markdown.findSection("why now", in: sections)?.line == 5)
        #expect(Markdown.findSection("What Changes", in: sections) == nil)
    }

    @Test("CRLF and BOM are normalised before parsing")
    func normalisation() {
        let decoded = TextDecoding.decode([0xEF, 0xBB, 0xBF] + utf8("# A\r\nbody\rmore\r\n"))
        #expect(decoded.text == "# A\nbody\nmore\n")
        #expect(decoded.hadBOM)
        #expect(decoded.hadCRLF)
        #expect(decoded.isValidUTF8)
        let sections = Markdown.sections("\u{FEFF}# A\r\nbody\r\n")
        #expect(sections.map(\.title) == ["A"])
        #expect(sections[0].content == "body")
    }
}
