#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@preconcurrency import Dispatch
import FoundationEssentials
import System
import Transport

/// The mail transport without `SMTP_URL`: every message a complete `<name>.eml` file in one directory,
/// written a batch at a time so that durability costs one directory sync per batch, not one per message.
///
/// A batch: each message is written to `.<name>.tmp` in the same directory, writeback of all of them is
/// started, they are `fdatasync`ed (from several threads: each ends in a disk cache flush, and flushes
/// requested together are merged, which makes a batch's syncs far cheaper than one after another; the
/// figures are in docs/BENCHMARKS.md), each is renamed to `<name>.eml`, and the directory is `fsync`ed once.
/// ``deliver(_:)`` returns only then, and the caller records the batch delivered in one commit afterwards.
/// So:
/// - a file under its final name is always complete (it only gets there by rename, after its data is on disk);
///   a reader polling the directory never sees half a message, and neither does anyone after a crash;
/// - a message is recorded delivered only once its file and its directory entry are durable;
/// - a crash between the rename and the commit leaves the delivery pending: the retry writes the same bytes
///   to the same name again (rename replaces the file atomically), so the directory still holds one file
///   per message. A temporary file left by a crash is truncated and reused by that retry.
///
/// Why not `O_CREAT|O_EXCL` under the final name: the final name would exist while the message is being
/// written (a mail viewer or a test could open it half-written), and a crash would leave a truncated file
/// there that a retry would have to recognise and overwrite in place. Both designs allocate one inode per
/// message, which is what creating a file costs; the rename adds one directory update, cheap next to that.
///
/// Blocking file I/O runs on a serial queue of its own, never on Swift's cooperative pool.
final class MailDirectory: Sendable {
    /// The directory (created with its parents when missing).
    let path: String
    private let queue = DispatchQueue(label: "shop.notifier.mail-directory")

    init(path: String) {
        self.path = path
    }

    /// One message to write.
    struct Message: Sendable {
        /// The file name without `.eml`: one path component, as ``isSafeName(_:)`` checks.
        var name: String
        var bytes: [UInt8]
    }

    /// Writes `messages` durably; one result per message, in order. A failure is that message's (a
    /// directory that cannot be opened or synced fails them all); every failure is worth retrying.
    func deliver(_ messages: [Message]) async -> [Result<Void, SystemError>] {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Result<Void, SystemError>], Never>) in
            queue.async { [self] in continuation.resume(returning: deliverNow(messages)) }
        }
    }

    /// A name the event id gives a file in this directory: non-empty, no `/`, no NUL, not starting with `.`
    /// (temporary files do), and short enough for a file name.
    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && name.utf8.first != UInt8(ascii: ".")
            && !name.utf8.contains(UInt8(ascii: "/")) && !name.utf8.contains(0)
    }

    /// The blocking work of ``deliver(_:)``.
    func deliverNow(_ messages: [Message]) -> [Result<Void, SystemError>] {
        if messages.isEmpty { return [] }
        let dir: Int32
        do throws(SystemError) {
            dir = try openDirectory()
        } catch {
            return Array(repeating: .failure(error), count: messages.count)
        }
        defer { close(dir) }
        var results = [Result<Void, SystemError>](repeating: .success(()), count: messages.count)
        var files = [Int32](repeating: -1, count: messages.count)
        defer { for fd in files where fd >= 0 { close(fd) } }

        // 1. Every message to its temporary name, writeback started at once so the disk sees them together.
        for (i, m) in messages.enumerated() {
            guard Self.isSafeName(m.name) else {
                results[i] = .failure(SystemError("open(\(m.name).eml): not a safe file name", errno: EINVAL))
                continue
            }
            let temporary = "." + m.name + ".tmp"
            do throws(SystemError) {
                let fd = try Syscall.run("open(\(path)/\(temporary))") {
                    openat(dir, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                }
                files[i] = fd
                // Customers' addresses and orders: readable by the notifier's user only. The mode given to
                // open applies only to a new file; a temporary left by an older version keeps its own.
                _ = try Syscall.run("fchmod(\(temporary))") { fchmod(fd, 0o600) }
                try Self.writeAll(fd, m.bytes, name: temporary)
                Self.startWriteback(fd)
            } catch {
                results[i] = .failure(error)
            }
        }
        // 2. Each file's data and size on disk (in parallel: each fdatasync ends in a cache flush of the disk,
        //    and flushes requested together are merged into one), then its final name.
        let synced = Self.syncAll(messages.indices.map { i in results[i].isSuccess ? files[i] : -1 })
        var renamed = 0
        for (i, m) in messages.enumerated() where files[i] >= 0 {
            guard results[i].isSuccess else { continue }
            do throws(SystemError) {
                if synced[i] != 0 { throw SystemError("fdatasync(\(path)/.\(m.name).tmp)", errno: synced[i]) }
                try Syscall.run("rename(\(path)/.\(m.name).tmp)") { renameat(dir, "." + m.name + ".tmp", dir, m.name + ".eml") }
                renamed += 1
            } catch {
                results[i] = .failure(error)
            }
        }
        // 3. The new names on disk: one sync of the directory for the whole batch.
        if renamed > 0 {
            do throws(SystemError) {
                try Syscall.run("fsync(\(path))") { fsync(dir) }
            } catch {
                for i in results.indices { if case .success = results[i] { results[i] = .failure(error) } }
            }
        }
        return results
    }

    /// Most threads one batch's `fdatasync`s run on.
    static let syncWidth = 8

    /// `fdatasync`s every descriptor (skipping -1) from up to ``syncWidth`` threads of their own, one per
    /// 16 files, and returns each call's errno (0: synced).
    static func syncAll(_ fds: [Int32]) -> [Int32] {
        let box = ErrnoBox(count: fds.count)
        let width = max(1, min(syncWidth, fds.count / 16))
        let group = DispatchGroup()
        let work: @Sendable (Int) -> Void = { k in
            for i in stride(from: k, to: fds.count, by: width) where fds[i] >= 0 {
                do throws(SystemError) {
                    try Syscall.run("fdatasync") { fdatasync(fds[i]) }
                } catch {
                    box.set(i, error.errno)
                }
            }
        }
        for k in 1..<width {
            group.enter()
            Threads.spawn(name: "notifier.mail-sync", stackSize: 256 * 1024) {
                work(k)
                group.leave()
            }
        }
        work(0)
        group.wait()
        return box.values
    }

    private func openDirectory() throws(SystemError) -> Int32 {
        do throws(SystemError) {
            return try Syscall.run("open(\(path))") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        } catch where error.errno == ENOENT {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw SystemError("mkdir(\(path)): \(error)", errno: ENOENT)
            }
            return try Syscall.run("open(\(path))") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], name: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = try Syscall.run("write(\(name))") {
                bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
            }
            offset += n
        }
    }

    #if os(Linux)
    /// glibc's `sync_file_range`, which Swift's Glibc module does not declare (it needs `_GNU_SOURCE`);
    /// looked up once by name rather than adding a C target for one call.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
    }()
    #endif

    /// Starts writeback of the file without waiting (`SYNC_FILE_RANGE_WRITE`), so the data of a whole batch
    /// is in flight together before the `fdatasync`s; only a hint, the `fdatasync` is what makes it durable.
    private static func startWriteback(_ fd: Int32) {
        #if os(Linux)
        _ = syncFileRange?(fd, 0, 0, 2)  // SYNC_FILE_RANGE_WRITE
        #endif
    }
}

extension Result {
    fileprivate var isSuccess: Bool { if case .success = self { true } else { false } }
}

/// One errno per file, written by the sync threads.
private final class ErrnoBox: @unchecked Sendable {
    // Safe: each element is written by exactly one thread (index k, k+width, ...) through the raw buffer
    // (no Array copy-on-write bookkeeping is shared), and read only after `DispatchGroup.wait()` returned,
    // which orders those writes before the read.
    private let storage: UnsafeMutableBufferPointer<Int32>
    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0)
    }
    deinit { storage.deallocate() }
    func set(_ i: Int, _ value: Int32) { storage[i] = value }
    var values: [Int32] { Array(storage) }
}
