import STOMPCore
import Testing

@Suite("STOMPHeaders: ordered, repeats kept, first value wins")
struct HeadersTests {
    private let repeated = STOMPHeaders([("a", "1"), ("b", "2"), ("a", "3"), ("c", "4"), ("a", "5")])

    @Test("an empty header list")
    func empty() {
        let headers = STOMPHeaders()
        #expect(headers.isEmpty)
        #expect(headers.count == 0)
        #expect(headers["a"] == nil)
        #expect(headers.first(name: "a") == nil)
        #expect(headers.values(name: "a").isEmpty)
        #expect(!headers.contains(name: "a"))
        #expect(headers == [:])
        #expect(headers.description == "[]")
    }

    @Test("the first value wins; every value is kept in order")
    func firstWins() {
        #expect(repeated["a"] == "1")
        #expect(repeated.first(name: "a") == "1")
        #expect(repeated.values(name: "a") == ["1", "3", "5"])
        #expect(repeated.count == 5)
        #expect(repeated.map(\.name) == ["a", "b", "a", "c", "a"])
        #expect(repeated.map(\.value) == ["1", "2", "3", "4", "5"])
        #expect(repeated.contains(name: "c"))
        #expect(!repeated.contains(name: "A"))
        #expect(repeated["A"] == nil)
    }

    @Test("add appends and keeps the earlier entry winning")
    func add() {
        var headers: STOMPHeaders = ["destination": "/queue/a"]
        headers.add(name: "destination", value: "/queue/b")
        headers.add(name: "x", value: "")
        #expect(headers["destination"] == "/queue/a")
        #expect(headers.values(name: "destination") == ["/queue/a", "/queue/b"])
        #expect(headers["x"] == "")
        #expect(headers.count == 3)
    }

    @Test("setting through the subscript replaces the first entry and removes the repeats")
    func subscriptSet() {
        var headers = repeated
        headers["a"] = "new"
        #expect(headers == STOMPHeaders([("a", "new"), ("b", "2"), ("c", "4")]))
        headers["d"] = "appended"
        #expect(headers.map(\.name) == ["a", "b", "c", "d"])
        headers["a"] = nil
        #expect(headers == STOMPHeaders([("b", "2"), ("c", "4"), ("d", "appended")]))
        headers["missing"] = nil
        #expect(headers.count == 3)
    }

    @Test("replaceOrAdd and remove")
    func replaceAndRemove() {
        var headers = repeated
        headers.replaceOrAdd(name: "a", value: "x")
        #expect(headers.values(name: "a") == ["x"])
        #expect(headers.map(\.name) == ["a", "b", "c"])
        headers.replaceOrAdd(name: "z", value: "last")
        #expect(headers.last?.name == "z")
        var removed = repeated
        removed.remove(name: "a")
        #expect(removed == STOMPHeaders([("b", "2"), ("c", "4")]))
        removed.remove(name: "nothing")
        #expect(removed.count == 2)
    }

    @Test("replaceOrAdd on adjacent repeats removes them all")
    func adjacentRepeats() {
        var headers = STOMPHeaders([("a", "1"), ("a", "2"), ("a", "3"), ("b", "4"), ("a", "5")])
        headers.replaceOrAdd(name: "a", value: "9")
        #expect(headers == STOMPHeaders([("a", "9"), ("b", "4")]))
    }

    @Test("equality and hashing depend on order and repeats")
    func equality() {
        let ab = STOMPHeaders([("a", "1"), ("b", "2")])
        let ba = STOMPHeaders([("b", "2"), ("a", "1")])
        #expect(ab != ba)
        #expect(ab == ["a": "1", "b": "2"])
        #expect(ab.hashValue == STOMPHeaders([("a", "1"), ("b", "2")]).hashValue)
        #expect(ab != STOMPHeaders([("a", "1"), ("b", "2"), ("a", "1")]))
        #expect(Set([ab, ba, ["a": "1", "b": "2"]]).count == 2)
        #expect(STOMPHeaders([("a", "")]) != STOMPHeaders([("a", "x")]))
    }

    @Test("a dictionary literal keeps its order")
    func literalOrder() {
        let headers: STOMPHeaders = ["z": "1", "a": "2", "m": "3"]
        #expect(headers.map(\.name) == ["z", "a", "m"])
        #expect(headers[0].name == "z")
        #expect(headers[headers.index(before: headers.endIndex)].value == "3")
        #expect(headers.startIndex == 0 && headers.endIndex == 3)
    }

    @Test("description lists the entries in order")
    func description() {
        let headers = STOMPHeaders([("destination", "/q"), ("receipt", "7")])
        #expect(headers.description == "[destination: /q, receipt: 7]")
        #expect(STOMPFrame(.send, headers: headers, body: "hi").description == "SEND [destination: /q, receipt: 7] (2 body bytes)")
    }

    @Test("reserveCapacity changes nothing visible")
    func reserve() {
        var headers = repeated
        headers.reserveCapacity(100)
        #expect(headers == repeated)
    }

    @Test("header names the specification defines")
    func names() {
        #expect(STOMPHeaderName.contentLength == "content-length")
        #expect(STOMPHeaderName.acceptVersion == "accept-version")
        #expect(STOMPHeaderName.heartBeat == "heart-beat")
        #expect(STOMPHeaderName.receiptID == "receipt-id")
        #expect(STOMPHeaderName.messageID == "message-id")
    }
}
