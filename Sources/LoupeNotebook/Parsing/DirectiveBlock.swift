/// One `key: value` pair, kept in source order.
///
/// Used for directive options and front-matter params, where order is what the author wrote.
public struct NamedValue: Sendable, Equatable, Hashable {
    /// The key as written.
    public var name: String
    /// The value as text, unquoted per YAML scalar rules.
    public var value: String

    /// Creates a pair.
    ///
    /// - Parameters:
    ///   - name: The key as written.
    ///   - value: The value as text.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A MyST directive: a fenced block whose info string starts with `{name}`.
///
/// ````markdown
/// ```{model} net
/// :arch: efficientnet-lite0
/// ```
/// ````
///
/// The word(s) after the name form ``argument``: the name of the value the cell defines.
/// Options come either as `:key: value` lines right after the opening fence or as a YAML
/// mapping between `---` lines at the start of the content; an optional blank line then
/// separates them from ``body``.
public struct DirectiveBlock: Sendable, Equatable {
    /// The directive name between the braces, for example `model`.
    public var name: String
    /// The text after `{name}` on the fence line, trimmed; `nil` when there is none.
    public var argument: String?
    /// The options in source order; keys are unique (duplicates are reported and dropped).
    public var options: [NamedValue]
    /// The content after the options, lines joined with `\n`, without a trailing newline.
    public var body: String
    /// The 1-based source lines of the whole block, opening fence to closing fence inclusive.
    public var lines: ClosedRange<Int>
    /// The 1-based source line of each option.
    public var optionLines: [String: Int]

    /// Creates a directive block.
    ///
    /// - Parameters:
    ///   - name: The directive name.
    ///   - argument: The text after the name, or `nil`.
    ///   - options: The options in source order.
    ///   - body: The body text.
    ///   - lines: The source lines of the whole block.
    ///   - optionLines: The source line of each option.
    public init(
        name: String,
        argument: String? = nil,
        options: [NamedValue] = [],
        body: String = "",
        lines: ClosedRange<Int>,
        optionLines: [String: Int] = [:]
    ) {
        self.name = name
        self.argument = argument
        self.options = options
        self.body = body
        self.lines = lines
        self.optionLines = optionLines
    }

    /// The value of an option, or `nil` when the directive does not set it.
    ///
    /// - Parameter key: The option key, without colons.
    /// - Returns: The option's text value.
    public func option(_ key: String) -> String? {
        options.first { $0.name == key }?.value
    }
}
