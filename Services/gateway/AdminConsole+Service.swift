import FoundationEssentials
import HTTPServer
import Logging
import ServiceKit

extension AdminConsole {
    /// The console's listener (the same ``GatewayService/HTTPListener`` as the public port's), or nil (and
    /// a log line saying so) when `ADMIN_TOKENS_FILE` is unset. A tokens file that cannot be read or parsed
    /// stops start-up: an operator who configured one expects the console.
    static func build(_ config: AdminConfig, gateway: Gateway, logger: Logger) -> GatewayService.HTTPListener? {
        guard config.tokensFile != nil else {
            logger.info("operator console off: ADMIN_TOKENS_FILE is not set (create a token with 'gateway admin-token NAME ROLE')")
            return nil
        }
        let tokens = config.tokens
        if tokens.entries.isEmpty { logger.warn("operator console: ADMIN_TOKENS_FILE has no tokens; nobody can log in") }
        let address = ListenerAddress(host: config.host, port: config.port, baseURL: config.baseURL)
        let console = AdminConsole(gateway: gateway, tokens: tokens, sessions: AdminSessions(ttl: .seconds(config.sessionTTLSeconds)),
                                   config: config, baseURL: { address.baseURL })
        let router = console.router()
        let server = HTTPServer(host: config.host, port: config.port, logger: logger) { request in
            await gateway.handle(request, router: router)
        }
        return GatewayService.HTTPListener(server: server, address: address) {
            logger.info("operator console ready", ["admin.url": console.baseURL() + "/admin/", "admin.port": String(server.port),
                                                   "admin.operators": String(console.tokens.entries.count)])
        }
    }
}

extension GatewayService {
    /// `gateway admin-token NAME ROLE`: a new console token. The line for `ADMIN_TOKENS_FILE` goes to stdout
    /// (so `>> tokens` appends it); the token itself, shown this once and stored nowhere, to stderr.
    static let adminTokenCommand = ServiceCommand(
        name: "admin-token",
        usage: "admin-token NAME read|write   create an operator console token: prints its ADMIN_TOKENS_FILE line (stdout) and the token (stderr, once)") { arguments, _ in
        guard arguments.count == 2, AdminTokens.isName(arguments[0]), let role = AdminTokens.Role(rawValue: arguments[1]) else {
            ServiceMain.printError("usage: gateway admin-token NAME read|write   (NAME: 1 to 64 of A-Z a-z 0-9 . _ -)")
            return 64
        }
        let (token, line) = AdminTokens.create(name: arguments[0], role: role)
        print(line)
        // Not through printError: it scrubs console tokens, as every log line does.
        Logger.stderrSink(Array("token for \(arguments[0]) (\(role.rawValue)), shown once: \(token)\n".utf8))
        return 0
    }
}
