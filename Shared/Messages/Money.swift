/// Formats amounts in a currency's minor unit for people: `$4.00` (400 usd), `¥4.00` (400 cny),
/// `¥400` (400 jpy), `BHD 1.234` (1234 bhd).
public enum Money {
    /// Currencies without a minor unit (ISO 4217 exponent 0; the list Stripe documents as zero-decimal).
    public static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                                           "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
    /// Currencies with three decimals (ISO 4217 exponent 3).
    public static let threeDecimal: Set<String> = ["bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"]
    public static let symbols: [String: String] = ["usd": "$", "cny": "¥", "jpy": "¥", "eur": "€", "gbp": "£", "krw": "₩",
                                            "inr": "₹", "cad": "CA$", "aud": "A$", "hkd": "HK$", "sgd": "S$", "chf": "CHF "]

    /// The number of decimals of `currency`.
    public static func exponent(_ currency: String) -> Int {
        let c = currency.lowercased()
        return zeroDecimal.contains(c) ? 0 : threeDecimal.contains(c) ? 3 : 2
    }

    /// `amount` minor units of `currency`, for people.
    public static func format(_ amount: Int, currency: String) -> String {
        let c = currency.lowercased()
        let e = exponent(c)
        let negative = amount < 0
        let magnitude = amount.magnitude
        var divisor: UInt = 1
        for _ in 0..<e { divisor *= 10 }
        let whole = magnitude / divisor, fraction = magnitude % divisor
        var digits = String(whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        var number = grouped
        if e > 0 {
            let f = String(fraction)
            number += "." + String(repeating: "0", count: e - f.count) + f
        }
        let prefix = symbols[c] ?? (c.uppercased() + " ")
        return (negative ? "-" : "") + prefix + number
    }
}
