import Logging
import Testing

@Suite("Redactor")
struct RedactorTests {
    @Test("secret-shaped tokens are replaced wherever they stand", arguments: [
        ("key sk_test_51Habcdefgh used", "key [redacted] used"),
        ("rk_live_abcdefghij", "[redacted]"),
        ("secret=whsec_abc123,x", "secret=[redacted],x"),
        ("pi_3Nabc_secret_xyz and cs_test_a1_secret_b2", "[redacted] and [redacted]"),
        ("(seti_1_secret_2)", "([redacted])"),
        ("éwhsec_abc", "é[redacted]"),
        ("link #token=otk_3f5176a194bb44e93cf983c6b3e9b590ae87dc9fe3b62118385e8fae5894dec7 sent", "link #token=[redacted] sent"),
        ("smtp://mailer:hunter2pass@mail.example:587 refused", "smtp://[redacted]@mail.example:587 refused"),
        ("url=\"https://u@hooks.example/x?a=b@c\"", "url=\"https://[redacted]@hooks.example/x?a=b@c\""),
        ("smtps://only-user@[::1]:465", "smtps://[redacted]@[::1]:465"),
    ])
    func scrubs(input: String, expected: String) {
        #expect(Redactor.scrub(input) == expected)
    }

    @Test("ordinary text, ids and short sk_ words are kept as they are", arguments: [
        "evt_1Nabc order_42 pi_3Nabc", "sk_abc", "otk_", "otk_ab", "task_done", "a_secret", "ünïcode text with no secrets", "",
        "mail to li@example.cn via smtp://mail.example:25", "https://hooks.example/path@x",
    ])
    func keeps(input: String) {
        #expect(Redactor.scrub(input) == input)
    }

    @Test("metadata whose key names a secret is replaced whole, in any case")
    func keys() {
        #expect(Redactor.value(forKey: "Stripe-Signature", "t=1,v1=abc") == "[redacted]")
        #expect(Redactor.value(forKey: "SMTP_PASSWORD", "hunter2") == "[redacted]")
        #expect(Redactor.value(forKey: "http.authorization", "Bearer x") == "[redacted]")
        #expect(Redactor.value(forKey: "stripe.event_id", "evt_1") == "evt_1")
        #expect(Redactor.value(forKey: "note", "uses sk_live_abcdefghi") == "uses [redacted]")
    }
}
