// swift-tools-version:6.1
// The shop: four services (gateway, payments, fulfillment, notifier) that talk only through
// length-prefixed JSON frames over Unix domain sockets. No package dependencies: the toolchain
// plus three system C libraries (libcurl, sqlite3, libcrypto) through system-library targets, and
// a few Linux calls of libc (epoll, eventfd, thread names) the same way.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "shop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gateway", targets: ["gateway"]),
        .executable(name: "payments", targets: ["payments"]),
        .executable(name: "fulfillment", targets: ["fulfillment"]),
        .executable(name: "notifier", targets: ["notifier"]),
        .executable(name: "stripe-emulator", targets: ["stripe-emulator"]),
    ],
    targets: [
        // System libraries: a module map plus a shim header with typed wrappers for variadic C calls.
        .systemLibrary(name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Shared/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Shared/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // Linux calls the Glibc module lacks (epoll, eventfd, thread names): libc, nothing to link.
        .systemLibrary(name: "CLinux", path: "Shared/CLinux"),

        // Shared libraries. Dependencies point one way: Services -> Shared.
        // Core: dependency-free rules every module may use (percent-encoding, backoff, the email check).
        .target(name: "Core", path: "Shared/Core", swiftSettings: strict),
        .target(name: "Wire", dependencies: ["CLinux"], path: "Shared/Wire", swiftSettings: strict),
        .target(name: "Logging", dependencies: ["Wire"], path: "Shared/Logging", swiftSettings: strict),
        // The syscall layer: errors from errno, threads, the allocator, Unix and TCP sockets.
        .target(name: "System", dependencies: ["CLinux"], path: "Shared/System", swiftSettings: strict),
        .target(name: "Transport", dependencies: ["System", "Core", "Wire", "Logging", "CLinux"], path: "Shared/Transport", swiftSettings: strict),
        .target(name: "Storage", dependencies: ["CSQLite"], path: "Shared/Storage", swiftSettings: strict),
        // The HTTP/1.1 server (the client side is Curl).
        .target(name: "HTTPServer", dependencies: ["System", "Core", "Wire", "Logging", "Transport", "CLinux"], path: "Shared/HTTPServer",
                swiftSettings: strict),
        .target(name: "Crypto", dependencies: ["CCrypto"], path: "Shared/Crypto", swiftSettings: strict),
        .target(name: "Curl", dependencies: ["CCurl"], path: "Shared/Curl", swiftSettings: strict),
        .target(name: "Messages", dependencies: ["Core", "Wire"], path: "Shared/Messages", swiftSettings: strict),
        .target(name: "Stripe", dependencies: ["Core", "Curl", "Crypto", "Wire", "Logging"], path: "Shared/Stripe", swiftSettings: strict),
        .target(name: "Events", dependencies: ["Core", "Wire", "Logging", "Transport", "Storage"],
                path: "Shared/Events", swiftSettings: strict),
        .target(name: "ServiceKit", dependencies: ["Core", "System", "Wire", "Logging", "Transport", "Storage", "Events", "Messages"],
                path: "Shared/ServiceKit", swiftSettings: strict),

        // The four services.
        .executableTarget(name: "gateway", dependencies: ["Core", "ServiceKit", "Messages", "HTTPServer", "Crypto"], path: "Services/gateway",
                          exclude: ["Assets"], swiftSettings: strict, plugins: ["EmbedFiles"]),
        .executableTarget(name: "payments", dependencies: ["Core", "ServiceKit", "Messages", "Stripe", "Crypto", "Curl", "Logging", "Wire", "Events", "Storage", "Transport"], path: "Services/payments", swiftSettings: strict),
        .executableTarget(name: "fulfillment", dependencies: ["Core", "ServiceKit", "Messages", "Events", "Storage", "Transport", "Wire", "Logging", "Crypto"], path: "Services/fulfillment",
                          exclude: ["catalog.sample.json"], swiftSettings: strict),
        .executableTarget(name: "notifier", dependencies: ["Core", "System", "ServiceKit", "Messages", "Crypto", "Curl", "Events", "Storage", "Transport", "Wire", "Logging"], path: "Services/notifier", swiftSettings: strict),

        // The local Stripe stand-in: never part of the four services, used when no STRIPE_SECRET_KEY is set.
        .executableTarget(name: "stripe-emulator", dependencies: ["Core", "HTTPServer", "Storage", "Crypto", "Curl", "Wire", "Logging", "Transport"],
                          path: "tools/stripe-emulator", exclude: ["Assets"], swiftSettings: strict, plugins: ["EmbedFiles"]),

        // Scripts, styles and pages stay files in a target's Assets/ folder and are embedded at build time.
        .executableTarget(name: "embed-files", path: "tools/embed-files", swiftSettings: strict),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"], path: "Plugins/EmbedFiles"),

        // Benchmarks (not tests): run by bench/*.sh, which print figures next to a baseline.
        .executableTarget(name: "bench-ipc", dependencies: ["Wire", "Transport"], path: "bench/ipc/swift", swiftSettings: strict),
        .executableTarget(name: "bench-events", dependencies: ["Wire", "Transport", "Storage"], path: "bench/events/swift",
                          swiftSettings: strict),

        .executableTarget(name: "bench-webhooks", dependencies: ["Wire", "Transport", "Crypto", "Messages"],
                          path: "bench/webhooks/swift", swiftSettings: strict),
        .executableTarget(name: "bench-orders", dependencies: ["Wire", "Transport", "Crypto", "Messages"], path: "bench/orders/swift", swiftSettings: strict),

        // Test support: a minimal publisher/subscriber on the real Events + ServiceKit code.
        .executableTarget(name: "events-harness", dependencies: ["Core", "ServiceKit", "Events", "Storage", "Transport", "Wire"],
                          path: "Tests/Harness/events-harness", swiftSettings: strict),

        .testTarget(name: "CoreTests", dependencies: ["Core"], path: "Tests/CoreTests", swiftSettings: strict),
        .testTarget(name: "MessagesTests", dependencies: ["Messages", "Core", "Wire"], path: "Tests/MessagesTests", swiftSettings: strict),
        .testTarget(name: "WireTests", dependencies: ["Wire"], path: "Tests/WireTests", swiftSettings: strict),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"], path: "Tests/LoggingTests", swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "System", "Transport", "HTTPTesting"], path: "Tests/HTTPServerTests", swiftSettings: strict),
        .testTarget(name: "StripeTests", dependencies: ["Stripe", "Crypto", "Curl", "Wire"], path: "Tests/StripeTests",
                    exclude: ["Scripts"], swiftSettings: strict),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"], path: "Tests/CryptoTests", swiftSettings: strict),
        .testTarget(name: "StorageTests", dependencies: ["Storage"], path: "Tests/StorageTests", swiftSettings: strict),
        // Unit tests of code inside executables: each service's logic called in-process (`@testable import`),
        // and the service built and served in-process on a temporary directory; the stand-in's form decoder.
        // Test support: a service built and served in the test's process on a temporary directory.
        .target(name: "ServiceTesting", dependencies: ["ServiceKit", "Transport", "Logging"], path: "Tests/Support/ServiceTesting",
                swiftSettings: strict),
        // Test support: the response type of the HTTP server's tests and the integration tests' clients.
        .target(name: "HTTPTesting", path: "Tests/Support/HTTPTesting", swiftSettings: strict),
        .testTarget(name: "ServiceKitTests", dependencies: ["ServiceKit", "Logging"], path: "Tests/ServiceKitTests", swiftSettings: strict),
        .testTarget(name: "GatewayTests", dependencies: ["gateway", "ServiceTesting"], path: "Tests/GatewayTests", swiftSettings: strict),
        .testTarget(name: "PaymentsTests", dependencies: ["payments", "ServiceTesting"], path: "Tests/PaymentsTests", swiftSettings: strict),
        .testTarget(name: "FulfillmentTests", dependencies: ["fulfillment", "ServiceTesting"], path: "Tests/FulfillmentTests", swiftSettings: strict),
        .testTarget(name: "NotifierTests", dependencies: ["notifier", "ServiceTesting"], path: "Tests/NotifierTests", swiftSettings: strict),
        .testTarget(name: "StripeEmulatorTests", dependencies: ["stripe-emulator"], path: "Tests/StripeEmulatorTests",
                    swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: ["System", "Wire", "Logging", "Transport", "ServiceKit", "Events", "Storage", "Messages", "Stripe", "Crypto", "Curl", "HTTPTesting"],
                    path: "Tests/IntegrationTests", exclude: ["Scripts"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
