import ServiceKit

ServiceMain.run(FulfillmentService.spec, build: FulfillmentService.build)
