"""`solidaria demo 8001` (what `make demo PORT=8001` runs) serves where it is told."""

from __future__ import annotations

from solidaria.core.management.commands.demo import Command, serve_address


def test_a_bare_port_serves_on_the_local_address() -> None:
    assert serve_address("8001") == "127.0.0.1:8001"
    assert serve_address("0.0.0.0:9000") == "0.0.0.0:9000"
    assert serve_address(None) == "127.0.0.1:8000"


def test_the_address_is_a_positional_argument_or_an_option() -> None:
    parser = Command().create_parser("solidaria", "demo")
    assert vars(parser.parse_args(["127.0.0.1:8001"]))["addrport"] == "127.0.0.1:8001"
    assert vars(parser.parse_args(["--addrport", "8002"]))["addrport_option"] == "8002"
