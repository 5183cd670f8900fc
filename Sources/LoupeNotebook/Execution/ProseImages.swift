import Foundation

/// Makes images that prose links to (`![a cat](images/cat.png)`) part of the report.
///
/// Each relative `src` in cmark's HTML that names a readable PNG or JPEG file is replaced by a
/// `data:` URL, so the report stays self-contained. Anything else is left as it is (the
/// report's Content-Security-Policy then blocks it) and reported.
enum ProseImages {
    /// The largest file inlined (bigger ones are reported instead).
    static let maximumBytes = 20 << 20

    /// `html` with local images inlined, and one message per image that was not.
    static func inline(_ html: String, baseDirectory: URL) -> (html: String, problems: [String]) {
        let marker = "<img src=\""
        guard html.contains(marker) else { return (html, []) }
        var result = ""
        var problems: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: marker) {
            result += rest[..<start.upperBound]
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            let written = String(rest[..<end])
            rest = rest[end...]
            switch dataURL(for: written, baseDirectory: baseDirectory) {
            case let .success(url): result += url
            case let .failure(problem):
                result += written
                if let message = problem.message { problems.append(message) }
            }
        }
        return (result + rest, problems)
    }

    private struct Problem: Error {
        let message: String?
    }

    private static func dataURL(for written: String, baseDirectory: URL) -> Result<String, Problem> {
        if written.isEmpty || written.hasPrefix("data:") { return .failure(Problem(message: nil)) }
        let unescaped = written.replacingOccurrences(of: "&amp;", with: "&")
        let path = unescaped.removingPercentEncoding ?? unescaped
        if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/") {
            return .failure(
                Problem(
                    message:
                        "image '\(path)' is not a local file; reports fetch nothing, so it will not show (save it next to the notebook)"))
        }
        let url = OptionText.resolve(path: path, against: baseDirectory)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
        guard let size else { return .failure(Problem(message: "image '\(path)': no such file")) }
        guard size <= maximumBytes else { return .failure(Problem(message: "image '\(path)' is larger than 20 MiB; not embedded")) }
        guard let data = try? Data(contentsOf: url) else { return .failure(Problem(message: "image '\(path)' cannot be read")) }
        let mime: String
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            mime = "image/png"
        } else if data.starts(with: [0xFF, 0xD8, 0xFF]) {
            mime = "image/jpeg"
        } else {
            return .failure(Problem(message: "image '\(path)' is neither PNG nor JPEG; not embedded"))
        }
        return .success("data:\(mime);base64,\(data.base64EncodedString())")
    }
}
