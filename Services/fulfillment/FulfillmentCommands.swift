import ServiceKit
import Storage

/// fulfillment's operator subcommands.
enum FulfillmentCommands {
    /// `fulfillment catalog [list] | default | set-stock SKU N`.
    static let catalog = ServiceCommand(
        name: "catalog",
        usage: "catalog [list] | default | set-stock SKU N   stock per SKU, the built-in catalog, set units on hand") { arguments, database in
        guard let database else { return 1 }
        do {
            switch (arguments.first ?? "list", arguments.count) {
            case ("list", 0...1):
                let rows = try database.readSync { c in
                    try c.query("SELECT * FROM products ORDER BY active DESC, position")
                }
                for r in rows {
                    let stock = r.int("stock") ?? 0, reserved = r.int("reserved") ?? 0
                    print("\(r.string("sku") ?? "")  \(r.string("currency") ?? "") \(r.int("unit_amount") ?? 0)  stock=\(stock)"
                          + "  reserved=\(reserved)  available=\(stock - reserved)  sold=\(r.int("sold") ?? 0)"
                          + (r.int("active") == 1 ? "" : "  (inactive: not in the catalog file)"))
                }
                return 0
            case ("default", 1):
                print(DefaultCatalog.json, terminator: "")
                return 0
            case ("set-stock", 3):
                guard let n = Int(arguments[2]), (0...Catalog.maxStock).contains(n) else {
                    ServiceMain.printError("N must be an integer from 0 to \(Catalog.maxStock)")
                    return 64
                }
                let sku = arguments[1]
                let changed = try database.writeSync { c in try Catalog.setStock(c, sku: sku, stock: n) }
                guard changed == 1 else {
                    ServiceMain.printError("no SKU '\(sku)', or fewer than its reserved units")
                    return 1
                }
                print("\(sku): stock set to \(n)")
                return 0
            default:
                ServiceMain.printError("usage: fulfillment catalog [list] | catalog default | catalog set-stock SKU N")
                return 64
            }
        } catch {
            ServiceMain.printError("catalog: \(error)")
            return 1
        }
    }
}
