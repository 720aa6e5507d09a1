import FluxCLI
import Foundation

exit(await FluxCommandLine.main())
