/// The recipes shipped in `lessons/recipes/`, compiled into the library as bytes (SwiftPM's
/// `embedInCode` resources, reached through the `World/Recipes` link), so that a binary copied out
/// of the checkout still has them.
enum BuiltInRecipes {
    static let resort: [UInt8] = PackageResources.resort_json
    static let arithmetic: [UInt8] = PackageResources.arithmetic_json
}
