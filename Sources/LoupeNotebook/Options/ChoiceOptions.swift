import LoupeImage
import LoupeInterp

// The library's enums that options take, by their raw values.
extension AttributionMethod: ChoiceOption {}
extension IntegrationRule: ChoiceOption {}
extension Baseline: ChoiceOption {}
extension ActivationScore: ChoiceOption {}
extension FilterGrid.Scale: ChoiceOption {}
extension ImageParameterization: ChoiceOption {}
extension ColorMap: ChoiceOption {}
