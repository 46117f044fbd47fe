// Fuzz target `mail`: the notifier's email address parser and MIME header writers
// (Services/notifier/MailMessage.swift).
//
// Input: length-prefixed chunks: from, to, subject, message id, display name, raw address, text, html,
// then 8 bytes of date.
// Invariants:
// - `MailAddress.parse` never accepts an address with CR, LF, controls or spaces, or without exactly one @;
// - a rendered message's head is exactly the seven headers render() writes, in order: every line ends in
//   CRLF, no other CR or LF is anywhere in the head, no NUL, and every other line is a fold (starts with
//   a space). So no input (addresses, subject, event id, display names, even an address built without
//   `parse`) can add a header such as `Bcc:` or end the head early;
// - `MIME.headerText` and `MIME.field` never return a CR or LF outside a CRLF SP fold;
// - the whole message uses CRLF line ends only; dates never crash, whatever the milliseconds.
@testable import FuzzNotifierMail

private let expectedHeaders = ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type"]

private func checkFolds(_ value: String, _ what: String) {
    let s = Array(value.utf8)
    for (i, b) in s.enumerated() where b == 13 || b == 10 {
        let fold = (b == 13 && i + 2 < s.count && s[i + 1] == 10 && s[i + 2] == 0x20)
            || (b == 10 && i >= 1 && s[i - 1] == 13 && i + 1 < s.count && s[i + 1] == 0x20)
        require(fold, "\(what) has a CR or LF outside a fold: \(show(s))")
    }
}

private func checkMessage(_ bytes: [UInt8]) {
    for (i, b) in bytes.enumerated() {
        if b == 10 { require(i > 0 && bytes[i - 1] == 13, "bare LF at byte \(i)") }
        if b == 13 { require(i + 1 < bytes.count && bytes[i + 1] == 10, "bare CR at byte \(i)") }
    }
    // The head: up to the first empty line.
    var lines: [ArraySlice<UInt8>] = []
    var start = 0, i = 0
    while i + 1 < bytes.count {
        if bytes[i] == 13 && bytes[i + 1] == 10 {
            let line = bytes[start..<i]
            if line.isEmpty { break }
            lines.append(line)
            start = i + 2
            i += 2
            continue
        }
        i += 1
    }
    var names: [String] = []
    for line in lines {
        require(!line.contains(0), "NUL in a header line: \(show(line))")
        if line.first == 0x20 || line.first == 0x09 { continue }  // a fold
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            require(false, "a header line without a colon: \(show(line))")
            return
        }
        names.append(String(decoding: line[..<colon], as: UTF8.self))
    }
    require(names == expectedHeaders, "headers \(names), expected \(expectedHeaders)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMail(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    func text() -> String { String(decoding: input.chunk(), as: UTF8.self) }
    let fromText = text(), toText = text(), subject = text(), messageID = text()
    let rawName = text(), rawAddress = text(), body = text(), html = text()
    let date = input.integer(Int64.self)

    for candidate in [fromText, toText] {
        guard let a = MailAddress.parse(candidate) else { continue }
        let at = a.address.unicodeScalars.filter { $0 == "@" }.count
        require(at == 1 && !a.address.unicodeScalars.contains { $0.value <= 0x20 || $0 == "\u{7F}" || $0 == "<" || $0 == ">" },
                "parse accepted the address \(show(Array(a.address.utf8)))")
        if let name = a.name { require(!name.unicodeScalars.contains { $0 == "\r" || $0 == "\n" }, "parse accepted a name with CR or LF") }
        checkFolds(a.header, "an address header")
    }
    checkFolds(MIME.headerText(subject), "headerText")
    checkFolds(MIME.field(subject), "field")
    _ = MIME.rfc5322Date(milliseconds: date)

    let from = MailAddress.parse(fromText) ?? MailAddress(name: "Shop", address: "shop@localhost")
    let tos = [MailAddress.parse(toText), MailAddress(name: rawName.isEmpty ? nil : rawName, address: rawAddress)]
    for case let to? in tos {
        let message = MailMessage(from: from, to: to, subject: subject, text: body, html: html, messageID: messageID, date: date)
        checkMessage(message.render())
    }
    return 0
}
