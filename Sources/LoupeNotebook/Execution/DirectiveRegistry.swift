/// The directives a notebook may use: the one place a new directive is registered.
public struct DirectiveRegistry: Sendable {
    /// The directives, in the order the reference lists them.
    public let directives: [any Directive.Type]

    /// A registry of the given directives.
    public init(_ directives: [any Directive.Type]) {
        self.directives = directives
    }

    /// Every directive Loupe ships.
    public static let standard = DirectiveRegistry([
        ModelDirective.self,
        ImageDirective.self,
        PredictDirective.self,
        ShowDirective.self,
        MixDirective.self,
        AttributeDirective.self,
        SanityCheckDirective.self,
        DeletionDirective.self,
        ExamplesDirective.self,
        AblateDirective.self,
        FiltersDirective.self,
        FeaturesDirective.self,
        VisualizeDirective.self,
        DreamDirective.self,
        ConceptsDirective.self,
        EmbedDirective.self,
        SimilarityDirective.self,
        CoupleDirective.self,
        DescribeDirective.self,
        ConsolidateDirective.self,
        SteerDirective.self,
        GuideDirective.self,
        CLIPDirective.self,
        ClassifyDirective.self,
        TypographicDirective.self,
        DissectDirective.self,
        WrittenDirective.self,
    ])

    /// The directive called `name`, or `nil`.
    public func directive(named name: String) -> (any Directive.Type)? {
        directives.first { $0.name == name }
    }

    /// Every directive name.
    public var names: [String] { directives.map { $0.name } }
}
