"""The page assets: the vendored plotly.js, how a page carries it, and the policy's hashes."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from importlib.resources import files

from plotly.offline import get_plotlyjs_version

from crane_bench.reports.render import PLOTLY_FILE, TEMPLATES, assets, plotly_bundle


def _vendored() -> bytes:
    return files("crane_bench.reports").joinpath(TEMPLATES, PLOTLY_FILE).read_bytes()


def test_vendored_bundle_is_the_plotly_js_of_the_installed_plotly() -> None:
    # plotly.py writes figures for its own plotly.js; a different one may draw them wrong.
    banner = plotly_bundle().banner
    found = re.search(r"plotly\.js \(cartesian - minified\) v(\S+)", banner)
    assert found is not None, banner
    assert found.group(1) == get_plotlyjs_version(), "run scripts/vendor-plotly.sh"
    assert "Licensed under the MIT license" in banner


def test_packed_bundle_unpacks_to_the_source_the_policy_admits() -> None:
    bundle = plotly_bundle()
    source = gzip.decompress(base64.b64decode(str(bundle.packed), validate=True))
    assert source == _vendored()
    digest = base64.b64encode(hashlib.sha256(source).digest()).decode()
    assert bundle.digest == f"'sha256-{digest}'"
    assert bundle.digest in assets(charts=True).csp
    # Packed, it is well under half of the source (the report's size goal rests on it).
    assert len(str(bundle.packed)) < 0.45 * len(source)


def test_pages_without_charts_carry_no_plotly() -> None:
    page = assets(charts=False)
    assert page.plotly is None
    assert page.csp.count("'sha256-") == 1
