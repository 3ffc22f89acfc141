import Foundation

/// Writes lines to standard output at once, unbuffered, so that a supervisor or a test
/// reading a pipe sees "listening on …" when it happens.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
