import Foundation
import Hummingbird
import Logging

/// Serves a folder under `/web/`: the browser client `stomp-gateway.js` and pages that
/// use it. Files are revalidated on every load (`Cache-Control: no-cache`), so a new
/// version of the gateway's client is picked up at once.
public enum WebFiles {
    /// The URL prefix.
    public static let prefix = "/web"

    /// Adds the files of `directory` under `/web/`. Returns `false` (and serves
    /// nothing) when the folder does not exist.
    @discardableResult
    public static func add<Context: RequestContext>(to router: Router<Context>, directory: String, logger: Logger) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            logger.warning("web folder not found; /web/ is not served", metadata: ["http.web_dir": "\(directory)"])
            return false
        }
        router.add(
            middleware: FileMiddleware(
                directory,
                urlBasePath: prefix,
                cacheControl: .init([(.init(type: .any), [.noCache])]),
                searchForIndexHtml: true,
                logger: logger
            )
            .withAdditionalMediaType(.init(type: .text, subType: "javascript"), mappedToFileExtension: "js")
            .withAdditionalMediaType(.init(type: .text, subType: "javascript"), mappedToFileExtension: "mjs")
        )
        return true
    }
}
