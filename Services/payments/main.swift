import ServiceKit

ServiceMain.run(PaymentsService.spec, config: { _ in try PaymentsConfig.read() }, build: PaymentsService.build)
