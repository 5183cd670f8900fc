import LoupeTensor

/// Why a cell could not be planned or run.
///
/// The message is shown in the cell, and on the terminal prefixed with the notebook's path,
/// line and cell.
public enum CellError: Error, CustomStringConvertible, Equatable {
    /// No directive has this name.
    case unknownDirective(String, suggestions: [String])
    /// The directive has no such option.
    case unknownOption(String, directive: String, suggestions: [String])
    /// A required option is missing (and the front matter's `defaults` do not supply it).
    case missingOption(String)
    /// An option's value does not have the option's type.
    case badValue(option: String, value: String, expected: String)
    /// `{{ name }}` names no front-matter param.
    case unknownParam(String, suggestions: [String])
    /// A `{{` without its `}}`.
    case unclosedParam(String)
    /// An option names a value that no earlier cell defines.
    case unknownReference(option: String, name: String, kind: ValueKind, available: [String])
    /// An option names an earlier cell that defines a value of another kind.
    case wrongKind(option: String, name: String, expected: ValueKind, found: ValueKind)
    /// The directive needs a name after `{directive}`.
    case missingArgument(directive: String, kind: ValueKind)
    /// The directive takes no name after `{directive}`.
    case unexpectedArgument(directive: String, argument: String)
    /// Two cells define the same name.
    case duplicateName(String, firstLine: Int)
    /// A file an option names does not exist or cannot be read.
    case unreadableFile(option: String, path: String, reason: String)
    /// The parser found an error inside the cell.
    case malformed(String)
    /// The directive rejected the values for its own reasons.
    case invalid(String)
    /// One option's value is well-typed but unusable (a layer the model does not have, a
    /// folder without images).
    case badOption(option: String, reason: String)
    /// Something that cannot happen did: a bug in Loupe, not in the notebook.
    case internalError(String)

    /// The option the error is about, when it is about one.
    public var option: String? {
        switch self {
        case let .unknownOption(option, _, _), let .missingOption(option), let .badValue(option, _, _), let .badOption(option, _),
            let .unknownReference(option, _, _, _), let .wrongKind(option, _, _, _), let .unreadableFile(option, _, _):
            option
        default:
            nil
        }
    }

    /// The message shown in the cell (and on the terminal, after the notebook's path, line and cell).
    public var description: String {
        switch self {
        case let .unknownDirective(name, suggestions):
            return "unknown directive '{\(name)}'" + Self.didYouMean(suggestions) + "; `loupe directives` lists them"
        case let .unknownOption(option, directive, suggestions):
            return "'{\(directive)}' has no option ':\(option):'" + Self.didYouMean(suggestions)
        case let .missingOption(option):
            return "missing option ':\(option):'"
        case let .badValue(option, value, expected):
            return "option ':\(option):' expects \(expected), found '\(value)'"
        case let .unknownParam(name, suggestions):
            return "unknown param '{{ \(name) }}'" + Self.didYouMean(suggestions) + "; params are set in the front matter or with --set"
        case let .unclosedParam(text):
            return "'{{' without a closing '}}' in '\(text)'"
        case let .unknownReference(option, name, kind, available):
            let list =
                available.isEmpty
                ? "no earlier cell defines \(kind.withArticle)" : "earlier \(kind) cells: \(available.joined(separator: ", "))"
            return "option ':\(option):' names '\(name)', which no earlier cell defines; \(list)"
        case let .wrongKind(option, name, expected, found):
            return "option ':\(option):' needs \(expected.withArticle), but '\(name)' is \(found.withArticle)"
        case let .missingArgument(directive, kind):
            return "'{\(directive)}' needs a name for its \(kind) after the braces, for example ```{\(directive)} name"
        case let .unexpectedArgument(directive, argument):
            return "'{\(directive)}' takes no name after the braces, found '\(argument)'"
        case let .duplicateName(name, firstLine):
            return "the name '\(name)' is already defined by the cell on line \(firstLine)"
        case let .unreadableFile(option, path, reason):
            return "option ':\(option):': cannot read '\(path)': \(reason)"
        case let .malformed(message), let .invalid(message):
            return message
        case let .badOption(option, reason):
            return "option ':\(option):': \(reason)"
        case let .internalError(message):
            return "internal error (a bug in Loupe, please report it): \(message)"
        }
    }

    private static func didYouMean(_ suggestions: [String]) -> String {
        switch suggestions.count {
        case 0: ""
        case 1: "; did you mean '\(suggestions[0])'?"
        default: "; did you mean one of " + suggestions.map { "'\($0)'" }.joined(separator: ", ") + "?"
        }
    }
}

extension CellError: OriginatedError {
    /// ``internalError(_:)`` is a bug in Loupe; every other case comes from the notebook.
    public var origin: ErrorOrigin {
        if case .internalError = self { return .internal }
        return .input
    }
}
