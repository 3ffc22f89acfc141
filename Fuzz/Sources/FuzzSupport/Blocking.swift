import Dispatch

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` in a task and waits for it on this thread (libFuzzer's callback is synchronous).
public func runBlocking<T>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}
