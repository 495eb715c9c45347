"""Try fluxcord without a Discord application or keys: `scripts/run demo`.

The bot runs unmodified against the Discord and provider stand-ins the test suite uses
(tests/support/standins/), with the local placeholder provider, and a small web page on
http://127.0.0.1:8765 plays the Discord client: type `/imagine`, watch the answers, click
the buttons. It runs from a checkout of the repository, not from an installed package.
"""
