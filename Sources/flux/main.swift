import FluxCLI
import Foundation

FluxCommandLine.prepareThreads()
exit(await FluxCommandLine.main())
