#!/usr/bin/env bash
# Vendor plotly.js's cartesian partial bundle (npm plotly.js-cartesian-dist-min) at the
# version of plotly.js that the installed Python plotly carries, so the page draws what
# plotly.py validated. Writes reports/templates/plotly-cartesian.min.js unchanged (its
# MIT licence header included) and prints what to record in
# reports/templates/plotly-cartesian.md. Needs npm; run from the repository top.
set -euo pipefail

PYTHON=${PYTHON:-.venv/bin/python}
DEST=reports/templates/plotly-cartesian.min.js
PACKAGE=plotly.js-cartesian-dist-min

version=$("$PYTHON" -c "from plotly.offline import get_plotlyjs_version as v; print(v())")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE@$version" >/dev/null)
tar -xzf "$work/$PACKAGE-$version.tgz" -C "$work"
cp "$work/package/plotly-cartesian.min.js" "$DEST"
echo "$PACKAGE@$version -> $DEST"
echo "npm integrity: $(npm view "$PACKAGE@$version" dist.integrity)"
echo "sha256: $(sha256sum "$DEST" | cut -d' ' -f1)"
echo "bytes: $(wc -c <"$DEST")"
