#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FramedConnection {
    /// Runs `body`, holding back every frame sent on this thread meanwhile; when `body` returns, each
    /// connection that got frames writes them all at once.
    ///
    /// For threads that answer many messages in a row (the database writer after a group commit, the HTTP
    /// loop after one `epoll_wait`): a batch of replies costs one `send` per connection instead of one per
    /// reply, and the peer wakes once to read them. Frames are held only until `body` returns, so `body`
    /// must not wait for an answer to something it sent. Nested calls join the outermost scope.
    public static func coalescingSends(_ body: () throws -> Void) rethrows {
        if SendBatch.current != nil { return try body() }
        let batch = SendBatch()
        SendBatch.current = batch
        defer {
            SendBatch.current = nil
            batch.release()
        }
        try body()
    }
}

/// The connections holding frames for the current thread's ``FramedConnection/coalescingSends(_:)`` scope.
/// Only ever touched by the thread that owns it, through a thread-specific pointer.
final class SendBatch {
    private var held: [FramedConnection] = []

    func hold(_ connection: FramedConnection) { held.append(connection) }

    func release() {
        for connection in held { connection.uncork() }
        held.removeAll()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// This thread's open scope, if any.
    static var current: SendBatch? {
        get { pthread_getspecific(key).map { Unmanaged<SendBatch>.fromOpaque($0).takeUnretainedValue() } }
        set {
            // The scope's own frame keeps the batch alive; the pointer is cleared before the scope ends.
            pthread_setspecific(key, newValue.map { Unmanaged.passUnretained($0).toOpaque() })
        }
    }
}
