/// The release of Flux this build is: `flux --version`, the MCP server's `serverInfo.version`, mcp-manifest.json.
///
/// ```swift
/// print(FluxRelease.version)   // "0.1.0"
/// ```
public enum FluxRelease {
    public static let version = "0.1.0"
}
