// flux-example-worker: the `flux` command line with this package's Swift workflows and tasks compiled in, so
// `flux-example-worker start worker w1 --server-url http://127.0.0.1:8000` serves them (see examples/worker/README.md).
import FluxCLI
import Foundation

exit(await FluxCommandLine.main(swiftTasks: ExampleWorker.tasks, swiftWorkflows: ExampleWorker.workflows))
