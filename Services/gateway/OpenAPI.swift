/// The OpenAPI 3 document of the gateway's public HTTP API: the one source of truth.
///
/// It is a file, `Services/gateway/Assets/openapi.json`, where JSON tools can read and check it, embedded
/// at build time by the EmbedFiles plugin. Served at `GET /openapi.json` and printed by `gateway openapi`;
/// a test asserts that its paths are exactly the router's routes (`gateway routes`) and that it validates.
enum OpenAPI {
    /// The document, as served.
    static let document = Assets.files["openapi.json"]!

    /// ``document`` as bytes, encoded once.
    static let bytes: [UInt8] = Array(document.utf8)
}
