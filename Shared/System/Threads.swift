#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux

/// Dedicated OS threads for blocking work (accept, read, poll), so it never runs on Swift's cooperative pool.
public enum Threads {
    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts a detached thread running `body`, named `name` (cut to Linux's 15 bytes) so `top -H` and
    /// profiles tell the threads apart. Stacks are small: these threads only do I/O and framing.
    public static func spawn(name: StaticString, stackSize: Int = 512 * 1024, _ body: @escaping @Sendable () -> Void) {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attr, stackSize)
        let box = Unmanaged.passRetained(Box(String(String(describing: name).utf8.prefix(15))!, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            _ = clinux_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            fatalError("pthread_create failed for \(name): \(String(cString: strerror(rc)))")
        }
    }
}
