import Foundation
import ZIPFoundation

/// Reads PyTorch's zip checkpoint format (`torch.save` since PyTorch 1.6) and TorchScript
/// archives (`torch.jit.save`).
///
/// Every record sits in one top-level folder (named after the file when it was saved):
/// `<folder>/data.pkl` is the pickled object, `<folder>/data/<key>` holds the raw bytes of each
/// storage, and `<folder>/byteorder` (PyTorch 2.1 and later) says `little` or `big`. The
/// pickle's persistent ids are `('storage', storage_type, key, location, numel)`.
///
/// A TorchScript archive also has `code/` and `constants.pkl`; its `data.pkl` pickles the module
/// itself as `__torch__.…` objects, which Loupe reads as inert records and flattens into
/// `state_dict` keys with ``TorchScriptModules``. Constants are not part of a `state_dict` and
/// are not read.
enum TorchZip {
    /// Chunk size for reading entries.
    static let chunkSize = 1 << 20

    /// Reads the tensors of the zip-format checkpoint at `url`, whose bytes (memory-mapped) are `data`.
    ///
    /// The archive is read through a file handle rather than from memory: ZIPFoundation's
    /// in-memory archives trap when a forged offset points past the end, while reads from a
    /// file simply come back short and are reported as truncation.
    ///
    /// - Throws: ``ModelError/truncated(file:detail:)`` when the archive or an entry is cut short,
    ///   ``ModelError/notACheckpoint(file:reason:)`` when it is not a PyTorch archive, and the
    ///   unpickler's errors.
    static func read(_ url: URL, data: Data, file: String) throws -> StateDict {
        try ZipPreflight.check(data, file: file)
        let fileLength = data.count
        let archive = try open(url, file: file)
        var entries: [String: Entry] = [:]
        for entry in archive where entries[entry.path] == nil { entries[entry.path] = entry }

        let pickles = entries.keys.filter { path in
            path.hasSuffix("data.pkl") && (path == "data.pkl" || (path.hasSuffix("/data.pkl") && path.split(separator: "/").count == 2))
        }
        guard let picklePath = pickles.min(), let pickleEntry = entries[picklePath] else {
            let names = entries.keys.sorted().prefix(5).joined(separator: ", ")
            throw ModelError.notACheckpoint(
                file: file, reason: "a zip archive without a PyTorch data.pkl (it holds \(entries.count) entries: \(names)…)")
        }
        let folder = String(picklePath.dropLast("data.pkl".count))
        let isTorchScript = entries[folder + "constants.pkl"] != nil || entries.keys.contains { $0.hasPrefix(folder + "code/") }

        var bigEndian = false
        if let orderEntry = entries[folder + "byteorder"] {
            let order = String(decoding: try contents(of: orderEntry, in: archive, fileLength: fileLength, file: file), as: UTF8.self)
            switch order.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw ModelError.notACheckpoint(file: file, reason: "byteorder record says \"\(order.prefix(20))\"")
            }
        }

        let pickle = try contents(of: pickleEntry, in: archive, fileLength: fileLength, file: file)
        return try PickleArena.with { arena in
            var unpickler = Unpickler(file: file, arena: arena) { id in try storage(for: id, file: file) }
            unpickler.allowsTorchScript = isTorchScript
            let root = try pickle.withUnsafeBytes { raw in
                var reader = ByteReader(raw, file: file)
                return try unpickler.load(from: &reader)
            }
            let modules = TorchScriptModules(file: file) { path in
                guard let entry = entries[folder + path] else { return nil }
                return try? String(decoding: contents(of: entry, in: archive, fileLength: fileLength, file: file), as: UTF8.self)
            }
            let tensors = try Checkpoint.stateDictTensors(in: root, file: file, flatten: isTorchScript ? modules.flatten : nil)
            return try Checkpoint.materialize(tensors, file: file, bigEndian: bigEndian) { key, needed in
                guard let entry = entries[folder + "data/" + key] else {
                    throw ModelError.notACheckpoint(file: file, reason: "the archive has no record \(folder)data/\(key) for storage \(key)")
                }
                return try contents(of: entry, in: archive, fileLength: fileLength, file: file, keeping: needed)
            }
        }
    }

    /// Opens the archive, telling a cut-short file from a corrupt one.
    private static func open(_ url: URL, file: String) throws -> Archive {
        do {
            return try Archive(url: url, accessMode: .read)
        } catch Archive.ArchiveError.missingEndOfCentralDirectoryRecord {
            throw ModelError.truncated(
                file: file, detail: "the zip archive has no end-of-central-directory record; the file was probably cut short")
        } catch {
            throw ModelError.notACheckpoint(file: file, reason: "a corrupt zip archive (\(error))")
        }
    }

    /// Whether the zip archive at `url`, whose bytes (memory-mapped) are `data`, is a
    /// TorchScript archive (`torch.jit.save`: it has `code/` or `constants.pkl`) rather than a
    /// `torch.save` checkpoint; `false` for anything that is not a readable zip archive.
    ///
    /// The archive passes ``ZipPreflight`` first, as for reading: ZIPFoundation traps on forged
    /// directory offsets when it lists the entries (found by `Fuzz/`'s checkpoint harness).
    static func isTorchScript(_ url: URL, data: Data) -> Bool {
        let archive: Archive
        do {
            try ZipPreflight.check(data, file: url.path)
            archive = try Archive(url: url, accessMode: .read, pathEncoding: nil)
        } catch {
            return false
        }
        return archive.contains { entry in
            let parts = entry.path.split(separator: "/", maxSplits: 2)
            return parts.count >= 2 && (parts[1] == "code" || parts[1] == "constants.pkl")
        }
    }

    /// A storage named by a persistent id `('storage', storage_type, key, location, numel)`.
    private static func storage(for id: PickleValue, file: String) throws -> PickleValue {
        guard let items = id.sequenceItems, items.count == 5, items[0].stringValue == "storage",
            case let .global(.storageClass(_, type)) = items[1], let key = items[2].stringValue,
            let count = items[4].intValue, count >= 0
        else {
            throw ModelError.unsupportedPickle(file: file, detail: "a persistent id \(id.summary) that is not a storage")
        }
        return .storage(StorageReference(key: key, type: type, count: count))
    }

    /// Reads an entry, keeping its first `kept` bytes (all of it by default) in one buffer.
    ///
    /// Sizes in the zip's directory are checked against the file first, and reading stops with
    /// an error as soon as the entry yields more or fewer bytes than it declares, so that neither
    /// a forged size nor a decompression bomb can make Loupe allocate without bound. The whole
    /// entry is always read, for its size and CRC-32, but bytes past `kept` (a storage's bytes
    /// that no tensor uses) are checked and dropped, never held.
    static func contents(of entry: Entry, in archive: Archive, fileLength: Int, file: String, keeping kept: Int = .max) throws -> Data {
        let declared = entry.uncompressedSize
        guard entry.type == .file else {
            throw ModelError.notACheckpoint(file: file, reason: "\(entry.path) is not a file in the archive")
        }
        guard entry.compressedSize <= UInt64(fileLength) else {
            throw ModelError.truncated(
                file: file, detail: "\(entry.path) claims \(entry.compressedSize) byte(s) but the whole file has \(fileLength)")
        }
        // Deflate expands at most about 1032:1.
        guard declared <= entry.compressedSize.multipliedReportingOverflow(by: 1032).partialValue || !entry.isCompressed,
            entry.isCompressed || declared == entry.compressedSize,
            declared <= UInt64(Int.max)
        else {
            throw ModelError.notACheckpoint(
                file: file, reason: "\(entry.path) claims \(declared) byte(s) from \(entry.compressedSize) stored byte(s)")
        }
        var buffer = Data()
        buffer.reserveCapacity(Int(min(declared, UInt64(fileLength), UInt64(max(kept, 0)))))
        var overrun = false
        var read: UInt64 = 0
        var crc: UInt32 = 0
        do {
            _ = try archive.extract(entry, bufferSize: chunkSize, skipCRC32: true) { chunk in
                // An empty chunk before the end means the file ended early.
                guard !chunk.isEmpty || read == declared else { throw Archive.ArchiveError.invalidEntrySize }
                guard read + UInt64(chunk.count) <= declared else {
                    overrun = true
                    throw Archive.ArchiveError.invalidEntrySize
                }
                read += UInt64(chunk.count)
                crc = chunk.withUnsafeBytes { ZipChecksum.checksum($0, after: crc) }
                if buffer.count < kept { buffer.append(chunk.prefix(kept - buffer.count)) }
            }
        } catch let error as ModelError {
            throw error
        } catch {
            if overrun {
                throw ModelError.notACheckpoint(file: file, reason: "\(entry.path) holds more than the \(declared) byte(s) it declares")
            }
            throw ModelError.truncated(
                file: file, detail: "\(entry.path) declares \(declared) byte(s) but only \(read) could be read (\(error))")
        }
        guard read == declared else {
            throw ModelError.truncated(file: file, detail: "\(entry.path) declares \(declared) byte(s) but holds \(read)")
        }
        guard crc == entry.checksum else {
            throw ModelError.notACheckpoint(file: file, reason: "\(entry.path) fails its CRC-32 check; the file is corrupt")
        }
        return buffer
    }
}
