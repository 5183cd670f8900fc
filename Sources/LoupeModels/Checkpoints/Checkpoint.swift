import Foundation

/// Reads model weights from PyTorch and safetensors checkpoint files, without Python.
///
/// ``load(contentsOf:)`` recognises the format from the file's first bytes:
/// - PyTorch's zip format (`torch.save` since 1.6), including TorchScript archives
///   (`torch.jit.save`), whose module attributes are flattened into `state_dict` keys;
/// - PyTorch's legacy format (`torch.save(…, _use_new_zipfile_serialization=False)`);
/// - safetensors.
///
/// Tensors stored as float32, float16, bfloat16 or int64 are converted to Float32, views
/// (offsets, strides, shared storages) are honoured, and common wrappers are removed:
/// `{"state_dict": …}`, `{"model": …}` and `{"model_state_dict": …}` yield the inner dict,
/// non-tensor entries (epoch numbers, optimizer state) are ignored, and a `module.` prefix on
/// every key (`DataParallel`) is stripped.
///
/// Files are treated as hostile: pickles run in a small virtual machine that only knows the
/// globals a `state_dict` needs (see ``ModelError/forbiddenGlobal(file:module:name:)``), and
/// every length and offset is checked before it is used.
public enum Checkpoint {
    /// Reads the tensors of the checkpoint at `url`.
    ///
    /// The file is memory-mapped, and a tensor's bytes are read only if the tensor is returned.
    ///
    /// - Parameter url: a `.pt`/`.pth`/`.bin` file written by `torch.save` or `torch.jit.save`,
    ///   or a `.safetensors` file.
    /// - Returns: the tensors by their `state_dict` keys, as Float32 in PyTorch's layout.
    /// - Throws: a ``ModelError`` naming the file (`url.path`): ``ModelError/unreadable(file:reason:)``,
    ///   ``ModelError/notACheckpoint(file:reason:)``, ``ModelError/truncated(file:detail:)``,
    ///   ``ModelError/forbiddenGlobal(file:module:name:)``, ``ModelError/unsupportedPickle(file:detail:)``
    ///   or ``ModelError/unsupportedDType(file:key:dtype:)``.
    public static func load(contentsOf url: URL) throws -> StateDict {
        try loadWithMetadata(contentsOf: url).tensors
    }

    /// Reads the tensors of the checkpoint at `url` as ``load(contentsOf:)`` does, with the
    /// string metadata of a safetensors header (`__metadata__`; empty for other formats).
    ///
    /// - Parameter url: the checkpoint.
    /// - Returns: the tensors by key, and the metadata.
    /// - Throws: as ``load(contentsOf:)``.
    public static func loadWithMetadata(contentsOf url: URL) throws -> (tensors: StateDict, metadata: [String: String]) {
        let name = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory) else {
            throw ModelError.unreadable(file: name, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw ModelError.unreadable(file: name, reason: "it is a directory") }
        let mapping = try MappedFile(url)
        let data = mapping.data
        switch try CheckpointFormat(sniffing: data, file: name) {
        case .torchZip: return (try TorchZip.read(url, data: data, file: name), [:])
        case .torchLegacy: return (try TorchLegacy.read(data, file: name), [:])
        case .safetensors: return try Safetensors.readWithMetadata(data, file: name, consumed: mapping.release)
        }
    }
}

extension Checkpoint {
    /// Whether the file at `url` is a TorchScript archive (`torch.jit.save`, as OpenAI's CLIP
    /// files are) rather than a state dict; `false` for any other file, readable or not.
    public static func isTorchScriptArchive(at url: URL) -> Bool {
        guard let mapping = try? MappedFile(url), (try? CheckpointFormat(sniffing: mapping.data, file: url.path)) == .torchZip else {
            return false
        }
        return TorchZip.isTorchScript(url, data: mapping.data)
    }
}

/// The container formats ``Checkpoint`` reads.
enum CheckpointFormat: Equatable {
    case torchZip, torchLegacy, safetensors

    /// Recognises the format from the first bytes.
    ///
    /// - Throws: ``ModelError/notACheckpoint(file:reason:)`` for anything else (including an
    ///   empty file), ``ModelError/unsupportedPickle(file:detail:)`` for the tar format of
    ///   PyTorch's earliest releases.
    init(sniffing data: Data, file: String) throws {
        let head = [UInt8](data.prefix(16))
        guard !head.isEmpty else { throw ModelError.notACheckpoint(file: file, reason: "the file is empty") }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            self = .torchZip
        } else if head.count >= 2, head[0] == 0x80, (2...Unpickler.highestProtocol).contains(Int(head[1])) {
            self = .torchLegacy
        } else if data.count >= 262, data[data.startIndex + 257..<data.startIndex + 262].elementsEqual("ustar".utf8) {
            throw ModelError.unsupportedPickle(
                file: file,
                detail: "this is a tar archive, the format of PyTorch's earliest releases, which Loupe does not read; "
                    + "load it with torch.load and save it again with torch.save")
        } else if head.count >= 9, head[8] == UInt8(ascii: "{") {
            self = .safetensors
        } else {
            let bytes = head.prefix(8).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }
            throw ModelError.notACheckpoint(
                file: file,
                reason: "it is neither a zip archive, a pickle nor a safetensors file (it starts with \(bytes.joined(separator: " ")))")
        }
    }
}

// MARK: - From an unpickled checkpoint to a StateDict

extension Checkpoint {
    /// Keys under which training scripts nest the state dict, in order of preference.
    static let wrapperKeys = ["state_dict", "model_state_dict", "model"]

    /// Finds the tensors of the state dict in an unpickled checkpoint.
    ///
    /// Descends through ``wrapperKeys`` (at most four levels), keeps string-keyed tensors and
    /// ignores everything else. `flatten` turns a TorchScript module record into its keyed
    /// tensors; without it a record is not a state dict.
    ///
    /// - Throws: ``ModelError/notACheckpoint(file:reason:)`` when no tensor is found.
    static func stateDictTensors(
        in root: PickleValue, file: String, flatten: ((PickleRecord) throws -> [(String, TensorReference)])? = nil
    ) throws -> [(String, TensorReference)] {
        var current = root
        for _ in 0..<4 {
            guard case let .dict(dict) = current else { break }
            let inner = wrapperKeys.lazy.compactMap { dict[$0] }.first { value in
                switch value {
                case .dict, .record: return true
                default: return false
                }
            }
            guard let inner else { break }
            current = inner
        }
        var tensors: [(String, TensorReference)] = []
        switch current {
        case let .dict(dict):
            for (key, value) in dict.entries {
                if let name = key.stringValue, case let .tensor(tensor) = value { tensors.append((name, tensor)) }
            }
            guard !tensors.isEmpty else {
                let keys = dict.entries.prefix(8).map { $0.key.stringValue ?? $0.key.summary }
                throw ModelError.notACheckpoint(
                    file: file, reason: "the checkpoint holds no tensors (its dict has the keys \(keys.joined(separator: ", ")))")
            }
        case let .record(record):
            guard let flatten else {
                throw ModelError.notACheckpoint(file: file, reason: "the pickle holds a \(record.className) object, not a state dict")
            }
            tensors = try flatten(record)
        default:
            throw ModelError.notACheckpoint(file: file, reason: "the pickle holds \(current.summary), not a state dict")
        }
        if tensors.allSatisfy({ $0.0.hasPrefix("module.") }) {
            tensors = tensors.map { (String($0.0.dropFirst("module.".count)), $0.1) }
        }
        return tensors
    }

    /// Reads the elements of `tensors` from their storages.
    ///
    /// Each storage's bytes are fetched once through `storageBytes` (with its key) and released
    /// after the last tensor that uses them.
    ///
    /// - Parameters:
    ///   - tensors: the keyed tensors to read.
    ///   - file: the checkpoint, for errors.
    ///   - bigEndian: whether the storages hold big-endian elements.
    ///   - storageBytes: the bytes of the storage with a given key, given how many of its first
    ///     bytes the tensors read (a reader may return just those).
    /// - Returns: the tensors as Float32.
    /// - Throws: ``ModelError/unsupportedDType(file:key:dtype:)`` for element types Loupe does not
    ///   convert, ``ModelError/truncated(file:detail:)`` for storages shorter than they claim, and
    ///   whatever `storageBytes` throws.
    static func materialize(
        _ tensors: [(String, TensorReference)], file: String, bigEndian: Bool = false,
        storageBytes: (_ key: String, _ needed: Int) throws -> Data
    ) throws -> StateDict {
        var uses: [String: Int] = [:]
        // How many of each storage's first bytes its tensors read: a reader need keep no more.
        var needed: [String: Int] = [:]
        for (_, tensor) in tensors {
            let storage = tensor.storage
            uses[storage.key, default: 0] += 1
            let (end, overflow1) = storage.offset.addingReportingOverflow(storage.count)
            let (bytes, overflow2) = end.multipliedReportingOverflow(by: storage.type.byteSize)
            needed[storage.key] = max(needed[storage.key] ?? 0, overflow1 || overflow2 ? .max : bytes)
        }
        var cache: [String: Data] = [:]
        var result = StateDict()
        for (key, tensor) in tensors {
            let storage = tensor.storage
            guard storage.type.isConvertible else {
                throw ModelError.unsupportedDType(file: file, key: key, dtype: storage.type.name)
            }
            let bytes: Data
            if let cached = cache[storage.key] {
                bytes = cached
            } else {
                bytes = try storageBytes(storage.key, needed[storage.key] ?? .max)
                cache[storage.key] = bytes
            }
            let size = storage.type.byteSize
            let (start, overflow1) = storage.offset.multipliedReportingOverflow(by: size)
            let (length, overflow2) = storage.count.multipliedReportingOverflow(by: size)
            guard !overflow1, !overflow2, start <= bytes.count, length <= bytes.count - start else {
                throw ModelError.truncated(
                    file: file,
                    detail: "storage \(storage.key) of tensor \(key) should hold \(storage.count) \(storage.type.name) element(s) "
                        + "from element \(storage.offset) but has \(bytes.count) byte(s)")
            }
            let slice = bytes[(bytes.startIndex + start)..<(bytes.startIndex + start + length)]
            result[key] = try slice.withUnsafeBytes { raw in
                try tensor.layout.tensor(from: raw, type: storage.type, bigEndian: bigEndian, key: key, file: file)
            }
            uses[storage.key, default: 1] -= 1
            if uses[storage.key] == 0 { cache[storage.key] = nil }
        }
        return result
    }
}
