"""The ceiling of our stack: stock aiosmtpd on one asyncio loop whose handler only answers 250.

python bench/bare_aiosmtpd.py PORT      (0: any free port; prints "port N" when listening)
"""

from __future__ import annotations

import asyncio
import socket
import sys

from aiosmtpd.smtp import SMTP


class Null:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    handler = Null()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="bare", data_size_limit=None, loop=loop), sock=sock
    )
    print("port", sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import logging

    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
