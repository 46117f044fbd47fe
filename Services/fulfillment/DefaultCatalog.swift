/// The catalog used when `CATALOG_FILE` is unset: byte for byte the content of
/// `Services/fulfillment/catalog.sample.json` (a test compares them through `fulfillment catalog default`).
/// Edit both together.
enum DefaultCatalog {
    static let json = #"""
{
  "products": [
    {
      "sku": "tshirt-cn",
      "name": "Dragon T-shirt (龙)",
      "description": "Cotton T-shirt, printed in Hangzhou",
      "unit_amount": 400,
      "currency": "cny",
      "stock": 100
    },
    {
      "sku": "mug",
      "name": "Coffee mug",
      "description": "350 ml stoneware mug",
      "unit_amount": 1200,
      "currency": "usd",
      "stock": 50
    },
    {
      "sku": "sticker",
      "name": "Sticker pack",
      "unit_amount": 400,
      "currency": "usd",
      "stock": 1000
    },
    {
      "sku": "poster-limited",
      "name": "Signed poster (limited)",
      "description": "Only a few left",
      "unit_amount": 2500,
      "currency": "usd",
      "stock": 3
    }
  ]
}

"""#
}
