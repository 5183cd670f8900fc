import Foundation

/// Makes images that prose links to (`![a cat](images/cat.png)`) part of the report.
///
/// Each `src` in cmark's HTML that names a readable local PNG or JPEG file is replaced by a
/// `data:` URL, so the report stays self-contained. Any other image (remote, missing, too large,
/// of another format, or a URL cmark's safe mode emptied, such as `javascript:`) is replaced by
/// its alt text, `[image: a cat]`, and reported: a report never fetches anything, in a browser
/// under its Content-Security-Policy or in Jupyter without one.
enum ProseImages {
    /// The largest file inlined (bigger ones are reported instead).
    static let maximumBytes = 20 << 20

    /// `html` with local images inlined, others replaced by their alt text, and one message per
    /// image that was not inlined.
    static func inline(_ html: String, baseDirectory: URL) -> (html: String, problems: [String]) {
        let marker = "<img src=\""
        guard html.contains(marker) else { return (html, []) }
        var result = ""
        var problems: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: marker) {
            result += rest[..<start.lowerBound]
            // cmark writes `<img src="…" alt="…" />` or `… title="…" />`, every value escaped.
            guard let close = rest[start.upperBound...].range(of: " />") else {
                rest = rest[start.lowerBound...]
                break
            }
            let tag = rest[start.lowerBound..<close.upperBound]
            rest = rest[close.upperBound...]
            let written = String(tag[start.upperBound...].prefix { $0 != "\"" })
            switch dataURL(for: written, baseDirectory: baseDirectory) {
            case let .success(url):
                result += marker + url + tag[tag.index(start.upperBound, offsetBy: written.count)...]
            case let .failure(problem):
                let alt = tag.range(of: " alt=\"").map { String(tag[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
                result += "<span class=\"unembedded-image\">[image: \(alt)]</span>"
                if let message = problem.message { problems.append(message) }
            }
        }
        return (result + rest, problems)
    }

    private struct Problem: Error {
        let message: String?
    }

    private static func dataURL(for written: String, baseDirectory: URL) -> Result<String, Problem> {
        if written.isEmpty {
            return .failure(
                Problem(
                    message:
                        "an image whose URL is not allowed (javascript:, vbscript:, file:, or data: other than an image) is shown as its alt text"
                ))
        }
        // cmark's safe mode lets through data: URLs of these four image types only.
        if written.hasPrefix("data:") { return .success(written) }
        let unescaped = written.replacingOccurrences(of: "&amp;", with: "&")
        let path = unescaped.removingPercentEncoding ?? unescaped
        if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/") {
            return .failure(
                Problem(
                    message:
                        "image '\(path)' is not a local file; reports fetch nothing, so its alt text is shown (save it next to the notebook)"
                ))
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
