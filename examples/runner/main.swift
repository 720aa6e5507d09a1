// flux-examples: runs the example workflows on a SQLite file. JSON goes to stdout, logs to stderr.
import Foundation

let status = await Runner.main(Array(CommandLine.arguments.dropFirst()))
exit(status)
