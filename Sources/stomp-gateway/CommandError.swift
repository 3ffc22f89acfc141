/// A runtime failure of a command, printed as `Error: …` with exit status 1 (usage
/// errors use ArgumentParser's `ValidationError` instead).
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
