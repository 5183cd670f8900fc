/// A value built by the ``Unpickler``: plain data, containers, and inert stand-ins for the few
/// PyTorch objects a `state_dict` is made of.
///
/// Nothing here can run code. Containers are reference boxes (pickle's memo shares them, and
/// `APPEND`/`SETITEM` change them in place) owned by a ``PickleArena``, which empties them all
/// when loading ends so that no deep or cyclic structure is ever freed recursively.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for `Int`: its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleList)
    case list(PickleList)
    case dict(PickleDict)
    /// One of the allowed globals (see ``PickleGlobal``).
    case global(PickleGlobal)
    /// A tensor storage named by a persistent id; its bytes are read only if a tensor is kept.
    case storage(StorageReference)
    /// A tensor rebuilt by `torch._utils._rebuild_tensor_v2` and friends.
    case tensor(TensorReference)
    /// An instance of a TorchScript class (`__torch__.…`): an inert record of its attributes.
    case record(PickleRecord)

    /// A short description for error messages (`a tuple of 3`, `the string "cpu"`).
    var summary: String {
        switch self {
        case .none: return "None"
        case let .bool(value): return value ? "True" : "False"
        case let .int(value): return "the integer \(value)"
        case .bigInt: return "a big integer"
        case let .float(value): return "the float \(value)"
        case let .string(value): return "the string \"\(value.prefix(40))\""
        case let .bytes(value): return "\(value.count) bytes"
        case let .tuple(box): return "a tuple of \(box.items.count)"
        case let .list(box): return "a list of \(box.items.count)"
        case let .dict(box): return "a dict of \(box.entries.count)"
        case let .global(global): return global.summary
        case let .storage(storage): return "storage \(storage.key)"
        case let .tensor(tensor): return "a tensor of size \(tensor.layout.shape)"
        case let .record(record): return "a \(record.className) object"
        }
    }

    /// The integer, if this is one that fits (`True`/`False` count as 1 and 0, as in Python).
    var intValue: Int? {
        switch self {
        case let .int(value): return value
        case let .bool(value): return value ? 1 : 0
        default: return nil
        }
    }

    /// The string, if this is one.
    var stringValue: String? {
        if case let .string(value) = self { return value }
        return nil
    }

    /// The items of a tuple or list.
    var sequenceItems: [PickleValue]? {
        switch self {
        case let .tuple(box), let .list(box): return box.items
        default: return nil
        }
    }
}

/// A container the unpickler made; ``PickleArena`` empties it when loading ends.
class PickleBox {
    func empty() {}
}

/// The items of a tuple, list or set.
final class PickleList: PickleBox {
    var items: [PickleValue]

    init(_ items: [PickleValue]) {
        self.items = items
    }

    override func empty() { items = [] }
}

/// A dict or `OrderedDict`, in insertion order.
final class PickleDict: PickleBox {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var index: [PickleKey: Int] = [:]

    /// Sets `key` to `value`, replacing an existing entry in place as Python does.
    func set(_ key: PickleValue, _ value: PickleValue, file: String) throws {
        let hashable = try PickleKey(key, file: file)
        if let existing = index[hashable] {
            entries[existing].value = value
        } else {
            index[hashable] = entries.count
            entries.append((key, value))
        }
    }

    /// The value stored under the string `key`.
    subscript(key: String) -> PickleValue? {
        index[.string(key)].map { entries[$0].value }
    }

    override func empty() {
        entries = []
        index = [:]
    }
}

/// An object of a TorchScript class, kept as its class name and its attributes.
final class PickleRecord: PickleBox {
    /// The qualified class name, such as `__torch__.torch.nn.modules.conv.Conv2d`.
    let className: String
    /// The state `BUILD` gave it (a dict of attributes for modules), `None` before that.
    var state: PickleValue = .none

    init(className: String) {
        self.className = className
    }

    override func empty() { state = .none }
}

/// Owns every container one load creates and empties them together at the end.
///
/// Emptying first and freeing afterwards means that freeing never recurses through a long
/// chain of nested containers (a hostile pickle can nest a million tuples in a million bytes)
/// and that reference cycles made through the memo are broken.
final class PickleArena {
    private var boxes: [PickleBox] = []

    /// Registers `box` and returns it.
    func own<Box: PickleBox>(_ box: Box) -> Box {
        boxes.append(box)
        return box
    }

    /// Empties every container made so far.
    func emptyAll() {
        for box in boxes { box.empty() }
        boxes = []
    }

    /// Runs `body` with a fresh arena and empties it afterwards, even when `body` throws.
    static func with<Result>(_ body: (PickleArena) throws -> Result) rethrows -> Result {
        let arena = PickleArena()
        defer { arena.emptyAll() }
        return try body(arena)
    }
}

/// A pickle value that can key a dict: Python's hashable scalars and tuples of them.
enum PickleKey: Hashable {
    case none
    case int(Int)
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleKey])
    case global(String)

    /// The key for `value`; lists, dicts and tensors cannot be keys, as in Python.
    ///
    /// Tuple keys may hold at most 64 values in all, so that hashing a key re-used through the
    /// memo stays cheap.
    init(_ value: PickleValue, file: String) throws {
        var budget = 64
        self = try Self.make(value, file: file, budget: &budget, depth: 0)
    }

    private static func make(_ value: PickleValue, file: String, budget: inout Int, depth: Int) throws -> PickleKey {
        budget -= 1
        guard budget >= 0, depth < 16 else {
            throw ModelError.unsupportedPickle(file: file, detail: "a dict key that is a tuple of more than 64 values")
        }
        switch value {
        case .none: return .none
        case let .bool(flag): return .int(flag ? 1 : 0)
        case let .int(number): return .int(number)
        case let .bigInt(bytes): return .bigInt(bytes)
        case let .float(number):
            return number == number.rounded() && Swift.abs(number) < 0x1p62 ? .int(Int(number)) : .float(number)
        case let .string(text): return .string(text)
        case let .bytes(bytes): return .bytes(bytes)
        case let .tuple(box):
            guard box.items.count <= budget else {
                throw ModelError.unsupportedPickle(file: file, detail: "a dict key that is a tuple of more than 64 values")
            }
            var items: [PickleKey] = []
            for item in box.items { items.append(try make(item, file: file, budget: &budget, depth: depth + 1)) }
            return .tuple(items)
        case let .global(global): return .global(global.summary)
        default:
            throw ModelError.unsupportedPickle(file: file, detail: "\(value.summary) used as a dict key")
        }
    }
}

/// A tensor storage as a persistent id names it: which bytes, what they hold.
final class StorageReference {
    /// The key of the storage record (`data/<key>` in a zip, a root key in the legacy format).
    let key: String
    /// The element type of the storage class (`torch.FloatStorage` → float32).
    let type: ElementType
    /// The first element of the storage within the stored record (non-zero only for the legacy
    /// format's storage views).
    let offset: Int
    /// How many elements the storage holds.
    let count: Int

    init(key: String, type: ElementType, offset: Int = 0, count: Int) {
        self.key = key
        self.type = type
        self.offset = offset
        self.count = count
    }
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view of a storage.
final class TensorReference {
    let storage: StorageReference
    /// The view, relative to the storage's first element.
    let layout: StridedLayout

    init(storage: StorageReference, layout: StridedLayout) {
        self.storage = storage
        self.layout = layout
    }
}
