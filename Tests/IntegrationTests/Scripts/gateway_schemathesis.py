"""Runs schemathesis against a live gateway: `gateway_schemathesis.py <base url> [max examples] [max seconds]`.

Only the `not_a_server_error` check: whatever schemathesis sends, the gateway must not answer 5xx
(with every service up). Exit status 0 when no failure was found; the report goes to stdout.
"""
import os
import shutil
import sys
import tempfile

from schemathesis.cli import schemathesis

# The coverage phase also sends TRACE and QUERY to every path. The gateway's HTTP server implements
# neither on purpose (TRACE invites cross-site tracing) and answers them 501 before routing, which the
# `not_a_server_error` check would count as a server error. Every other method is fair game.
CONFIG = """
[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch"]
"""


def main() -> None:
    base = sys.argv[1].rstrip("/")
    examples = sys.argv[2] if len(sys.argv) > 2 else "25"
    seconds = sys.argv[3] if len(sys.argv) > 3 else "120"
    # Hypothesis keeps caches in the working directory: keep them out of the source tree.
    workdir = tempfile.mkdtemp(prefix="gateway-schemathesis-")
    os.chdir(workdir)
    config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    config.write(CONFIG)
    config.close()
    sys.argv = [
        "schemathesis", "--config-file", config.name, "run", base + "/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", examples,
        "--max-time", seconds,
        "--workers", "1",
        "--request-timeout", "10",
        "--max-redirects", "0",
        "--seed", "4242",
        "--no-color",
        "--suppress-health-check", "all",
        "--continue-on-failure",
        "--generation-database", "none",
    ]
    try:
        schemathesis()
    finally:
        os.unlink(config.name)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
