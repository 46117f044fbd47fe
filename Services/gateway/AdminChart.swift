import Core
import HTTPServer
import Messages

/// The orders page's chart: orders and revenue per day over the last 30 days, one panel per currency,
/// drawn on the server as inline SVG (no script, no library). Bars are paid revenue, the line the number
/// of orders created.
enum AdminChart {
    static let width = 600, height = 140, left = 8, top = 14, bottom = 18

    static func svg(_ days: [AdminDay], until now: Int64, span: Int = 30) -> String {
        let dayMs: Int64 = 86_400_000
        let first = now / dayMs - Int64(span - 1)
        let labels = (0..<span).map { AdminPages.day((first + Int64($0)) * dayMs) }
        let currencies = Array(Set(days.map(\.currency))).sorted()
        guard !currencies.isEmpty else {
            return "<figure class=\"chart\" id=\"chart\"><figcaption>No orders in the last \(span) days.</figcaption></figure>"
        }
        var out = "<div class=\"charts\" id=\"chart\">"
        for currency in currencies.prefix(4) {
            var revenue = [Int](repeating: 0, count: span), orders = [Int](repeating: 0, count: span)
            for d in days where d.currency == currency {
                if let i = labels.firstIndex(of: d.day) { revenue[i] = d.revenue; orders[i] = d.orders }
            }
            let maxRevenue = max(1, revenue.max() ?? 1), maxOrders = max(1, orders.max() ?? 1)
            let plotH = height - top - bottom
            let slot = Double(width - 2 * left) / Double(span)
            var bars = "", points: [String] = []
            for i in 0..<span {
                let x = Double(left) + Double(i) * slot
                let h = Double(plotH) * Double(revenue[i]) / Double(maxRevenue)
                let title = "\(labels[i]): \(orders[i]) orders, \(Money.format(revenue[i], currency: currency)) paid"
                bars += "<rect x=\"\(fmt(x + 1))\" y=\"\(fmt(Double(top + plotH) - h))\" width=\"\(fmt(slot - 2))\" height=\"\(fmt(h))\" "
                    + "class=\"bar\"><title>\(HTML.escape(title))</title></rect>"
                let y = Double(top + plotH) - Double(plotH) * Double(orders[i]) / Double(maxOrders)
                points.append("\(fmt(x + slot / 2)),\(fmt(y))")
            }
            let total = revenue.reduce(0, +), count = orders.reduce(0, +)
            let caption = "\(currency.uppercased()): \(count) order\(count == 1 ? "" : "s"), \(Money.format(total, currency: currency)) paid in \(span) days"
            out += """
                <figure class="chart"><svg viewBox="0 0 \(width) \(height)" role="img" aria-label="\(HTML.escape(caption))" \
                xmlns="http://www.w3.org/2000/svg">\
                <line x1="\(left)" y1="\(top + plotH)" x2="\(width - left)" y2="\(top + plotH)" class="axis"/>\
                \(bars)<polyline points="\(points.joined(separator: " "))" class="orders"/>\
                <text x="\(left)" y="\(height - 4)" class="label">\(labels[0])</text>\
                <text x="\(width - left)" y="\(height - 4)" class="label end">\(labels[span - 1])</text>\
                <text x="\(left)" y="10" class="label">max \(HTML.escape(Money.format(maxRevenue, currency: currency)))/day, \(maxOrders) orders/day</text>\
                </svg><figcaption>\(HTML.escape(caption)) <span class="key bar-key">revenue</span> <span class="key line-key">orders</span></figcaption></figure>
                """
        }
        return out + "</div>"
    }

    static func fmt(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
