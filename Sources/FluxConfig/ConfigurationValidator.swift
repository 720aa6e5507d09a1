/// Validation that is not about a single value's type or range.
enum ConfigurationValidator {
    /// Checks rules relating several keys. `source` tells where a key's value came from.
    static func checkRelations(
        of configuration: FluxConfiguration,
        source: (String) -> ConfigurationSource
    ) throws(ConfigurationError) {
        let workers = configuration.workers
        if workers.heartbeatInterval >= workers.leaseTimeout {
            // Blame the heartbeat unless only the lease timeout was changed.
            let heartbeatSource = source("workers.heartbeat_interval")
            let leaseSource = source("workers.lease_timeout")
            let reason = "so that leases are renewed before they expire"
            if heartbeatSource == .defaults && leaseSource != .defaults {
                throw .invalid(
                    "workers.lease_timeout", leaseSource,
                    "expected a number greater than workers.heartbeat_interval (\(workers.heartbeatInterval)) "
                        + "\(reason), found \(workers.leaseTimeout)"
                )
            }
            throw .invalid(
                "workers.heartbeat_interval", heartbeatSource,
                "expected a number less than workers.lease_timeout (\(workers.leaseTimeout)) "
                    + "\(reason), found \(workers.heartbeatInterval)"
            )
        }
    }

    /// Re-checks every key of a configuration built or changed in code.
    static func validate(_ configuration: FluxConfiguration) throws(ConfigurationError) {
        var scratch = FluxConfiguration.defaults
        for key in ConfigurationKeys.all {
            guard let raw = key.read(configuration) else { continue }
            try key.assign(&scratch, raw, ValueParser(key: key.name, source: .programmatic))
        }
        try checkRelations(of: configuration) { _ in .programmatic }
    }
}
