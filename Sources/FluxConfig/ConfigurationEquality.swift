extension FluxConfiguration {
    /// Two configurations are equal when every key has the same effective value and the
    /// warnings match. A path derived from `home` equals the same path set explicitly.
    ///
    /// ```swift
    /// FluxConfiguration(cachePath: ".flux/cache") == .defaults // true
    /// ```
    public static func == (lhs: FluxConfiguration, rhs: FluxConfiguration) -> Bool {
        lhs.warnings == rhs.warnings && ConfigurationKeys.all.allSatisfy { $0.read(lhs) == $0.read(rhs) }
    }
}
