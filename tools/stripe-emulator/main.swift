// The local Stripe stand-in (issue 5): `stripe-emulator serve | health [--url URL] | --help`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first ?? "serve" {
case "serve":
    EmulatorServer.serve()
case "health":
    EmulatorServer.health(arguments: Array(arguments.dropFirst()))
case "--help", "-h", "help":
    print(EmulatorServer.usage)
    exit(0)
case let other:
    EmulatorServer.printError("stripe-emulator: unknown command '\(other)'\n\n\(EmulatorServer.usage)\n")
    exit(64)
}
