import CFuzzDriver

#if canImport(Glibc)
import Glibc
#endif

/// Runs libFuzzer with the process's arguments on `callback` and exits with its status.
///
/// SwiftPM links an executable target's `main` itself, so libFuzzer's own `main` is not
/// used; its driver is called from the target's top-level code instead.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// Stops the process with `message` when `condition` is false: libFuzzer saves the input.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    let text = "FUZZ CHECK FAILED (\(file):\(line)): \(message())\n"
    text.withCString { _ = write(2, $0, strlen($0)) }
    abort()
}
