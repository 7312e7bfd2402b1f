"""Echo server on uvloop: the asyncio.Protocol server of echo_asyncio.py,
run on uvloop's event loop.

Usage: python3 echo_uvloop.py PORT     (listens on 127.0.0.1:PORT)
"""
import asyncio
import sys

import uvloop

from echo_asyncio import main

if __name__ == '__main__':
    try:
        uvloop.install()
        asyncio.run(main(int(sys.argv[1])))
    except KeyboardInterrupt:
        pass
