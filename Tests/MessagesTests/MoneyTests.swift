import Messages
import Testing

/// Amounts in a currency's minor unit, formatted for people in emails.
@Suite("money formatting")
struct MoneyTests {
    @Test("two, zero and three decimals, by currency", arguments: [
        (400, "usd", "$4.00"),
        (400, "cny", "¥4.00"),
        (400, "jpy", "¥400"),
        (1234, "bhd", "BHD 1.234"),
        (5, "eur", "€0.05"),
        (123_456_789, "usd", "$1,234,567.89"),
        (1_000_000, "krw", "₩1,000,000"),
        (-250, "gbp", "-£2.50"),
        (100, "xyz", "XYZ 1.00"),
        (100, "USD", "$1.00"),
    ])
    func format(amount: Int, currency: String, expected: String) {
        #expect(Money.format(amount, currency: currency) == expected)
    }
}
