"""A daemon that is gone, or dies mid-build, gives a failed BuildTiming with the reason, never an exception; removing
the image afterwards reports the problem instead of raising. Real unix sockets stand in for the dying daemon."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path

import docker

from harness.builders.timing import remove_image, timed_build

STEP = b'{"stream":"Step 1/2 : RUN sleep 1\\n"}\r\n'


def dying_daemon(path: Path) -> threading.Thread:
    """Answers one build with its first step, then closes the connection in the middle of the chunked stream."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        connection, _ = server.accept()
        request = b""
        while b"\r\n\r\n" not in request:
            request += connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                           + f"{len(STEP):x}\r\n".encode() + STEP + b"\r\n" + b"40\r\n{\"stream\"")
        connection.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def client(path: Path) -> docker.APIClient:
    return docker.APIClient(base_url=f"unix://{path}", version="1.41", timeout=10)


def context(tmp_path: Path) -> Path:
    path = tmp_path / "context.tar"
    path.write_bytes(b"\0" * 1024)
    return path


def test_a_daemon_that_is_gone_is_a_failed_build_with_the_reason(tmp_path: Path) -> None:
    timing = timed_build(client(tmp_path / "absent.sock"), context(tmp_path), "t:1", io.StringIO())
    assert not timing.ok and timing.steps == () and timing.image_id is None
    assert "No such file" in timing.error or "onnection" in timing.error, timing.error


def test_a_daemon_dying_mid_build_keeps_the_steps_so_far_and_says_why(tmp_path: Path) -> None:
    dying_daemon(tmp_path / "d.sock")
    log = io.StringIO()
    timing = timed_build(client(tmp_path / "d.sock"), context(tmp_path), "t:1", log)
    assert not timing.ok
    (step,) = timing.steps
    assert step.index == 1 and not step.ok and "connection to the daemon failed" in step.error
    assert timing.error == step.error and "connection to the daemon failed" in log.getvalue()


def test_removing_the_image_of_a_dead_daemon_reports_instead_of_raising(tmp_path: Path) -> None:
    problem = remove_image(client(tmp_path / "absent.sock"), "t:1", failed=True)
    assert problem and problem.startswith("could not remove t:1")


def test_the_build_log_masks_credentials_a_step_prints(tmp_path: Path) -> None:
    from harness.builders.timing import _stamped  # noqa: PLC0415 - the log writer alone

    log = io.StringIO()
    list(_stamped([{"stream": "http_proxy=http://alice:s3cret@proxy:3128\n"}], log))
    assert log.getvalue() == "http_proxy=http://***@proxy:3128\n"
