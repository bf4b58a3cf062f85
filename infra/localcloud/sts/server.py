"""HTTP front of the STS service: reads the request line and form body, writes the JSON answer."""

from __future__ import annotations

from ..common.httpserver import Handler, Server
from . import rpc
from .service import RpcResponse, STSService, new_request_id

MAX_BODY = 64 * 1024  # an AssumeRole form body is a few KB at most


class STSHandler(Handler):
    server: Server

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._handle()

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle()

    def _handle(self) -> None:
        service: STSService = self.server.app
        host = self.headers.get("Host", "sts.localcloud")
        body = self._read_body()
        if body is None:
            self.close_connection = True  # the rest of the body is still in the socket
            self._write(self._error(400, "InvalidParameter", "The request body is too large or malformed.",
                                    host))
            return
        _, _, query = self.path.partition("?")
        try:
            params = rpc.parse_params(query, body, self.headers.get("Content-Type"))
        except rpc.RpcFormatError as exc:
            self._write(self._error(400, "InvalidParameter", str(exc), host))
            return
        response = service.handle(self.command, params, self.client_address[0], host=host)
        self._write(response)

    def _read_body(self) -> bytes | None:
        """The request body (Content-Length or chunked), or None when it is over MAX_BODY or malformed."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(64)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _error(status: int, code: str, message: str, host: str) -> RpcResponse:
        request_id = new_request_id()
        return RpcResponse(status, {"RequestId": request_id, "HostId": host, "Code": code, "Message": message,
                                    "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Sts"},
                           request_id, {"x-acs-request-id": request_id})

    def _write(self, response: RpcResponse) -> None:
        data = response.encoded()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def make_server(service: STSService, host: str = "127.0.0.1", port: int = 0) -> Server:
    """A bound (not yet serving) STS server; run it with `ServerThread(server, name).start()`."""
    return Server((host, port), STSHandler, service)
