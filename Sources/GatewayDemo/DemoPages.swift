/// The thank-you page, rendered by the shop backend at once; its live timeline is
/// filled by `web/demo/thankyou.js` from the order's feed.
enum DemoPages {
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func thankYou(order: String, note: String, recommendations: [String], late: [String], token: String, proof: String) -> String {
        let items = recommendations.map { "<li>\(escape($0))</li>" }.joined()
        let lateNote = late.isEmpty ? "" : "<p class=\"hint\">(\(escape(late.joined(separator: " and "))) took too long — showing our defaults)</p>"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Thank you — order \(escape(order))</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="/web/demo/demo.css">
            </head>
            <body>
            <header><a href="/web/demo/">☕ Bean &amp; Burr</a></header>
            <main class="thank-you" data-order="\(escape(order))" data-token="\(escape(token))" data-proof="\(escape(proof))" data-statuses="\(DemoPipeline.statusCount)">
              <h1>Thank you!</h1>
              <p>Your order number is <strong id="order-number">\(escape(order))</strong>.</p>
              <p id="note">\(escape(note))</p>
              <section>
                <h2>Your order, live <span id="live" class="live connecting" role="status" aria-live="polite">connecting…</span></h2>
                <ol id="timeline" class="timeline" aria-live="polite"></ol>
                <p id="problem" class="problem" role="alert" hidden></p>
              </section>
              <section>
                <h2>You might also like</h2>
                <ul id="recommendations">\(items)</ul>
                \(lateNote)
              </section>
            </main>
            <script type="module" src="/web/demo/thankyou.js"></script>
            </body>
            </html>
            """
    }
}
