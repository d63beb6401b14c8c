"""chat_server: a second reference WebSocket back end for goldpath's live mode.

It is built like the incident's back end (seed/000_92ab20af7e92fa44.txt): a
preliminary connection id, an id manager, a state registry of per-connection
state machines, and the incident's bugs behind ``--bug`` switches.  Its wire
protocol differs from goldpath.v1 on purpose, so that goldpath's protocol
profiles have a second, unlike server to describe.  See README.md.
"""

VERSION = "1.0.0"
