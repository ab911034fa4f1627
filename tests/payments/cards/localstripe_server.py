"""Run localstripe on 127.0.0.1 only, in its own process: `python localstripe_server.py PORT`.

localstripe (GPL-3.0) is a test-only dependency: this script is started by the tests as a separate server
process and is never imported by Quita's code. Its own `localstripe` command binds every interface (`::`),
so this starts its aiohttp application on the loopback address instead. The store starts empty (the
pickle left in /tmp by an earlier run is not loaded).
"""

import sys

from aiohttp import web
from localstripe.server import app

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
