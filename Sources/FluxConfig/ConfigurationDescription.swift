import Foundation

extension FluxConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The placeholder shown instead of a secret.
    public static let secretMask = "********"

    /// The effective configuration as TOML, with secrets masked.
    ///
    /// ```swift
    /// print(configuration)
    /// // [flux]
    /// // debug = false
    /// // ...
    /// ```
    public var description: String { rendered(as: .toml) }

    /// The same as ``description``: secrets stay masked in debug output too.
    public var debugDescription: String { rendered(as: .toml) }

    /// Renders the effective configuration (defaults and derived paths included).
    ///
    /// Secrets (`workers.bootstrap_token`, `security.encryption_key`, `security.admin_token`,
    /// `security.auth_token`, `mcp.auth_token`) and the password of a PostgreSQL `database_url`
    /// are replaced by `"********"` unless `revealingSecrets` is `true`. Unset optional keys are
    /// shown as a comment in TOML and as `null` in JSON.
    ///
    /// ```swift
    /// let json = configuration.rendered(as: .json)
    /// try FileManager.default.createFile(atPath: "flux.toml",
    ///     contents: Data(configuration.rendered(as: .toml, revealingSecrets: true).utf8))
    /// ```
    public func rendered(as format: ConfigurationFormat = .toml, revealingSecrets: Bool = false) -> String {
        let tables = ConfigurationRenderer.tables(of: self, revealingSecrets: revealingSecrets)
        switch format {
        case .toml: return ConfigurationRenderer.toml(tables)
        case .json: return ConfigurationRenderer.json(tables)
        }
    }
}

extension FluxConfiguration: CustomReflectable {
    /// Reflects the rendered values with secrets masked.
    public var customMirror: Mirror {
        ConfigurationRenderer.mirror(of: self, tables: ConfigurationRenderer.tables(of: self, revealingSecrets: false))
    }
}

extension WorkerSettings: CustomStringConvertible, CustomReflectable {
    /// The `[flux.workers]` table as TOML, with `bootstrap_token` masked.
    ///
    /// ```swift
    /// print(configuration.workers)
    /// ```
    public var description: String { ConfigurationRenderer.section("workers", of: FluxConfiguration(workers: self)) }

    /// Reflects the rendered values with secrets masked.
    public var customMirror: Mirror {
        let tables = ConfigurationRenderer.tables(of: FluxConfiguration(workers: self), revealingSecrets: false)
        return ConfigurationRenderer.mirror(of: self, tables: tables.filter { $0.name == "workers" })
    }
}

extension SecuritySettings: CustomStringConvertible, CustomReflectable {
    /// The `[flux.security]` table as TOML, with keys and tokens masked.
    ///
    /// ```swift
    /// print(configuration.security)
    /// ```
    public var description: String { ConfigurationRenderer.section("security", of: FluxConfiguration(security: self)) }

    /// Reflects the rendered values with secrets masked.
    public var customMirror: Mirror {
        let tables = ConfigurationRenderer.tables(of: FluxConfiguration(security: self), revealingSecrets: false)
        return ConfigurationRenderer.mirror(of: self, tables: tables.filter { $0.name == "security" })
    }
}

extension MCPSettings: CustomStringConvertible, CustomReflectable {
    /// The `[flux.mcp]` table as TOML, with `auth_token` masked.
    ///
    /// ```swift
    /// print(configuration.mcp)
    /// ```
    public var description: String { ConfigurationRenderer.section("mcp", of: FluxConfiguration(mcp: self)) }

    /// Reflects the rendered values with secrets masked.
    public var customMirror: Mirror {
        let tables = ConfigurationRenderer.tables(of: FluxConfiguration(mcp: self), revealingSecrets: false)
        return ConfigurationRenderer.mirror(of: self, tables: tables.filter { $0.name == "mcp" })
    }
}
