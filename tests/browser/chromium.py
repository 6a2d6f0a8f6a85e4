"""How this project starts Chromium: Debian's build, headless, with the flags that keep it
off the network (the machines here have none) and working as root. Used by the browser tests
and by `make screenshots`."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
