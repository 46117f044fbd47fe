// Compiled into the FuzzNotifierMail module with Services/notifier/MailMessage.swift (by scripts/fuzz).
// MailMessage.swift imports FoundationEssentials and uses a few of Foundation's String methods
// (`trimmingCharacters`, `replacingOccurrences`) that the notifier module gets from Foundation, which its
// other files import; this file stands in for them.
import Foundation
