/// The headers of a STOMP frame: an ordered list of name–value pairs.
///
/// STOMP allows a header to repeat; the specification says that the first value wins,
/// and the later ones are kept only so that a frame can be relayed as it arrived.
/// ``subscript(_:)`` and ``first(name:)`` therefore return the first value.
///
/// ```swift
/// var headers: STOMPHeaders = ["destination": "/queue/orders", "persistent": "true"]
/// headers.add(name: "x-trace", value: "abc")
/// headers["destination"] // "/queue/orders"
/// ```
public struct STOMPHeaders: Sendable, Hashable {
    @usableFromInline
    var storage: [(name: String, value: String)]

    /// Creates an empty header list.
    @inlinable
    public init() {
        storage = []
    }

    /// Creates headers from name–value pairs, in order.
    @inlinable
    public init(_ pairs: [(String, String)]) {
        storage = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// Reserves room for `count` headers.
    @inlinable
    public mutating func reserveCapacity(_ count: Int) {
        storage.reserveCapacity(count)
    }

    /// The number of header entries, repeats included.
    @inlinable
    public var count: Int { storage.count }

    /// Whether there are no headers.
    @inlinable
    public var isEmpty: Bool { storage.isEmpty }

    /// The first value of header `name`, or `nil`. Setting replaces the first entry
    /// (and removes any repeats); setting `nil` removes every entry of that name.
    @inlinable
    public subscript(name: String) -> String? {
        get { first(name: name) }
        set {
            if let newValue { replaceOrAdd(name: name, value: newValue) } else { remove(name: name) }
        }
    }

    /// The first value of header `name` (the one that counts), or `nil`.
    @inlinable
    public func first(name: String) -> String? {
        for entry in storage where entry.name == name { return entry.value }
        return nil
    }

    /// Every value of header `name`, in order.
    public func values(name: String) -> [String] {
        storage.filter { $0.name == name }.map(\.value)
    }

    /// Whether a header `name` is present.
    @inlinable
    public func contains(name: String) -> Bool {
        storage.contains { $0.name == name }
    }

    /// Appends an entry, keeping any earlier entry of the same name (which then wins).
    @inlinable
    public mutating func add(name: String, value: String) {
        storage.append((name: name, value: value))
    }

    /// Replaces the first entry named `name` and removes the repeats, or appends one.
    @inlinable
    public mutating func replaceOrAdd(name: String, value: String) {
        if let index = storage.firstIndex(where: { $0.name == name }) {
            storage[index].value = value
            var i = storage.index(after: index)
            while i < storage.endIndex {
                if storage[i].name == name { storage.remove(at: i) } else { i += 1 }
            }
        } else {
            storage.append((name: name, value: value))
        }
    }

    /// Removes every entry named `name`.
    @inlinable
    public mutating func remove(name: String) {
        storage.removeAll { $0.name == name }
    }

    public static func == (lhs: STOMPHeaders, rhs: STOMPHeaders) -> Bool {
        lhs.storage.elementsEqual(rhs.storage) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.count)
        for entry in storage {
            hasher.combine(entry.name)
            hasher.combine(entry.value)
        }
    }
}

extension STOMPHeaders: RandomAccessCollection {
    public typealias Element = (name: String, value: String)

    @inlinable
    public var startIndex: Int { storage.startIndex }

    @inlinable
    public var endIndex: Int { storage.endIndex }

    @inlinable
    public subscript(position: Int) -> (name: String, value: String) { storage[position] }
}

extension STOMPHeaders: ExpressibleByDictionaryLiteral {
    /// Creates headers from a literal; the order of the literal is kept.
    public init(dictionaryLiteral elements: (String, String)...) {
        storage = elements.map { (name: $0.0, value: $0.1) }
    }
}

extension STOMPHeaders: CustomStringConvertible {
    public var description: String {
        "[" + storage.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

/// Names of the headers STOMP defines.
public enum STOMPHeaderName {
    public static let acceptVersion = "accept-version"
    public static let ack = "ack"
    public static let contentLength = "content-length"
    public static let contentType = "content-type"
    public static let destination = "destination"
    public static let heartBeat = "heart-beat"
    public static let host = "host"
    public static let id = "id"
    public static let login = "login"
    public static let message = "message"
    public static let messageID = "message-id"
    public static let passcode = "passcode"
    public static let receipt = "receipt"
    public static let receiptID = "receipt-id"
    public static let replyTo = "reply-to"
    public static let server = "server"
    public static let session = "session"
    public static let subscription = "subscription"
    public static let transaction = "transaction"
    public static let version = "version"
    public static let correlationID = "correlation-id"
    public static let redelivered = "redelivered"
}
