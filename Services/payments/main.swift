import ServiceKit

ServiceMain.run(PaymentsService.spec, build: PaymentsService.build)
