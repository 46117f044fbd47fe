import ServiceKit

ServiceMain.run(NotifierService.spec, config: NotifierService.readConfig, build: NotifierService.build)
