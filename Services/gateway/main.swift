import ServiceKit

ServiceMain.run(GatewayService.spec, config: { _ in try GatewayConfig.read() }, build: GatewayService.build)
