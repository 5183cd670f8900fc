import Foundation
import LoupeTensor

/// CLIP checkpoints a user brought, registered under a name in the store: copied into
/// `$LOUPE_HOME/models/<name>/` with their SHA-256, variant and activation recorded in
/// `clip.json` there, and checked against that digest whenever they are loaded by name.
///
/// No CLIP weights are on the package indexes the store fetches from, so `loupe models install
/// clip-vit-b-32 --file ViT-B-32.pt` is how a user's file becomes a named model, as
/// `efficientnet-lite0` is.
public struct CLIPRegistry: Sendable {
    /// What is recorded of a registered file (`clip.json`).
    public struct Record: Codable, Sendable, Equatable {
        /// The name it is registered under.
        public var name: String
        /// The file's name inside the model's folder (the original name).
        public var file: String
        /// The file's SHA-256 when it was registered.
        public var sha256: String
        /// The variant read from its keys (`ViT-B/32`).
        public var variant: String
        /// The activation it loads with (`quickgelu` or `gelu`).
        public var activation: String
        /// Where the file was registered from.
        public var source: String
    }

    /// The store's root (`$LOUPE_HOME`).
    public let home: URL

    /// The registry under the store's root.
    public init(home: URL = ModelStore().home) { self.home = home }

    /// Whether `name` can name a model: lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.isEmpty, name.count <= 64 else { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-_.")
        return CharacterSet.alphanumerics.contains(first) && name.unicodeScalars.allSatisfy(allowed.contains)
    }

    private func folder(_ name: String) -> URL { home.appendingPathComponent("models/\(name)") }

    /// Checks that `file` is a CLIP Loupe can build, then copies it into the store under `name`
    /// and records its digest, variant and activation.
    ///
    /// - Parameters:
    ///   - name: the name to register it under; it must not be a store model's name.
    ///   - file: the checkpoint.
    ///   - activation: the MLPs' function, or the file's (see ``CLIPModel/init(weights:name:activation:sha256:)``).
    /// - Returns: the record.
    /// - Throws: ``ModelError/invalidSource(_:)`` for a bad or taken name, the errors of loading
    ///   the file as a CLIP, and file-system errors; nothing is registered when it throws.
    public func register(name: String, file: URL, activation: LinearActivation? = nil) throws -> Record {
        guard Self.isValidName(name) else {
            throw ModelError.invalidSource(
                "\"\(name)\" cannot name a model: use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit")
        }
        if ModelStore.entries.contains(where: { $0.name == name }) {
            throw ModelError.invalidSource("\"\(name)\" is a store model's name; choose another for your CLIP")
        }
        let model = try CLIPModel(weights: file, name: name, activation: activation)
        let target = folder(name)
        let scratch = home.appendingPathComponent("tmp/\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let record = Record(
            name: name, file: file.lastPathComponent, sha256: model.sha256, variant: model.configuration.variantName,
            activation: model.configuration.activation.rawValue, source: file.path)
        try FileManager.default.copyItem(at: file, to: scratch.appendingPathComponent(record.file))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: scratch.appendingPathComponent("clip.json"))
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
        try FileManager.default.moveItem(at: scratch, to: target)
        return record
    }

    /// The record of `name`, or `nil` when nothing is registered under it.
    ///
    /// - Throws: ``ModelError/store(model:reason:)`` for an unreadable record.
    public func record(named name: String) throws -> Record? {
        guard Self.isValidName(name) else { return nil }
        let url = folder(name).appendingPathComponent("clip.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(Record.self, from: Data(contentsOf: url))
        } catch {
            throw ModelError.store(model: name, reason: "\(url.path) cannot be read: \(error)")
        }
    }

    /// Every registered CLIP, by name.
    public func records() -> [Record] {
        let models = home.appendingPathComponent("models")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: models.path)) ?? []
        return names.sorted().compactMap { try? record(named: $0) }
    }

    /// The CLIP registered as `name`, its file checked against the recorded SHA-256.
    ///
    /// - Throws: ``ModelError/unknownModel(name:suggestions:)`` when nothing is registered under
    ///   it, ``ModelError/store(model:reason:)`` when the file is gone or its digest changed, and
    ///   the errors of loading it.
    public func load(named name: String) throws -> CLIPModel {
        guard let record = try record(named: name) else {
            throw ModelError.unknownModel(name: name, suggestions: closestNames(to: name, in: records().map(\.name)))
        }
        let url = folder(name).appendingPathComponent(record.file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelError.store(model: name, reason: "its file \(url.path) is gone; install it again with --file")
        }
        let digest = try SHA256Digest.hex(ofFileAt: url)
        guard digest == record.sha256 else {
            throw ModelError.store(
                model: name, reason: "\(url.path) has SHA-256 \(digest), not the \(record.sha256) recorded when it was installed")
        }
        return try CLIPModel(weights: url, name: name, activation: LinearActivation(rawValue: record.activation), sha256: digest)
    }
}
