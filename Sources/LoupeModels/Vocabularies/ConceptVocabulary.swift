import Foundation

/// Words or phrases to describe things with — class names, common English words, a user's own
/// list — each with an optional definition.
///
/// The built-in vocabularies are fetched from PyPI wheels on first use into
/// `$LOUPE_HOME/concepts/<name>/`, each file checked against a pinned SHA-256, like the models:
/// - `imagenet`: the 1000 ImageNet-1k classes, Loupe's labels with their WordNet IDs and WordNet
///   3.0 definitions (glosses), from `timm`'s `imagenet_synsets.txt` and
///   `imagenet_synset_to_definition.txt`;
/// - `english-20k`: the 20,000 most frequent English words, from `wordfreq`'s `small_en` list,
///   keeping words of letters (and inner apostrophes or hyphens) and leaving out stop words
///   (as CLIP-Dissect builds its concept set).
///
/// Any text file with one concept per line is a vocabulary too.
public struct ConceptVocabulary: Sendable {
    /// One concept.
    public struct Concept: Sendable, Hashable {
        /// The words (`German shepherd`, `striped`).
        public let text: String
        /// A definition, where the vocabulary has one (a WordNet gloss).
        public let gloss: String?
        /// An identifier, where the vocabulary has one (a WordNet ID, `n02106662`).
        public let identifier: String?

        /// A concept of `text`, with a gloss and an identifier where the vocabulary has them.
        public init(text: String, gloss: String? = nil, identifier: String? = nil) {
            self.text = text
            self.gloss = gloss
            self.identifier = identifier
        }

        /// The text with its gloss, as `German shepherd: breed of large shepherd dogs …`.
        public var sentence: String { gloss.map { "\(text): \($0)" } ?? text }
    }

    /// `imagenet`, `english-20k`, or the file's name.
    public let name: String
    /// The concepts, in the vocabulary's order (a file's line order).
    public let concepts: [Concept]
    /// Where it comes from and its licence, for `loupe concepts list` and report footers.
    public let source: String
    /// SHA-256 over the concepts' texts and glosses: what caches of its embeddings are keyed on.
    public let digest: String

    /// A vocabulary of `concepts`, whose ``digest`` is computed from them.
    public init(name: String, concepts: [Concept], source: String) {
        self.name = name
        self.concepts = concepts
        self.source = source
        digest = SHA256Digest.hex(of: Data(concepts.map { $0.sentence + "\u{1f}" + ($0.identifier ?? "") }.joined(separator: "\n").utf8))
    }

    /// The concepts' texts, in order.
    public var texts: [String] { concepts.map(\.text) }
}

extension ConceptVocabulary {
    /// A built-in vocabulary: the wheel its files come from, and how they become concepts.
    public struct BuiltIn: Sendable {
        /// The name it is loaded by (`imagenet`, `english-20k`).
        public let name: String
        /// What it holds, in a few words (`the 1000 ImageNet-1k classes with …`).
        public let summary: String
        /// The wheel on PyPI and the pinned files taken from it.
        public let files: PackageFiles
        /// The licences of the code and the data it comes from.
        public let licence: String
    }

    /// The vocabularies Loupe can fetch by name.
    public static let builtIns: [BuiltIn] = [
        BuiltIn(
            name: "imagenet", summary: "the 1000 ImageNet-1k classes with their WordNet IDs and definitions",
            files: PackageFiles(
                name: "imagenet", package: "timm==1.0.15",
                files: [
                    .init(
                        pathInWheel: "timm/data/_info/imagenet_synsets.txt",
                        sha256: "70002b0ff5de60a3a17a82dbfcff291931f96225ddf941ad2e182fc39e183d15"),
                    .init(
                        pathInWheel: "timm/data/_info/imagenet_synset_to_definition.txt",
                        sha256: "191e227d48fc8c7b7e2d2a3cac41fc8b2eb517d9d2819d0edbc91c5767250eed"),
                ]),
            licence: "timm (Apache-2.0); definitions from WordNet 3.0 (WordNet licence)"),
        BuiltIn(
            name: "english-20k", summary: "the 20,000 most frequent English words, stop words left out",
            files: PackageFiles(
                name: "english-20k", package: "wordfreq==3.1.1",
                files: [
                    .init(
                        pathInWheel: "wordfreq/data/small_en.msgpack.gz",
                        sha256: "f94a80cba6a3857b260d0666b5432bb7ea9b85315574dee9c306e87f61298247")
                ]),
            licence: "wordfreq (Apache-2.0 code; word list data CC BY-SA 4.0, from Wikipedia, subtitles, books, web text)"),
    ]

    /// How many words `english-20k` keeps.
    static let englishWordCount = 20_000

    /// The vocabulary `nameOrPath` names: a built-in (fetched on first use into `home`), or a
    /// text file with one concept per line.
    ///
    /// - Throws: ``ModelError/unknownVocabulary(name:builtIns:suggestions:)`` for a name that is neither a
    ///   built-in nor a file; ``ModelError/invalidVocabulary(file:reason:)`` for a file that is
    ///   not valid UTF-8, is empty, or has blank or repeated lines (naming the lines); the
    ///   store's errors.
    public static func load(_ nameOrPath: String, home: URL = ModelStore().home, progress: (String) -> Void = { _ in }) throws
        -> ConceptVocabulary
    {
        if let builtIn = builtIns.first(where: { $0.name == nameOrPath.lowercased() }) {
            let folder = home.appendingPathComponent("concepts/\(builtIn.name)")
            let urls = try builtIn.files.install(into: folder, scratch: home.appendingPathComponent("tmp"), progress: progress)
            let source = "\(builtIn.files.package); \(builtIn.licence)"
            switch builtIn.name {
            case "imagenet": return try imagenet(synsets: urls[0], definitions: urls[1], source: source)
            default: return try english(wordList: urls[0], source: source)
            }
        }
        let url = URL(fileURLWithPath: (nameOrPath as NSString).expandingTildeInPath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelError.unknownVocabulary(
                name: nameOrPath, builtIns: builtIns.map(\.name), suggestions: closestNames(to: nameOrPath, in: builtIns.map(\.name)))
        }
        return try file(url, written: nameOrPath)
    }

    /// A text file, one concept per line (a trailing newline is allowed).
    static func file(_ url: URL, written: String) throws -> ConceptVocabulary {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.unreadable(file: written, reason: error.localizedDescription)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ModelError.invalidVocabulary(file: written, reason: "it is not valid UTF-8 text")
        }
        // Characters, not bytes: "\r\n" is one newline.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw ModelError.invalidVocabulary(file: written, reason: "it has no concepts") }
        if let blank = lines.firstIndex(of: "") {
            throw ModelError.invalidVocabulary(file: written, reason: "line \(blank + 1) is blank; write one concept per line")
        }
        var first: [String: Int] = [:]
        for (index, line) in lines.enumerated() {
            if let earlier = first[line] {
                throw ModelError.invalidVocabulary(file: written, reason: "line \(index + 1) repeats line \(earlier + 1), '\(line)'")
            }
            first[line] = index
        }
        return ConceptVocabulary(name: url.lastPathComponent, concepts: lines.map { Concept(text: $0) }, source: written)
    }

    /// Loupe's ImageNet labels with timm's WordNet IDs (one per line, in class order) and
    /// definitions (`wnid<TAB>gloss` lines, ImageNet-21k's).
    static func imagenet(synsets: URL, definitions: URL, source: String) throws -> ConceptVocabulary {
        let ids = try lines(of: synsets)
        guard ids.count == ImageNet.labels.count else {
            throw ModelError.invalidVocabulary(file: synsets.path, reason: "\(ids.count) synsets for \(ImageNet.labels.count) classes")
        }
        var glosses: [String: String] = [:]
        for line in try lines(of: definitions) {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2 { glosses[String(parts[0])] = String(parts[1]) }
        }
        let concepts = zip(ImageNet.labels, ids).map { label, id in Concept(text: label, gloss: glosses[id], identifier: id) }
        return ConceptVocabulary(name: "imagenet", concepts: concepts, source: source)
    }

    /// The first ``englishWordCount`` words of wordfreq's list that are words of letters and not
    /// stop words.
    static func english(wordList: URL, source: String) throws -> ConceptVocabulary {
        let words = try WordFrequencyList.words(gzipped: Data(contentsOf: wordList), file: wordList.path)
        var kept: [String] = []
        var seen = Set<String>()
        for word in words where isWord(word) && !StopWords.english.contains(word) && seen.insert(word).inserted {
            kept.append(word)
            if kept.count == englishWordCount { break }
        }
        return ConceptVocabulary(name: "english-20k", concepts: kept.map { Concept(text: $0) }, source: source)
    }

    /// Letters, with apostrophes or hyphens only between letters (`don't`, `well-known`).
    static func isWord(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, first.properties.isAlphabetic, last.properties.isAlphabetic else {
            return false
        }
        return scalars.allSatisfy { $0.properties.isAlphabetic || $0 == "'" || $0 == "-" }
    }

    /// The file's non-empty lines (split on LF bytes, a trailing CR dropped), each checked as UTF-8.
    private static func lines(of url: URL) throws -> [String] {
        let bytes = [UInt8](try Data(contentsOf: url))
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            let stop = end > start && bytes[end - 1] == 0x0D ? end - 1 : end
            if stop > start {
                guard let text = String(validating: bytes[start..<stop], as: UTF8.self) else {
                    throw ModelError.invalidVocabulary(file: url.path, reason: "line \(lines.count + 1) is not valid UTF-8 text")
                }
                lines.append(text)
            }
            start = end + 1
        }
        return lines
    }
}
