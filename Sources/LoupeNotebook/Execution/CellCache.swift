import Foundation
import LoupeModels

/// Cell outputs on disk, one JSON file per cache key under `<home>/cells/`.
///
/// Entries are written to a temporary file and renamed into place, so an interrupted render
/// never leaves a half-written entry; an entry that cannot be read (truncated, from another
/// version, edited by hand) is a miss and is overwritten by the next run.
public struct CellCache: Sendable {
    /// One cell's stored result.
    public struct Entry: Codable, Sendable, Equatable {
        /// The Loupe version that wrote the entry.
        public var version: String
        /// The directive that produced it.
        public var directive: String
        /// The outputs, in order.
        public var outputs: [CellOutput]
        /// Models the outputs were computed from.
        public var models: [Provenance.Model]
        /// Images the outputs were computed from.
        public var images: [Provenance.Image]
        /// How long the cell took when it ran, in seconds.
        public var duration: Double
    }

    /// The folder holding the entries.
    public let directory: URL

    /// A cache in `directory` (created on the first store).
    public init(directory: URL) {
        self.directory = directory
    }

    /// The cache in `LOUPE_CELL_CACHE` if set, else `cells/` under Loupe's home (`LOUPE_HOME`,
    /// or `~/.cache/loupe`).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> CellCache {
        if let custom = environment["LOUPE_CELL_CACHE"], !custom.isEmpty {
            return CellCache(directory: URL(fileURLWithPath: (custom as NSString).expandingTildeInPath))
        }
        return CellCache(directory: ModelStore(environment: environment).home.appendingPathComponent("cells"))
    }

    private func url(for key: String) -> URL {
        directory.appendingPathComponent(key + ".json")
    }

    /// The entry stored under `key`, or `nil` when there is none or it cannot be read.
    public func entry(for key: String) -> Entry? {
        guard let data = try? Data(contentsOf: url(for: key)),
            let entry = try? JSONDecoder().decode(Entry.self, from: data),
            entry.version == LoupeVersion.string
        else { return nil }
        return entry
    }

    /// Stores `entry` under `key`, atomically.
    ///
    /// - Throws: ``NotebookError/writeFailed(path:reason:)``.
    public func store(_ entry: Entry, for key: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(entry)
        } catch {
            throw NotebookError.writeFailed(path: url(for: key).path, reason: String(describing: error))
        }
        try writeAtomically(data, to: url(for: key))
    }

    /// Deletes every entry.
    ///
    /// - Returns: How many entries there were.
    @discardableResult
    public func clear() throws -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for file in files {
            try FileManager.default.removeItem(at: directory.appendingPathComponent(file))
        }
        return files.filter { $0.hasSuffix(".json") }.count
    }
}
