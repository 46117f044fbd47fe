import ServiceKit

ServiceMain.run(FulfillmentService.spec, config: { _ in try FulfillmentConfig.read() }, build: FulfillmentService.build)
