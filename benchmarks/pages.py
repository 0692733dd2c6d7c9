"""The book's pages on a phone: Lighthouse (npm, mobile preset) on every page, served with gzip.

The book is built from a private copy of the repository and served on loopback with
compression, as a host would; Lighthouse runs three times per page in Debian's Chromium and the
medians are kept. Scores vary from run to run: they live here, never in the tests.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from benchmarks.build import ROOT, build, private_copy
from benchmarks.rows import Row

PART, PHONE = "pages", "Lighthouse mobile, Chromium"
LIGHTHOUSE = [
    str(ROOT / "node_modules" / ".bin" / "lighthouse"),
    "--output=json",
    "--output-path=stdout",
    "--quiet",
]
FLAGS = "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"


class Gzipped(http.server.SimpleHTTPRequestHandler):
    """Each file gzipped for a client that accepts it, as a web host sends it."""

    def do_GET(self) -> None:  # http.server's name for it
        path = Path(self.translate_path(self.path))
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        for header, value in (
            ("Content-Type", self.guess_type(str(path))),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
        ):
            self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def audit(url: str) -> dict[str, float]:
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or "chromium"}
    report = json.loads(
        subprocess.run([*LIGHTHOUSE, url, FLAGS], capture_output=True, text=True, check=True, env=env).stdout
    )
    audits = report["audits"]
    return {
        "score": 100 * report["categories"]["performance"]["score"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "kB": audits["total-byte-weight"]["numericValue"] / 1000,
        "requests": len(audits["network-requests"]["details"]["items"]),
    }


def rows(quick: bool = False) -> list[Row]:
    def row(what: str, value: float, op: str, bound: float, unit: str = "", note: str = "") -> Row:
        return Row(PART, what, value, unit=unit, op=op, bound=bound, on="value", device=PHONE, note=note)

    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="linreg-pages-") as tmp:
        copy = private_copy(Path(tmp))
        build(copy)
        html = copy / "docs" / "_build" / "html"
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Gzipped, directory=str(html))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        pages = sorted(
            p.name for p in html.glob("*.html") if p.stem not in ("genindex", "search", "py-modindex")
        )
        medians = []
        for page in pages:
            runs = [
                audit(f"http://127.0.0.1:{server.server_address[1]}/{page}") for _ in range(1 if quick else 3)
            ]
            m = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
            medians.append(m)
            note = (
                f"CLS {m['cls']:.3f}, LCP {m['lcp']:.1f} s, {m['kB']:.0f} kB in {m['requests']:.0f} requests"
            )
            out.append(row(f"{page}: performance score", m["score"], ">=", 90, note=note))
        server.shutdown()
    out.append(row("largest layout shift (CLS) of any page", max(m["cls"] for m in medians), "<=", 0.01))
    out.append(row("heaviest page, first visit, gzipped", max(m["kB"] for m in medians), "<=", 600, "kB"))
    return out
