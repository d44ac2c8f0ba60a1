"""Start localstripe on 127.0.0.1 only. Run with the peer venv's Python, not ours.

`localstripe --port P` binds `::` (every interface, IPv4 and IPv6) and has no host option,
so the benchmark serves localstripe's own aiohttp app through `web.run_app(host=...)`
instead. Two more departures from its CLI, both so a benchmark run leaves no trace and
neither making localstripe do less work per request:

* its store pickles itself to the hard-coded `/tmp/localstripe.pickle` after every write
  (and would load it at start); we keep the pickling, on every write as before, but write
  to `--state-file`, so a real localstripe user's state is neither read nor clobbered;
* its CLI logs every request to stderr; we turn the access log off, which if anything
  flatters localstripe's figures.
"""

from __future__ import annotations

import argparse
import pickle
from typing import Any

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-file", required=True)
    args = parser.parse_args()
    state_file: str = args.state_file

    def dump_to_disk(self: Any) -> None:
        # Same work as localstripe's Store.dump_to_disk, at a private path.
        with open(state_file, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.dump_to_disk = dump_to_disk
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
