import Foundation
import FuzzSupport
import LoupeModels
import LoupeText

/// The real vocabularies: all-MiniLM-L6-v2's WordPiece (the test fixture) and CLIP's merges
/// (from the model store, fetched once).
private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
private let bert: BertTokenizer? = {
    let vocabulary = root.appendingPathComponent("Tests/LoupeTextTests/Fixtures/vocab.txt")
    return (try? WordPieceVocabulary(contentsOf: vocabulary)).flatMap { try? BertTokenizer(vocabulary: $0) }
}()
private let clip = try? CLIPTokenizer.pretrained()

/// One input, whose first byte picks what the rest is.
///
/// 0–191: a text for both tokenizers (as UTF-8, invalid bytes replaced); 192–223: a WordPiece
/// vocabulary file; 224–255: a CLIP merges file.
private func fuzzTokenizers(_ input: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: input, count: count)
    guard let selector = bytes.first, let bert, let clip else { return 0 }
    let rest = Data(buffer: UnsafeBufferPointer(rebasing: bytes.dropFirst()))
    switch selector {
    case 0..<192:
        let text = String(decoding: rest, as: UTF8.self)
        _ = bert.encode(text)
        _ = clip.encode(text)
    case 192..<224:
        if let vocabulary = try? WordPieceVocabulary(data: rest, name: "fuzz") {
            _ = (try? BertTokenizer(vocabulary: vocabulary))?.encode("a photo of a dog")
        }
    default:
        _ = (try? CLIPTokenizer(merges: rest, name: "fuzz"))?.encode("a photo of a dog")
    }
    return 0
}

@main
enum FuzzTokenizers {
    static func main() {
        // Without both vocabularies every input would be skipped: fuzzing nothing must not pass.
        guard bert != nil, clip != nil else {
            FileHandle.standardError.write(Data("FuzzTokenizers: the WordPiece vocabulary or CLIP's merges did not load\n".utf8))
            exit(2)
        }
        fuzzMain { fuzzTokenizers($0, $1) }
    }
}
