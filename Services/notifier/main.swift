import ServiceKit

ServiceMain.run(NotifierService.spec, build: NotifierService.build)
