import Flux

/// `subflows`: a workflow that calls another workflow (`call`) once per repository. Each call is
/// a child execution of its own, with an id derived from the parent's, so a replayed parent finds
/// its children instead of starting them again.
///
/// The original asked the GitHub API for star counts; `get_repo_info` here reads a fixed table so
/// the example runs offline and gives the same answer every time. An unknown repository fails
/// its child, which fails the parent. Both workflows must be registered (``Examples/register(on:)``).
public enum SubflowsExample {
    public struct RepoInfo: Codable, Sendable, Hashable {
        public var fullName: String
        public var stargazersCount: Int

        enum CodingKeys: String, CodingKey {
            case fullName = "full_name", stargazersCount = "stargazers_count"
        }
    }

    /// Star counts of a few repositories (a snapshot, not live numbers).
    public static let stars: [String: Int] = [
        "python/cpython": 66_000,
        "microsoft/vscode": 170_000,
        "localsend/localsend": 58_000,
        "srush/GPU-Puzzles": 9_800,
        "hyperknot/openfreemap": 9_100,
    ]

    public static let getRepoInfo = task("get_repo_info") { (repo: String) -> RepoInfo in
        guard let count = stars[repo] else { throw ExampleError.notFound("repository \(repo)") }
        return RepoInfo(fullName: repo, stargazersCount: count)
    }

    /// The child: the star count of one repository.
    public static let getStars = FluxCore.workflow(
        "get_stars", description: "The star count of one repository (the child of subflows)"
    ) { (ctx: ExecutionContext<String>) -> Int in
        try await getRepoInfo(ctx.input).stargazersCount
    }

    public static let workflow = FluxCore.workflow(
        "subflows", description: "Calls get_stars as a child workflow for each repository"
    ) { (ctx: ExecutionContext<[String]>) -> [String: Int] in
        guard !ctx.input.isEmpty else { throw ExampleError.missingInput("the list of repositories cannot be empty") }
        var result: [String: Int] = [:]
        for repo in ctx.input {
            result[repo] = try await call(getStars, repo)
        }
        return result
    }
}
