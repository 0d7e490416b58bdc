"""The serving path users deploy (`make run`, the Docker image: uvicorn) bounds request bodies:
an oversized upload is refused with 413 before it is read, and the server's memory stays flat."""

import json
import select
import socket
import subprocess
from collections.abc import Iterator

import pytest
import websockets

from tests.e2e.cluster import ROOT, cli_options, make_run_command, request, start_server, stop

MiB = 1024 * 1024
BOUNDARY = "----arena-upload-boundary"


def _memory_kib(pid: int, field: str) -> int:
    """VmRSS (resident now) or VmHWM (the peak since the process started), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def _multipart(size: int) -> tuple[int, Iterator[bytes]]:
    """A multipart body with one `size`-byte file, generated 1 MiB at a time (never held whole)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="huge.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def chunks():
        yield head
        chunk = b"\x89PNG" + b"\0" * (MiB - 4)
        for _ in range(size // MiB):
            yield chunk
        yield tail

    return len(head) + size // MiB * MiB + len(tail), chunks()


def _post_streaming(base: str, path: str, length: int, chunks: Iterator[bytes], *, chunked: bool = False):
    """POST like curl does: stream the body, but stop sending as soon as the server has answered.
    Returns (status, JSON body, bytes sent)."""
    host, port = base.split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n".encode()
    )
    sent = 0
    try:
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered early
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            sent += len(chunk)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # it closed the connection after answering; the answer is in our receive buffer
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _content_length(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, json.loads(body), sent


def _content_length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 62


@pytest.fixture(scope="module")
def uvicorn_server(tmp_path_factory):
    """`make run`'s server, embedded mode; nothing here reaches the database."""
    db = tmp_path_factory.mktemp("serving") / "db.sqlite3"
    process, base = start_server({"DATABASE_URL": f"sqlite:///{db}"}, inherit=False)
    yield process, base
    stop(process)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_200_mib_anonymous_upload_gets_413_and_memory_stays_flat(uvicorn_server, chunked):
    process, base = uvicorn_server
    before = _memory_kib(process.pid, "VmRSS")
    length, chunks = _multipart(200 * MiB)

    status, body, sent = _post_streaming(base, "/api/me/avatar", length, chunks, chunked=chunked)

    assert status == 413
    assert body["code"] == "body_too_large"
    assert isinstance(body["detail"], str)
    # The peak, not just the resident size afterwards: daphne's went from ~110 MiB to ~2.5 GiB.
    growth_mib = (_memory_kib(process.pid, "VmHWM") - before) / 1024
    assert growth_mib < 50, f"the server grew by {growth_mib:.0f} MiB"
    assert sent < length  # refused mid-stream, not after all of it was read
    assert request("GET", f"http://{base}/api/health")[0] == 200


def test_a_body_within_the_limit_reaches_the_app(uvicorn_server):
    _, base = uvicorn_server
    length, chunks = _multipart(2 * MiB)
    status, body, sent = _post_streaming(base, "/api/me/avatar", length, chunks)
    assert sent == length
    # The app's own answer to an anonymous upload, not the body limit's.
    assert (status, body["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
def test_the_limit_comes_from_the_environment_on_both_servers(tmp_path, server):
    """daphne stays supported and answers the same 413, but only after buffering the whole body."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MAX_REQUEST_BODY_BYTES": str(MiB)}
    process, base = start_server(env, server=server, inherit=False)
    try:
        length, chunks = _multipart(2 * MiB)
        status, body, _ = _post_streaming(base, "/api/me/avatar", length, chunks)
        assert (status, body["code"]) == (413, "body_too_large")
        assert body["detail"] == f"Request bodies are limited to {MiB} bytes."
        length, chunks = _multipart(MiB // 2)
        assert _post_streaming(base, "/api/me/avatar", length, chunks)[0] == 401
    finally:
        stop(process)


async def test_websockets_work_and_oversized_frames_are_cut_off(uvicorn_server):
    _, base = uvicorn_server
    async with websockets.connect(f"ws://{base}/ws/echo/", origin="http://localhost") as ws:
        await ws.send("hello over uvicorn")
        assert await ws.recv() == "hello over uvicorn"
        # --ws-max-size: a frame over 64 KiB closes the socket (1009) before the app sees it.
        await ws.send("x" * (65 * 1024))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 1009


def test_make_run_and_the_docker_image_serve_the_same_way():
    run = make_run_command(8000)
    cmd = None
    for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines():
        if line.startswith("CMD "):
            cmd = json.loads(line[4:])
    assert cmd is not None
    assert cmd[0] == "uvicorn"
    assert run[3:] == [arg.replace("0.0.0.0", "127.0.0.1") for arg in cmd[1:]]  # noqa: S104
    options = cli_options(run[4:])
    assert options["--ws"] == "websockets-sansio"
    assert int(options["--ws-max-size"]) == 65536
    assert int(options["--limit-concurrency"]) >= 1000  # every WebSocket counts: spectators too
    assert subprocess.run(["make", "-n", "run-daphne"], cwd=ROOT, capture_output=True, check=False).returncode == 0  # noqa: S607
