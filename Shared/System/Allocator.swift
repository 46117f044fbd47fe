import CLinux

/// Process-wide memory allocator settings for long-running services.
public enum Allocator {
    /// Keeps freed memory for reuse instead of handing it back to the kernel after every burst (glibc
    /// trims each thread's arena as soon as 128 KiB are free: an `madvise` and a TLB flush on every core,
    /// which showed up in the webhook benchmark). Call once at start, before the threads get busy.
    public static func keepFreedMemory() {
        clinux_keep_freed_memory()
    }
}
