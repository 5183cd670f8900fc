import Foundation

/// Reads PyTorch's legacy checkpoint format (`torch.save(…, _use_new_zipfile_serialization=False)`,
/// the default before PyTorch 1.6).
///
/// The file is a run of pickles followed by raw storage bytes:
/// 1. the magic number `0x1950a86a20f9469cfc6c`;
/// 2. the format version, 1001;
/// 3. system information (endianness, type sizes), which Loupe does not need: the data is
///    always little-endian;
/// 4. the object itself, whose persistent ids are
///    `('storage', storage_type, root_key, location, numel, view_metadata)`, where
///    `view_metadata` is `None` or `(view_key, offset, size)`;
/// 5. the list of storage keys, in the order their records follow;
/// 6. for each key, an 8-byte little-endian element count and then the elements.
enum TorchLegacy {
    /// The magic number's little-endian bytes, as `LONG1` pickles it.
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    /// The only format version there is.
    static let version = 1001

    /// Reads the tensors of a legacy-format file.
    ///
    /// - Throws: ``ModelError/notACheckpoint(file:reason:)`` when the file is a pickle but not a
    ///   `torch.save` file; ``ModelError/truncated(file:detail:)`` when storage data is cut short;
    ///   the unpickler's errors otherwise.
    static func read(_ data: Data, file: String) throws -> StateDict {
        try PickleArena.with { arena in
            var roots: [String: StorageReference] = [:]
            let records: [String: Range<Int>]
            let tensors: [(String, TensorReference)]
            (records, tensors) = try data.withUnsafeBytes { raw in
                var reader = ByteReader(raw, file: file)
                let plain = Unpickler(file: file, arena: arena) { id in
                    throw ModelError.unsupportedPickle(file: file, detail: "a persistent id (\(id.summary)) outside the main pickle")
                }
                guard case let .bigInt(number) = try plain.load(from: &reader), number == magic else {
                    throw ModelError.notACheckpoint(file: file, reason: "a pickle, but not one written by torch.save (no magic number)")
                }
                let format = try plain.load(from: &reader)
                guard format.intValue == version else {
                    throw ModelError.unsupportedPickle(
                        file: file, detail: "legacy format version \(format.summary); Loupe reads \(version)")
                }
                _ = try plain.load(from: &reader)  // system information
                let main = Unpickler(file: file, arena: arena) { id in
                    try storage(for: id, roots: &roots, file: file)
                }
                let root = try main.load(from: &reader)
                let keys = try plain.load(from: &reader)
                let records = try storageRecords(keys, roots: roots, reader: &reader)
                return (records, try Checkpoint.stateDictTensors(in: root, file: file))
            }
            return try Checkpoint.materialize(tensors, file: file) { key, _ in
                guard let range = records[key] else {
                    throw ModelError.notACheckpoint(file: file, reason: "storage \(key) is used but its data was never written")
                }
                return data[(data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)]
            }
        }
    }

    /// Turns a persistent id of the main pickle into a storage, remembering each root storage's
    /// type and size.
    private static func storage(for id: PickleValue, roots: inout [String: StorageReference], file: String) throws -> PickleValue {
        guard let items = id.sequenceItems, items.count == 6, items[0].stringValue == "storage",
            case let .global(.storageClass(_, type)) = items[1], let rootKey = items[2].stringValue,
            let count = items[4].intValue, count >= 0
        else {
            if let items = id.sequenceItems, items.first?.stringValue == "module" {
                throw ModelError.unsupportedPickle(
                    file: file, detail: "the file pickles a whole nn.Module; save its state_dict() instead")
            }
            throw ModelError.unsupportedPickle(file: file, detail: "a persistent id \(id.summary) that is not a storage")
        }
        let root: StorageReference
        if let known = roots[rootKey] {
            guard known.type == type, known.count == count else {
                throw ModelError.notACheckpoint(
                    file: file,
                    reason: "storage \(rootKey) is described both as \(known.count) \(known.type.name) and \(count) \(type.name) elements")
            }
            root = known
        } else {
            root = StorageReference(key: rootKey, type: type, count: count)
            roots[rootKey] = root
        }
        switch items[5] {
        case .none:
            return .storage(root)
        case let view:
            guard let parts = view.sequenceItems, parts.count == 3, parts[0].stringValue != nil,
                let offset = parts[1].intValue, let size = parts[2].intValue,
                offset >= 0, size >= 0, offset <= count, size <= count - offset
            else {
                throw ModelError.notACheckpoint(file: file, reason: "storage \(rootKey) has a malformed view \(view.summary)")
            }
            return .storage(StorageReference(key: rootKey, type: type, offset: offset, count: size))
        }
    }

    /// Reads the storage records that follow the pickles and returns where each one's elements lie.
    private static func storageRecords(
        _ keys: PickleValue, roots: [String: StorageReference], reader: inout ByteReader
    ) throws -> [String: Range<Int>] {
        let file = reader.file
        guard let items = keys.sequenceItems else {
            throw ModelError.notACheckpoint(file: file, reason: "the list of storage keys is \(keys.summary)")
        }
        var records: [String: Range<Int>] = [:]
        for item in items {
            guard let key = item.stringValue, let root = roots[key] else {
                throw ModelError.notACheckpoint(file: file, reason: "storage \(item.summary) is listed but no tensor uses it")
            }
            let count = try reader.littleEndian(8, "the element count of storage \(key)")
            guard count == UInt64(root.count) else {
                throw ModelError.notACheckpoint(
                    file: file, reason: "storage \(key) holds \(count) element(s) but the pickle says \(root.count)")
            }
            let (length, overflow) = root.count.multipliedReportingOverflow(by: root.type.byteSize)
            guard !overflow else { throw ModelError.notACheckpoint(file: file, reason: "storage \(key) is impossibly large") }
            let start = reader.position
            _ = try reader.slice(length, "storage \(key) (\(root.count) \(root.type.name) elements)")
            records[key] = start..<(start + length)
        }
        return records
    }
}
