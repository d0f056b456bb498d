import OpenSpecFormat
import Testing

/// Task counting follows OpenSpec 1.13 exactly; each fixture pins one rule family.
@Suite("Tasks")
struct TaskTests {
    @Test("find: the task a written number or #N names is the one parse lists, with the same offsets")
    func findMatchesParse() throws {
        for name in ["tasks/nested.md"] {
            let bytes = try Fixtures.bytes(name)
            let list = TaskList.parse(bytes, path: "tasks.md")
            for (index, task) in list.tasks.enumerated() {
                let byOrdinal = try #require(TaskList.find("#\(index + 1)", in: bytes))
                #expect(byOrdinal.markerOffset == task.markerOffset && byOrdinal.openBracketOffset == task.openBracketOffset)
                if let number = task.number, let first = list.tasks.first(where: { $0.number == number }) {
                    #expect(TaskList.find(number, in: bytes)?.openBracketOffset == first.openBracketOffset)
                }
            }
            #expect(TaskList.find("#\(list.tasks.count + 1)", in: bytes) == nil)
            #expect(TaskList.find("#0", in: bytes) == nil)
            #expect(TaskList.find("9.9.9", in: bytes) == nil)
        }
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("- [ ] 1.1 First\r\n- [x] 1.2 Second".utf8)
        #expect(TaskList.find("1.2", in: bom)?.isDone == true)
        #expect(TaskList.find("#1", in: bom)?.number == "1.1")
    }

    @Test("nested and indented tasks count, with their indentation and group")
    func nested() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/nested.md"), path: "tasks.md")
        #expect(list.total == 8)
        #expect(list.completed == 4)
        #expect(list.status == .inProgress)
        #expect(list.tasks.map(\.line) == [3, 4, 5, 6, 7, 8, 12, 13])
        #expect(list.tasks.map(\.indent) == [0, 2, 2, 4, 0, 4, 0, 3])
        #expect(list.tasks.map(\.isDone) == [true, true, false, false, false, true, false, true])
        #expect(list.tasks.map(\.number) == ["1.1", "1.1.1", "1.1.2", "1.1.2a", "1.2", nil, "2.1", "2.1.1"])
        #expect(list.tasks.map(\.group) == Array(repeating: "1. Storage", count: 6) + ["2. UI", "2. UI"])
        #expect(list.groups == [
            TaskGroup(title: "1. Storage", number: 1, level: 2, line: 1),
            TaskGroup(title: "2. UI", number: 2, level: 2, line: 10),
        ])
        #expect(list.issues.isEmpty)
    }

    @Test("ordered-list markers 1. and 1) and + bullets count; ten digits do not")
    func ordered() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/ordered.md"), path: "tasks.md")
        #expect(list.tasks.map(\.text) == [
            "First ordered task", "Second ordered task", "Paren-style ordered task", "Nested ordered task",
            "Plus bullet", "No space after the bullet", "No space after the number", "Nine digits is",
        ])
        #expect(list.total == 8)
        #expect(list.completed == 4)
    }

    @Test("every marker variant: x, X and padded x are done; the rest are open or not tasks")
    func markers() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/markers.md"), path: "tasks.md")
        #expect(list.tasks.map(\.marker) == ["x", "X", " x ", " ", "", "~", "-", "/", "✓", "x", " "])
        #expect(list.tasks.map(\.isDone) == [true, true, true, false, false, false, false, false, false, true, false])
        #expect(list.total == 11)
        #expect(list.completed == 4)
        #expect(list.tasks.map(\.line) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17])
        // An empty description still counts.
        #expect(list.tasks[9].text == "")
        // A blank box before a link is a task; [WIP], links and astral markers are not.
        #expect(list.tasks[10].text == "(https://example.com/blank) a blank box before a link is still a task")
        let texts = list.tasks.map(\.text).joined(separator: "\n")
        for notATask in ["multi-character", "link bullets", "looks done", "reference link", "astral"] {
            #expect(!texts.contains(notATask))
        }
        // The marker offset exists only where a marker character exists.
        #expect(list.tasks.map { $0.markerOffset != nil } == [
            true, true, true, false, false, true, true, true, true, true, false,
        ])
    }

    @Test("tasks inside code fences and HTML comments are counted, as OpenSpec does on purpose")
    func fencesAndComments() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/fences-comments.md"), path: "tasks.md")
        #expect(list.total == 4)
        #expect(list.completed == 2)
        // A heading inside a fence is not a group.
        #expect(list.groups.map(\.title) == ["Tasks in odd places"])
    }

    @Test("numbering lint gives OpenSpec's messages, only inside ## N. groups")
    func numberingLint() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/numbering.md"), path: "changes/x/tasks.md")
        #expect(list.issues == [
            ValidationIssue(
                level: .warning, path: "changes/x/tasks.md",
                message:
                    "Task \"2.1\" is under group 1, but its leading number points to group 2. Move it to group 2 or renumber it.",
                line: 9),
            ValidationIssue(
                level: .warning, path: "changes/x/tasks.md",
                message: "Task ID \"1.2\" is duplicated; it was first declared on line 8.", line: 10),
            ValidationIssue(
                level: .warning, path: "changes/x/tasks.md",
                message: "Task ID \"2.1\" is duplicated; it was first declared on line 9.", line: 14),
        ])
        #expect(list.total == 10)
        #expect(list.completed == 1)
        #expect(list.groups.map(\.number) == [nil, 1, 2, nil])
        #expect(list.issues.first?.description
            == "changes/x/tasks.md:9: WARNING Task \"2.1\" is under group 1, but its leading number points to group 2. Move it to group 2 or renumber it.")
    }

    @Test("a file without checkboxes has no tasks")
    func noTasks() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/no-tasks.md"), path: "tasks.md")
        #expect(list.total == 0)
        #expect(list.completed == 0)
        #expect(list.status == .noTasks)
    }

    @Test("the last line counts without a final newline")
    func noFinalNewline() throws {
        let list = TaskList.parse(try Fixtures.bytes("tasks/no-final-newline.md"), path: "tasks.md")
        #expect(list.total == 2)
        #expect(list.completed == 1)
        #expect(list.tasks.last?.text == "1.2 Last line has no newline")
    }

    @Test("CRLF line ends: counts, clean texts, offsets point at the marker byte")
    func crlf() throws {
        let bytes = try Fixtures.bytes("tasks/crlf.md")
        let list = TaskList.parse(bytes, path: "tasks.md")
        #expect(list.total == 3)
        #expect(list.completed == 2)
        #expect(list.tasks.map(\.text) == ["1.1 Done", "1.2 Open", "1.2.1 Nested done"])
        #expect(list.groups == [TaskGroup(title: "1. Work", number: 1, level: 2, line: 1)])
        for task in list.tasks {
            #expect(bytes[task.openBracketOffset] == UInt8(ascii: "["))
            #expect(bytes[task.closeBracketOffset] == UInt8(ascii: "]"))
        }
        #expect(list.tasks.compactMap { $0.markerOffset.map { bytes[$0] } } == [UInt8(ascii: "x"), UInt8(ascii: "X")])
    }

    @Test("a UTF-8 BOM never hides the first task, and offsets count the BOM bytes")
    func bom() throws {
        let bytes = try Fixtures.bytes("tasks/bom.md")
        let list = TaskList.parse(bytes, path: "tasks.md")
        #expect(list.total == 2)
        #expect(list.completed == 1)
        let first = try #require(list.tasks.first)
        #expect(first.lineStart == 0)
        #expect(first.openBracketOffset == 5)
        #expect(first.markerOffset == 6)
        #expect(first.indent == 0)
        #expect(bytes[6] == UInt8(ascii: "x"))
    }

    @Test("BOM + CRLF: every offset is exact, and flipping the marker byte flips the task")
    func crlfBomOffsets() throws {
        var bytes = try Fixtures.bytes("malformed/crlf-bom-tasks.md")
        let list = TaskList.parse(bytes, path: "tasks.md")
        #expect(list.tasks.map(\.marker) == ["x", " ", " x ", "~"])
        #expect(list.total == 4)
        #expect(list.completed == 2)
        #expect(list.groups.first?.title == "1. Setup")
        for task in list.tasks {
            #expect(bytes[task.openBracketOffset] == UInt8(ascii: "["))
            #expect(bytes[task.closeBracketOffset] == UInt8(ascii: "]"))
            #expect(bytes[task.lineStart..<task.openBracketOffset].allSatisfy {
                $0 == 0x20 || $0 == UInt8(ascii: "-") || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF
            })
        }
        #expect(list.tasks[0].markerOffset.map { bytes[$0] } == UInt8(ascii: "x"))
        #expect(list.tasks[2].markerOffset.map { bytes[$0] } == UInt8(ascii: "x"))
        #expect(list.tasks[3].markerOffset.map { bytes[$0] } == UInt8(ascii: "~"))
        // A writer replaces exactly one byte to complete the deferred task.
        let deferred = try #require(list.tasks[3].markerOffset)
        bytes[deferred] = UInt8(ascii: "x")
        let flipped = TaskList.parse(bytes, path: "tasks.md")
        #expect(flipped.completed == 3)
        #expect(flipped.total == 4)
    }

    @Test("git conflict markers do not stop counting; both sides count")
    func conflictMarkers() throws {
        let list = TaskList.parse(try Fixtures.bytes("malformed/conflict-markers-tasks.md"), path: "tasks.md")
        #expect(list.total == 5)
        #expect(list.completed == 2)
        #expect(list.issues.map(\.line) == [8])
        #expect(list.issues.first?.message == "Task ID \"1.2\" is duplicated; it was first declared on line 5.")
    }

    @Test(
        "single-line rules",
        arguments: [
            ("- [ ] open", true, false),
            ("- [x] done", true, true),
            ("-\t[X]\ttabbed", true, true),
            ("   - [ x ] padded", true, true),
            ("- [xx] two characters", false, false),
            ("- [ x x ] two markers", false, false),
            ("- [x](url)", false, false),
            ("- [ ](url)", true, false),
            ("- [\u{00A0}] no-break space box", true, false),
            ("1) [x] paren", true, true),
            ("a. [x] letter list", false, false),
            ("[x] no bullet", false, false),
            ("-- [x] double dash", false, false),
            ("- [ ]", true, false),
            ("- [", false, false),
            ("- [x", false, false),
            ("> - [x] quoted", false, false),
        ])
    func singleLine(line: String, isTask: Bool, isDone: Bool) {
        let list = TaskList.parse(utf8(line + "\n"), path: "tasks.md")
        #expect(list.total == (isTask ? 1 : 0))
        #expect(list.completed == (isDone ? 1 : 0))
    }

    @Test("task ids follow OpenSpec's regex at the start of the description")
    func taskIDs() {
        let text = """
            - [ ] 1.2 plain
            - [ ] 2.3a lettered
            - [ ] 3 not an id
            - [ ] 4.5. trailing dot
            - [ ] 6.7:colon
            - [ ] 8.9
            - [ ] 10.11.12 deep
            """
        let list = TaskList.parse(utf8(text), path: "tasks.md")
        #expect(list.tasks.map(\.number) == ["1.2", "2.3a", nil, nil, nil, "8.9", "10.11.12"])
    }

    @Test("status strings and the pinned OpenSpec version")
    func status() {
        #expect(TaskList.emulatedOpenSpecVersion == "1.13")
        #expect(TaskStatus(completed: 0, total: 0) == .noTasks)
        #expect(TaskStatus(completed: 2, total: 2) == .complete)
        #expect(TaskStatus(completed: 1, total: 2) == .inProgress)
        #expect(TaskStatus.inProgress.rawValue == "in-progress")
        let done = TaskList.parse(utf8("- [x] a\n- [X] b\n"), path: "tasks.md")
        #expect(done.status == .complete)
    }
}
