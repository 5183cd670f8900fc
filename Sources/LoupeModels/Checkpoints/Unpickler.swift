/// A small, safe virtual machine for Python pickles (protocols 2 to 5, and the protocol 0/1
/// opcodes PyTorch's files contain).
///
/// It runs the opcodes a `state_dict` pickle uses and builds ``PickleValue``s. Globals are
/// looked up in ``PickleGlobal``'s short allow-list; calling one builds its result directly and
/// nothing is imported or executed. Every length is checked against the bytes that remain, the
/// stack, the marks and dict keys are bounded, memo indices are checked, and all containers live
/// in a ``PickleArena`` so that freeing them cannot recurse.
///
/// Persistent ids (`BINPERSID`) are handed to `persistentLoad`, which each format implements.
struct Unpickler {
    /// The checkpoint, for errors.
    let file: String
    /// Owns the containers this unpickler builds.
    let arena: PickleArena
    /// Whether TorchScript classes are allowed (only when reading a TorchScript archive).
    var allowsTorchScript = false
    /// Turns a persistent id into a value (a ``PickleValue/storage(_:)``), or throws.
    let persistentLoad: (PickleValue) throws -> PickleValue

    /// The most values the stack may hold.
    static let stackLimit = 1 << 20
    /// The most unclosed `MARK`s.
    static let markLimit = 1 << 16
    /// The highest pickle protocol Loupe reads.
    static let highestProtocol = 5

    /// Runs the pickle that starts at `reader`'s position up to its `STOP` and returns its value,
    /// leaving `reader` after the `STOP`.
    ///
    /// - Throws: ``ModelError/forbiddenGlobal(file:module:name:)`` for a global outside the
    ///   allow-list; ``ModelError/truncated(file:detail:)`` when the bytes end early;
    ///   ``ModelError/unsupportedPickle(file:detail:)`` for unknown opcodes and malformed
    ///   structure.
    func load(from reader: inout ByteReader) throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var opcodeOffset = reader.position
        let file = self.file

        func malformed(_ detail: String) -> ModelError {
            .unsupportedPickle(file: file, detail: "\(detail) (pickle opcode at offset \(opcodeOffset))")
        }
        func push(_ value: PickleValue) throws {
            guard stack.count < Self.stackLimit else { throw malformed("the pickle stack grows past \(Self.stackLimit) values") }
            stack.append(value)
        }
        func pop() throws -> PickleValue {
            guard let value = stack.popLast() else { throw malformed("the pickle stack is empty") }
            if let mark = marks.last, stack.count < mark { throw malformed("an opcode pops past a MARK") }
            return value
        }
        func top() throws -> PickleValue {
            guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("the pickle stack is empty") }
            return value
        }
        func popToMark() throws -> [PickleValue] {
            guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
            guard mark <= stack.count else { throw malformed("a MARK lies above the stack") }
            let items = Array(stack[mark...])
            stack.removeSubrange(mark...)
            return items
        }
        func memoize(_ index: Int) throws {
            memo[index] = try top()
        }
        func recall(_ index: Int) throws -> PickleValue {
            guard let value = memo[index] else { throw malformed("memo entry \(index) was never stored") }
            return value
        }
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        func tuple(_ items: [PickleValue]) -> PickleValue { .tuple(arena.own(PickleList(items))) }
        func global(module: String, name: String) throws -> PickleValue {
            .global(try PickleGlobal.resolve(module: module, name: name, allowsTorchScript: allowsTorchScript, file: file))
        }
        func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
            guard case let .global(global) = callable else { throw malformed("the pickle calls \(callable.summary)") }
            guard let items = arguments.sequenceItems else { throw malformed("\(global.summary) called with \(arguments.summary)") }
            return try global.call(items, arena: arena, file: file)
        }
        func setItems(_ items: ArraySlice<PickleValue>) throws {
            guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of values") }
            guard case let .dict(dict) = try top() else { throw malformed("SETITEM on \(try top().summary)") }
            var i = items.startIndex
            while i < items.endIndex {
                try dict.set(items[i], items[i + 1], file: file)
                i += 2
            }
        }
        func append(_ items: [PickleValue]) throws {
            guard case let .list(list) = try top() else { throw malformed("APPEND on \(try top().summary)") }
            list.items.append(contentsOf: items)
        }
        func unicode(_ count: Int) throws -> PickleValue {
            .string(text(try reader.array(count, "a string")))
        }

        while true {
            opcodeOffset = reader.position
            let opcode = try reader.u8("a pickle opcode")
            switch opcode {
            // Framing and protocol.
            case 0x80:  // PROTO
                let version = try reader.u8("the pickle protocol")
                guard version <= Self.highestProtocol else { throw malformed("pickle protocol \(version) is newer than 5") }
            case 0x95:  // FRAME: a hint about buffering; the frame's bytes follow inline.
                let size = try reader.littleEndian(8, "a FRAME length")
                _ = try reader.length(size, "a FRAME")
            case 0x2E:  // STOP
                let result = try pop()
                return result

            // Stack manipulation.
            case 0x28:  // MARK
                guard marks.count < Self.markLimit else { throw malformed("more than \(Self.markLimit) nested MARKs") }
                marks.append(stack.count)
            case 0x30:  // POP
                if let mark = marks.last, mark == stack.count {
                    marks.removeLast()
                } else {
                    _ = try pop()
                }
            case 0x31:  // POP_MARK
                _ = try popToMark()
            case 0x32:  // DUP
                try push(try top())

            // Memo.
            case 0x71:  // BINPUT
                try memoize(Int(try reader.u8("a BINPUT index")))
            case 0x72:  // LONG_BINPUT
                try memoize(Int(try reader.littleEndian(4, "a LONG_BINPUT index")))
            case 0x94:  // MEMOIZE
                try memoize(memo.count)
            case 0x70:  // PUT
                guard let index = Int(text(try reader.line("a PUT index"))), index >= 0 else { throw malformed("a bad PUT index") }
                try memoize(index)
            case 0x68:  // BINGET
                try push(try recall(Int(try reader.u8("a BINGET index"))))
            case 0x6A:  // LONG_BINGET
                try push(try recall(Int(try reader.littleEndian(4, "a LONG_BINGET index"))))
            case 0x67:  // GET
                guard let index = Int(text(try reader.line("a GET index"))) else { throw malformed("a bad GET index") }
                try push(try recall(index))

            // Constants and numbers.
            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4B:  // BININT1
                try push(.int(Int(try reader.u8("a BININT1"))))
            case 0x4D:  // BININT2
                try push(.int(Int(try reader.littleEndian(2, "a BININT2"))))
            case 0x4A:  // BININT: a signed 32-bit integer
                try push(.int(Int(Int32(truncatingIfNeeded: try reader.littleEndian(4, "a BININT")))))
            case 0x8A:  // LONG1
                let count = Int(try reader.u8("a LONG1 length"))
                try push(Self.integer(littleEndian: try reader.array(count, "a LONG1")))
            case 0x8B:  // LONG4
                let count = try reader.length(try reader.littleEndian(4, "a LONG4 length"), "a LONG4")
                guard count <= 4096 else { throw malformed("a \(count)-byte integer") }
                try push(Self.integer(littleEndian: try reader.array(count, "a LONG4")))
            case 0x49, 0x4C:  // INT, LONG (text)
                var digits = text(try reader.line("an INT"))
                if opcode == 0x4C, digits.hasSuffix("L") { digits.removeLast() }
                if opcode == 0x49, digits == "00" || digits == "01" {
                    try push(.bool(digits == "01"))
                } else if let value = Int(digits) {
                    try push(.int(value))
                } else {
                    throw malformed("the integer literal \"\(digits.prefix(40))\" is not one Loupe reads")
                }
            case 0x47:  // BINFLOAT
                try push(.float(try reader.bigEndianDouble("a BINFLOAT")))
            case 0x46:  // FLOAT (text)
                guard let value = Double(text(try reader.line("a FLOAT"))) else { throw malformed("a bad FLOAT literal") }
                try push(.float(value))

            // Strings and bytes.
            case 0x8C:  // SHORT_BINUNICODE
                try push(try unicode(Int(try reader.u8("a string length"))))
            case 0x58:  // BINUNICODE
                try push(try unicode(try reader.length(try reader.littleEndian(4, "a string length"), "a string")))
            case 0x8D:  // BINUNICODE8
                try push(try unicode(try reader.length(try reader.littleEndian(8, "a string length"), "a string")))
            case 0x55:  // SHORT_BINSTRING (Python 2 str, read as UTF-8 like torch.load)
                try push(try unicode(Int(try reader.u8("a string length"))))
            case 0x54:  // BINSTRING
                let count = try reader.length(try reader.littleEndian(4, "a string length"), "a string")
                try push(try unicode(count))
            case 0x43:  // SHORT_BINBYTES
                try push(.bytes(try reader.array(Int(try reader.u8("a bytes length")), "bytes")))
            case 0x42:  // BINBYTES
                try push(.bytes(try reader.array(try reader.length(try reader.littleEndian(4, "a bytes length"), "bytes"), "bytes")))
            case 0x8E, 0x96:  // BINBYTES8, BYTEARRAY8
                try push(.bytes(try reader.array(try reader.length(try reader.littleEndian(8, "a bytes length"), "bytes"), "bytes")))

            // Containers.
            case 0x29: try push(tuple([]))  // EMPTY_TUPLE
            case 0x85: try push(tuple([try pop()]))  // TUPLE1
            case 0x86:  // TUPLE2
                let second = try pop(), first = try pop()
                try push(tuple([first, second]))
            case 0x87:  // TUPLE3
                let third = try pop(), second = try pop(), first = try pop()
                try push(tuple([first, second, third]))
            case 0x74:  // TUPLE
                try push(tuple(try popToMark()))
            case 0x91:  // FROZENSET
                try push(tuple(try popToMark()))
            case 0x5D, 0x8F:  // EMPTY_LIST, EMPTY_SET
                try push(.list(arena.own(PickleList([]))))
            case 0x6C:  // LIST
                try push(.list(arena.own(PickleList(try popToMark()))))
            case 0x7D:  // EMPTY_DICT
                try push(.dict(arena.own(PickleDict())))
            case 0x64:  // DICT
                let items = try popToMark()
                let dict = arena.own(PickleDict())
                guard items.count % 2 == 0 else { throw malformed("DICT with an odd number of values") }
                for i in stride(from: 0, to: items.count, by: 2) { try dict.set(items[i], items[i + 1], file: file) }
                try push(.dict(dict))
            case 0x61:  // APPEND
                let value = try pop()
                try append([value])
            case 0x65, 0x90:  // APPENDS, ADDITEMS
                let items = try popToMark()
                try append(items)
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                try setItems([key, value])
            case 0x75:  // SETITEMS
                let items = try popToMark()
                try setItems(items[...])

            // Globals and objects: looked up in the allow-list, never imported or run.
            case 0x63:  // GLOBAL
                let module = text(try reader.line(limit: 256, "a GLOBAL module"))
                let name = text(try reader.line(limit: 256, "a GLOBAL name"))
                try push(try global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard let moduleName = module.stringValue, let globalName = name.stringValue else {
                    throw malformed("STACK_GLOBAL of \(module.summary) and \(name.summary)")
                }
                try push(try global(module: moduleName, name: globalName))
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                try push(try call(callable, arguments))
            case 0x81:  // NEWOBJ
                let arguments = try pop(), type = try pop()
                try push(try call(type, arguments))
            case 0x92:  // NEWOBJ_EX (keyword arguments are ignored: allowed types take none)
                _ = try pop()
                let arguments = try pop(), type = try pop()
                try push(try call(type, arguments))
            case 0x69:  // INST
                let module = text(try reader.line(limit: 256, "an INST module"))
                let name = text(try reader.line(limit: 256, "an INST name"))
                let type = try global(module: module, name: name)
                try push(try call(type, tuple(try popToMark())))
            case 0x6F:  // OBJ
                var items = try popToMark()
                guard !items.isEmpty else { throw malformed("OBJ without a class") }
                let type = items.removeFirst()
                try push(try call(type, tuple(items)))
            case 0x62:  // BUILD: records keep their state; other objects have no state to set.
                let state = try pop()
                if case let .record(record) = try top() { record.state = state }

            // Persistent ids: tensor storages.
            case 0x51:  // BINPERSID
                try push(try persistentLoad(try pop()))

            case 0x50:
                throw malformed("text persistent ids (PERSID) are not used by torch.save")
            case 0x82, 0x83, 0x84:
                throw malformed("extension-registry opcodes (EXT1/2/4) are not used by torch.save")
            case 0x97, 0x98:
                throw malformed("out-of-band buffers (protocol 5) are not used by torch.save")
            case 0x53, 0x56:
                throw malformed("protocol-0 quoted strings are not used by torch.save")
            default:
                throw malformed("unknown pickle opcode 0x" + String(opcode, radix: 16))
            }
        }
    }

    /// A little-endian two's-complement integer of any width, as `Int` when it fits.
    static func integer(littleEndian bytes: [UInt8]) -> PickleValue {
        guard let last = bytes.last else { return .int(0) }
        var trimmed = bytes
        let fill: UInt8 = last & 0x80 != 0 ? 0xFF : 0x00
        // Drop redundant sign bytes so that wide encodings of small numbers become `Int`s.
        while trimmed.count > 1, trimmed[trimmed.count - 1] == fill, (trimmed[trimmed.count - 2] & 0x80) == (fill & 0x80) {
            trimmed.removeLast()
        }
        guard trimmed.count <= 8 else { return .bigInt(trimmed) }
        var value: UInt64 = fill == 0xFF ? .max : 0
        for (i, byte) in trimmed.enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            value |= UInt64(byte) << (8 * UInt64(i))
        }
        return .int(Int(Int64(bitPattern: value)))
    }
}
