import ServiceKit

ServiceMain.run(GatewayService.spec, build: GatewayService.build)
