"""A neighbour's name may resolve to several addresses (IPv6 and IPv4, or several
servers): the message goes to the first checked address that accepts a connection, as
an ordinary HTTP client would, not only to the first one (a neighbour whose first address
is down would otherwise get no message at all, and every payment through it would wait
for recovery)."""

from __future__ import annotations

import socket

from solidaria.core import netguard
from solidaria.creditcommons import transport


def test_the_next_checked_address_is_tried_when_the_first_refuses() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        # 127.0.0.2 is loopback too, but nothing listens there on that port: refused
        target = netguard.Target("http", "peer.example", port, ("127.0.0.2", "127.0.0.1"), "/")
        conn = transport._connection(target, 2)
        try:
            assert conn.sock.getpeername() == ("127.0.0.1", port)
        finally:
            conn.close()
    finally:
        server.close()
