"""PVE's terminal protocol without any IO: the client's messages, the server's reader, the serial port choice."""

from __future__ import annotations

import pytest

from pvectl.console import protocol
from pvectl.console.connect import ConsoleError, pick_serial
from pvectl.console.protocol import Input, Ping, Reader, Resize


def test_auth_line_is_user_colon_ticket_newline() -> None:
    assert protocol.auth_line("root@pam", "PVEVNC:5F5E0F00::c2ln") == b"root@pam:PVEVNC:5F5E0F00::c2ln\n"
    with pytest.raises(ValueError, match="login line"):
        protocol.auth_line("ro:ot@pam", "t")


def test_data_counts_bytes_not_characters_and_splits_long_input() -> None:
    assert list(protocol.data("é€".encode())) == [b"0:5:\xc3\xa9\xe2\x82\xac"]
    pieces = list(protocol.data(b"x" * (protocol.MAX_INPUT + 3)))
    assert pieces == [b"0:%d:" % protocol.MAX_INPUT + b"x" * protocol.MAX_INPUT, b"0:3:xxx"]
    assert protocol.resize(132, 43) == b"1:132:43:"


def test_reader_takes_the_stream_in_any_pieces() -> None:
    stream = b"0:5:ab:cd" + b"2" + protocol.resize(100, 30) + b"0:3:\x00\x1d\n"
    whole = Reader().feed(stream)
    assert whole == [Input(b"ab:cd"), Ping(), Resize(100, 30), Input(b"\x00\x1d\n")]
    reader = Reader()
    bytewise = [message for i in range(len(stream)) for message in reader.feed(stream[i : i + 1])]
    assert bytewise == whole


def test_reader_skips_unknown_types_and_rejects_garbage_numbers() -> None:
    assert Reader().feed(b"9x0:1:a") == [Input(b"a")]
    with pytest.raises(ValueError, match="bad number"):
        Reader().feed(b"0:1a:")
    with pytest.raises(ValueError, match="too long"):
        Reader().feed(b"0:" + b"1" * 30)


def test_serial_choice_follows_qm_terminal() -> None:
    assert pick_serial(100, {"serial0": "socket", "serial1": "socket", "vga": "serial1"}, {}, None) == "serial1"
    assert pick_serial(100, {"serial2": "socket"}, {}, None) == "serial2"
    assert pick_serial(100, {"serial0": "socket", "serial1": "socket"}, {}, "serial1") == "serial1"


def test_serial_problems_name_the_next_step() -> None:
    with pytest.raises(ConsoleError) as missing:
        pick_serial(100, {}, {}, None)
    assert "has no serial console" in str(missing.value)
    assert missing.value.remedy.startswith("pvectl vm serial-console enable 100")
    with pytest.raises(ConsoleError) as pending:
        pick_serial(100, {}, {"serial0": "socket"}, None)
    assert pending.value.remedy == "pvectl vm reboot 100"
    with pytest.raises(ConsoleError, match="'/dev/ttyS0', not a socket"):
        pick_serial(100, {"serial1": "/dev/ttyS0"}, {}, "serial1")


def test_vnc_tickets_never_reach_a_trace() -> None:
    from pvectl.sdk._core.redact import redact

    ticket = "PVEVNC:6B093926::Zm9vYmFyYmF6+/="
    url = "/api2/json/nodes/pve1/qemu/100/vncwebsocket?port=5900&vncticket=PVEVNC%3A6B093926%3A%3AZm9v%2B%2F%3D"
    assert redact(url).endswith("?port=5900&vncticket=***")
    assert ticket not in redact(f"root@pam:{ticket}\n")
    assert (
        redact('{"ticket": "x", "vncticket": "y", "port": 5900}')
        == '{"ticket": "***", "vncticket": "***", "port": 5900}'
    )


def test_console_fault_spec() -> None:
    from pvectl.sim.faults import Console, FaultSpecError, fault_spec, parse_fault

    assert parse_fault("console:vmid=100") == Console(100, "refused")
    assert fault_spec(parse_fault("console:vmid=100,state=refused")) == "console:vmid=100"
    with pytest.raises(FaultSpecError, match="state must be refused"):
        parse_fault("console:vmid=100,state=slow")
    with pytest.raises(FaultSpecError, match="needs vmid"):
        parse_fault("console")
