import HTTPServer

/// Refunds, disputes and invoice voiding: the `/v1/` endpoints and their test helpers.
extension API {
    mutating func registerRefundsAndDisputes() {
        // Refunds
        v1(.post, "/v1/refunds") { l, c in
            let o = try l.createRefund(c.params, request: c.info)
            return try l.render(o, version: c.version, expand: c.expand)
        }
        v1(.get, "/v1/refunds") { l, c in try l.listRefunds(c.params, version: c.version, expand: c.expand) }
        v1(.get, "/v1/refunds/{id}") { l, c in
            try c.params.allowOnly(["expand"])
            return try l.render(try l.get("refund", c.id), version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/refunds/{id}") { l, c in
            try l.render(try l.updateRefund(c.id, c.params), version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/refunds/{id}/cancel") { l, c in
            try c.params.allowOnly(["expand"])
            return try l.render(try l.cancelRefund(c.id, request: c.info), version: c.version, expand: c.expand)
        }

        // Disputes
        v1(.get, "/v1/disputes") { l, c in try l.listDisputes(c.params, version: c.version, expand: c.expand) }
        v1(.get, "/v1/disputes/{id}") { l, c in
            try c.params.allowOnly(["expand"])
            return try l.render(try l.get("dispute", c.id), version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/disputes/{id}") { l, c in
            try l.render(try l.updateDispute(c.id, c.params, request: c.info), version: c.version, expand: c.expand)
        }
        v1(.post, "/v1/disputes/{id}/close") { l, c in
            try l.render(try l.closeDispute(c.id, c.params, request: c.info), version: c.version, expand: c.expand)
        }

        // Invoices
        v1(.post, "/v1/invoices/{id}/void") { l, c in
            try l.render(try l.voidInvoice(c.id, c.params, request: c.info), version: c.version, expand: c.expand)
        }

        // Test helpers
        helper(.post, "/_emulator/refunds") { l, c in
            // A refund made in the Dashboard: no metadata of ours, no idempotency key.
            try c.params.allowOnly(["payment_intent", "charge", "amount", "reason"])
            let refund = try l.createRefund(c.params, request: nil, dashboard: true)
            return ["outcome": .string(refund.string("status") ?? ""), "refund": try l.render(refund, version: c.version)]
        }
        helper(.post, "/_emulator/refunds/{id}/settle") { l, c in
            try c.params.allowOnly(["outcome", "failure_reason"])
            let outcome = try c.params.string("outcome") ?? "failed"
            let refund = try l.settleRefund(c.id, outcome: outcome, failureReason: try c.params.string("failure_reason"), request: nil)
            return ["outcome": .string(refund.string("status") ?? ""), "refund": try l.render(refund, version: c.version)]
        }
        helper(.post, "/_emulator/disputes/{id}/close") { l, c in
            try c.params.allowOnly(["status"])
            let dispute = try l.closeDisputeAs(c.id, status: try c.params.string("status") ?? "won", request: nil)
            return ["outcome": .string(dispute.string("status") ?? ""), "dispute": try l.render(dispute, version: c.version)]
        }
    }
}
