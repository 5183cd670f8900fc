/// A colour map from `[0, 1]` to 8-bit sRGB, as a small table of matplotlib's colours with linear
/// interpolation between its stops.
///
/// `viridis` and `inferno` use 17 entries (indices 0, 16, …, 240 and 255) of matplotlib's
/// 256-entry `_cm_listed` tables; `coolwarm` uses every other stop of matplotlib's 33-stop
/// table (Kenneth Moreland's "CoolWarmFloat33"). The end points are matplotlib's exactly.
public enum ColorMap: String, Sendable, CaseIterable, Equatable, Codable {
    /// Perceptually uniform dark blue → yellow.
    case viridis
    /// Perceptually uniform black → red → pale yellow.
    case inferno
    /// Black → white.
    case gray
    /// Diverging blue → light grey → red, for signed maps centred on zero.
    case coolwarm

    /// Whether the map is diverging, so that zero should sit in its middle.
    public var isDiverging: Bool { self == .coolwarm }

    /// The colour at `t` (clamped to `[0, 1]`; NaN counts as 0), rounded to 8 bits per channel.
    public func rgb(_ t: Float) -> SIMD3<UInt8> {
        let t = t.isNaN ? 0 : min(max(t, 0), 1)
        let stops = self.stops
        // Find the segment [positions[i], positions[i+1]] that holds t.
        var i = 0
        while i + 2 < stops.count && t > stops[i + 1].position {
            i += 1
        }
        let a = stops[i], b = stops[i + 1]
        let f = (t - a.position) / (b.position - a.position)
        let colour = a.colour + (b.colour - a.colour) * f
        return SIMD3<UInt8>(
            UInt8((colour.x * 255).rounded()),
            UInt8((colour.y * 255).rounded()),
            UInt8((colour.z * 255).rounded())
        )
    }

    private struct Stop {
        var position: Float
        var colour: SIMD3<Float>
    }

    private var stops: [Stop] {
        switch self {
        case .viridis: return Self.viridisStops
        case .inferno: return Self.infernoStops
        case .gray: return Self.grayStops
        case .coolwarm: return Self.coolwarmStops
        }
    }

    // Built once: `rgb(_:)` runs for every pixel of every map.
    private static let viridisStops = listed(viridisTable)
    private static let infernoStops = listed(infernoTable)
    private static let grayStops = [Stop(position: 0, colour: [0, 0, 0]), Stop(position: 1, colour: [1, 1, 1])]
    private static let coolwarmStops = coolwarmTable.enumerated().map { Stop(position: Float($0.offset) / 16, colour: $0.element) }

    /// Stops for entries 0, 16, …, 240, 255 of a 256-entry listed map.
    private static func listed(_ colours: [SIMD3<Float>]) -> [Stop] {
        colours.enumerated().map { index, colour in
            Stop(position: Float(min(index * 16, 255)) / 255, colour: colour)
        }
    }

    private static let viridisTable: [SIMD3<Float>] = [
        [0.267004, 0.004874, 0.329415], [0.282327, 0.094955, 0.417331], [0.278826, 0.175490, 0.483397],
        [0.258965, 0.251537, 0.524736], [0.229739, 0.322361, 0.545706], [0.199430, 0.387607, 0.554642],
        [0.172719, 0.448791, 0.557885], [0.149039, 0.508051, 0.557250], [0.127568, 0.566949, 0.550556],
        [0.120638, 0.625828, 0.533488], [0.157851, 0.683765, 0.501686], [0.246070, 0.738910, 0.452024],
        [0.369214, 0.788888, 0.382914], [0.515992, 0.831158, 0.294279], [0.678489, 0.863742, 0.189503],
        [0.845561, 0.887322, 0.099702], [0.993248, 0.906157, 0.143936],
    ]

    private static let infernoTable: [SIMD3<Float>] = [
        [0.001462, 0.000466, 0.013866], [0.042253, 0.028139, 0.141141], [0.129285, 0.047293, 0.290788],
        [0.238273, 0.036621, 0.396353], [0.341500, 0.062325, 0.429425], [0.441207, 0.099338, 0.431594],
        [0.540920, 0.134729, 0.415123], [0.640135, 0.171438, 0.381065], [0.735683, 0.215906, 0.330245],
        [0.822386, 0.275197, 0.266085], [0.894305, 0.353399, 0.193584], [0.946965, 0.449191, 0.115272],
        [0.978422, 0.557937, 0.034931], [0.987874, 0.675267, 0.065257], [0.974638, 0.797692, 0.206332],
        [0.947594, 0.917399, 0.410665], [0.988362, 0.998364, 0.644924],
    ]

    private static let coolwarmTable: [SIMD3<Float>] = [
        [0.2298057, 0.298717966, 0.753683153], [0.30386891, 0.406535296, 0.84495867],
        [0.38301334, 0.50941904, 0.917387822], [0.46666708, 0.604562568, 0.968154911],
        [0.552953156, 0.688929332, 0.995375608], [0.639176211, 0.759599947, 0.998151185],
        [0.722193294, 0.813952739, 0.976574709], [0.798691636, 0.849786142, 0.931688648],
        [0.865395197, 0.86541021, 0.865395561], [0.924127593, 0.827384882, 0.774508472],
        [0.958852946, 0.769767752, 0.678007945], [0.969954137, 0.694266682, 0.579375448],
        [0.958003065, 0.602842431, 0.481775914], [0.923944917, 0.49730856, 0.387970225],
        [0.869186849, 0.378313092, 0.300267182], [0.795631745, 0.24128379, 0.220525627],
        [0.705673158, 0.01555616, 0.150232812],
    ]
}
