"""Echo server on uvloop: the same asyncio.Protocol code as echo_asyncio.py,
run on uvloop's event loop.

Usage: python3 echo_uvloop.py PORT     (listens on 127.0.0.1:PORT)
"""
import asyncio
import sys

import uvloop


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def main(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, '127.0.0.1', port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    try:
        uvloop.install()
        asyncio.run(main(int(sys.argv[1])))
    except KeyboardInterrupt:
        pass
