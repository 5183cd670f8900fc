import Foundation
import LoupeTensor
import Testing

@testable import LoupeModels

/// The case of a ``ModelError``, without its payload.
enum ModelErrorKind: String, Sendable {
    case unreadable, notACheckpoint, truncated, forbiddenGlobal, unsupportedPickle, unsupportedDType, other

    init(_ error: ModelError) {
        switch error {
        case .unreadable: self = .unreadable
        case .notACheckpoint: self = .notACheckpoint
        case .truncated: self = .truncated
        case .forbiddenGlobal: self = .forbiddenGlobal
        case .unsupportedPickle: self = .unsupportedPickle
        case .unsupportedDType: self = .unsupportedDType
        default: self = .other
        }
    }
}

/// Loads `url`, expecting a ``ModelError``, and returns it.
func loadError(_ url: URL) -> ModelError? {
    do {
        _ = try Checkpoint.load(contentsOf: url)
        return nil
    } catch let error as ModelError {
        return error
    } catch {
        Issue.record("\(url.lastPathComponent): not a ModelError: \(error)")
        return nil
    }
}

/// Hostile and broken files throw the right ``ModelError`` naming the file, and never crash.
@Suite struct CheckpointHostileTests {
    static let cases: [(String, ModelErrorKind)] = [
        ("evil_posix_system.pt", .forbiddenGlobal),
        ("evil_legacy_os_system.pt", .forbiddenGlobal),
        ("evil_builtins_eval.pt", .forbiddenGlobal),
        ("truncated_zip.pt", .truncated),
        ("truncated_legacy.pt", .truncated),
        ("random.bin", .notACheckpoint),
        ("empty.pt", .notACheckpoint),
        ("safetensors_past_end.safetensors", .truncated),
        ("zip_huge_pickle_length.pt", .truncated),
        ("zip_huge_entry_size.pt", .truncated),
        ("float64.pt", .unsupportedDType),
        ("float64.safetensors", .unsupportedDType),
    ]

    @Test(arguments: cases)
    func throwsTheRightError(_ name: String, _ kind: ModelErrorKind) throws {
        let url = try checkpointFixture(name)
        let error = try #require(loadError(url), "\(name) loaded")
        #expect(ModelErrorKind(error) == kind, "\(name): \(error)")
        #expect(error.description.hasPrefix(url.path + ":"), "\(error)")
    }

    /// A forged zip directory found by fuzzing is neither a TorchScript archive nor a crash.
    ///
    /// `Fuzz/`'s checkpoint harness found a zip archive whose central directory ZIPFoundation
    /// cannot address. Asking whether it is a TorchScript archive listed its entries without the
    /// zip preflight, and ZIPFoundation trapped, ending the process (`loupe clip` and `loupe
    /// models install` ask that of a user's file).
    @Test func aForgedZipDirectoryIsNeitherTorchScriptNorACrash() throws {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/fuzz/zip_directory_offset.pt")
        #expect(FileManager.default.fileExists(atPath: url.path))
        #expect(!Checkpoint.isTorchScriptArchive(at: url))
        let error = try #require(loadError(url), "the forged archive loaded")
        #expect([.notACheckpoint, .truncated].contains(ModelErrorKind(error)), "\(error)")
        // A real archive still is one.
        #expect(Checkpoint.isTorchScriptArchive(at: try checkpointFixture("tiny_script.pt")))
        #expect(!Checkpoint.isTorchScriptArchive(at: try checkpointFixture("tiny_zip.pt")))
    }

    @Test func forbiddenGlobalsAreNamed() throws {
        let expected = [
            "evil_posix_system.pt": ("posix", "system"),
            "evil_legacy_os_system.pt": ("os", "system"),
            "evil_builtins_eval.pt": ("builtins", "eval"),
        ]
        for (name, global) in expected {
            let url = try checkpointFixture(name)
            #expect(loadError(url) == .forbiddenGlobal(file: url.path, module: global.0, name: global.1))
        }
    }

    @Test func unsupportedTypesNameTheKey() throws {
        let zip = try checkpointFixture("float64.pt")
        #expect(loadError(zip) == .unsupportedDType(file: zip.path, key: "weight", dtype: "float64"))
        let safetensors = try checkpointFixture("float64.safetensors")
        #expect(loadError(safetensors) == .unsupportedDType(file: safetensors.path, key: "weight", dtype: "F64"))
    }

    @Test func missingFilesAndDirectoriesAreUnreadable() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/loupe/model.pth")
        #expect(loadError(missing) == .unreadable(file: missing.path, reason: "no such file"))
        let folder = try checkpointFixture("")
        #expect(loadError(folder).map(ModelErrorKind.init) == .unreadable)
    }
}

/// Hostile bytes made in memory: forged pickles, JSON and layouts.
@Suite struct CheckpointForgedInputTests {
    /// Writes `bytes` to a temporary file, loads it, and returns the error kind (nil if it loaded).
    func kind(_ bytes: [UInt8]) -> ModelErrorKind? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-forged-\(UUID().uuidString).pt")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try Data(bytes).write(to: url)
            _ = try Checkpoint.load(contentsOf: url)
            return nil
        } catch let error as ModelError {
            #expect(error.description.hasPrefix(url.path + ":"), "\(error)")
            return ModelErrorKind(error)
        } catch {
            Issue.record("not a ModelError: \(error)")
            return .other
        }
    }

    /// A legacy-format file: the real preamble, `pickle`, and an empty list of storage keys.
    func legacy(_ pickle: [UInt8]) -> [UInt8] {
        let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + TorchLegacy.magic + [0x2E]
        let version: [UInt8] = [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
        let info: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]
        return magic + version + info + pickle + [0x80, 0x02, 0x5D, 0x2E]
    }

    @Test func deepNestingNeitherRecursesNorCrashes() {
        // A million TUPLE1s around None: nesting built in a million bytes.
        let tuples = [UInt8]([0x80, 0x02, 0x4E]) + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        #expect(kind(legacy(tuples)) == .notACheckpoint)
        // A million EMPTY_LIST + APPEND pairs: each list inside the next.
        var lists: [UInt8] = [0x80, 0x02, 0x5D]
        for _ in 0..<500_000 { lists += [0x5D, 0x32, 0x30] }  // EMPTY_LIST, DUP, POP
        for _ in 0..<500_000 { lists += [0x61] }  // APPEND
        lists.append(0x2E)
        #expect(kind(legacy(lists)) != nil)
    }

    @Test func aSelfReferencingListIsHarmless() {
        // l = []; l.append(l); {"w": l}
        let pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x8C, 0x01, 0x77, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x73, 0x2E]
        #expect(kind(legacy(pickle)) == .notACheckpoint)
    }

    @Test func stackAndMemoAbuseIsRejected() {
        #expect(kind(legacy([0x80, 0x02, 0x2E])) == .unsupportedPickle)  // STOP on an empty stack
        #expect(kind(legacy([0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E])) == .unsupportedPickle)  // LONG_BINGET unset
        #expect(kind(legacy([0x80, 0x02, 0x74, 0x2E])) == .unsupportedPickle)  // TUPLE without MARK
        #expect(kind(legacy([0x80, 0x02, 0x4E, 0x28, 0x86, 0x2E])) == .unsupportedPickle)  // TUPLE2 across a MARK
        #expect(kind(legacy([0x80, 0x02, 0xFF])) == .unsupportedPickle)  // unknown opcode
        #expect(kind(legacy([0x80, 0x06, 0x4E, 0x2E])) == .unsupportedPickle)  // protocol 6
        #expect(kind(legacy([0x80, 0x02, 0x4E, 0x4E, 0x52, 0x2E])) == .unsupportedPickle)  // calling None
        let marks = [UInt8](repeating: 0x28, count: 70_000)
        #expect(kind(legacy([0x80, 0x02] + marks + [0x2E])) == .unsupportedPickle)
    }

    @Test func lengthFieldsAreCheckedBeforeAllocating() {
        let huge: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x10]  // 2^60
        #expect(kind(legacy([0x80, 0x02, 0x8D] + huge + [0x2E])) == .truncated)  // BINUNICODE8
        #expect(kind(legacy([0x80, 0x02, 0x8E] + huge + [0x2E])) == .truncated)  // BINBYTES8
        #expect(kind(legacy([0x80, 0x02, 0x95] + huge + [0x2E])) == .truncated)  // FRAME
        #expect(kind(legacy([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF])) == .truncated)  // BINUNICODE
        #expect(kind(legacy([0x80, 0x02, 0x8B, 0xFF, 0xFF, 0xFF, 0x7F])) == .truncated)  // LONG4
        #expect(kind(legacy([0x80, 0x02, 0x63] + Array("posix".utf8))) == .truncated)  // GLOBAL without newline
    }

    @Test func legacyStorageRecordsAreChecked() throws {
        let data = try Data(contentsOf: try checkpointFixture("tiny_legacy.pt"))
        var bytes = [UInt8](data)
        // Flip the first storage record's element count to an absurd value.
        let keysEnd = try storageSectionStart(bytes)
        bytes.replaceSubrange(keysEnd..<(keysEnd + 8), with: [0, 0, 0, 0, 0, 0, 0, 0x40])
        #expect(kind(bytes) == .notACheckpoint)
    }

    /// The offset of the first storage record in a legacy file.
    func storageSectionStart(_ bytes: [UInt8]) throws -> Int {
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw, file: "forged")
            try PickleArena.with { arena in
                let plain = Unpickler(file: "forged", arena: arena) { _ in
                    .storage(StorageReference(key: "any", type: .float32, count: 1 << 40))
                }
                for _ in 0..<5 { _ = try plain.load(from: &reader) }
            }
            return reader.position
        }
    }

    @Test func tensorViewsOutsideTheirStorageAreRejected() {
        #expect(throws: ModelError.self) {
            try StridedLayout(shape: [2, 3], strides: [3, 1], offset: 1, storageCount: 6, file: "f", what: "t")
        }
        #expect(throws: ModelError.self) {
            try StridedLayout(shape: [2], strides: [-1], offset: 1, storageCount: 6, file: "f", what: "t")
        }
        #expect(throws: ModelError.self) {
            try StridedLayout(shape: [Int.max, 2], strides: [Int.max, 1], offset: 0, storageCount: 6, file: "f", what: "t")
        }
        #expect(throws: ModelError.self) {  // an expanded view of 2^40 elements on one element
            try StridedLayout(shape: [1 << 20, 1 << 20], strides: [0, 0], offset: 0, storageCount: 1, file: "f", what: "t")
        }
        #expect(throws: Never.self) {
            _ = try StridedLayout(shape: [0, 5], strides: [5, 1], offset: 100, storageCount: 0, file: "f", what: "t")
        }
    }

    /// A safetensors file with the given JSON header and `dataLength` bytes of data.
    func safetensors(_ header: String, dataLength: Int = 16) -> [UInt8] {
        let json = Array(header.utf8)
        let length = UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json
            + [UInt8](repeating: 0, count: dataLength)
    }

    @Test func safetensorsHeadersAreValidated() {
        #expect(kind(safetensors(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#)) == nil)
        #expect(kind(safetensors(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}"#)) == .notACheckpoint)
        #expect(kind(safetensors(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[8,4]}}"#)) == .notACheckpoint)
        #expect(kind(safetensors(#"{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#)) == .notACheckpoint)
        #expect(kind(safetensors(#"{"a":{"dtype":"I8","shape":[16],"data_offsets":[0,16]}}"#)) == .unsupportedDType)
        #expect(
            kind(
                safetensors(
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#))
                == .notACheckpoint)
        #expect(
            kind(safetensors(#"{"a":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,16]}}"#))
                == .notACheckpoint)
        #expect(kind(safetensors(#"{"a": 1}"#)) == .notACheckpoint)
        #expect(kind(safetensors(#"{"a":"# + String(repeating: "[", count: 200_000))) == .notACheckpoint)
        var claimsTooMuch = safetensors(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#)
        claimsTooMuch[0] = 0xFF
        claimsTooMuch[3] = 0x01
        #expect(kind(claimsTooMuch) == .truncated)
    }

    @Test func forgedZip64FieldsNeverReachZIPFoundation() throws {
        let original = [UInt8](try Data(contentsOf: try checkpointFixture("tiny_zip.pt")))
        // PyTorch writes a ZIP64 end-of-central-directory record: entries at +32, size at +40, offset at +48.
        let signature: [UInt8] = [0x50, 0x4B, 0x06, 0x06]
        let record = try #require((0...(original.count - 4)).last { Array(original[$0..<($0 + 4)]) == signature })
        for field in [32, 40, 48] {
            for value in [UInt64(1) << 63, UInt64.max, UInt64(original.count) + 1] {
                var bytes = original
                let littleEndian = (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
                bytes.replaceSubrange((record + field)..<(record + field + 8), with: littleEndian)
                #expect(kind(bytes) == .notACheckpoint, "field +\(field) = \(value)")
            }
        }
    }

    @Test func tarArchivesAreRefusedClearly() {
        var tar = [UInt8](repeating: 0, count: 1024)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(kind(tar) == .unsupportedPickle)
    }

    /// Flips random bytes of every good fixture: each mutant loads or throws a ``ModelError``.
    @Test(arguments: ["tiny_zip.pt", "tiny_legacy.pt", "tiny_f16.safetensors", "tiny_script.pt", "views_legacy.pt"])
    func mutantsNeverCrash(_ name: String) throws {
        let original = [UInt8](try Data(contentsOf: try checkpointFixture(name)))
        var generator = SplitMix64(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        for round in 0..<150 {
            var bytes = original
            let flips = 1 + Int(generator.next() % 8)
            for _ in 0..<flips {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            if round % 10 == 0 { bytes.removeLast(Int(generator.next() % UInt64(bytes.count))) }
            _ = kind(bytes)
        }
    }
}
