#!/usr/bin/env bash
# The test command (README): installs what the tests need from Debian, builds, runs every test project and prints
# one closing line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
# The kernel test drives our Jupyter kernel with Debian's jupyter-nbconvert and jupyter-client (CI starts bare, as root).
if ! command -v jupyter-nbconvert >/dev/null; then
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends jupyter-nbconvert python3-jupyter-client jupyter-client >/dev/null
fi
results=$(mktemp -d)
dotnet test ArcFace.Notebooks.sln -c Release --logger "trx" --results-directory "$results" "$@" | tee "$results/log.txt"
status=${PIPESTATUS[0]}
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    p += int(c.get("passed")); f += int(c.get("failed")) + int(c.get("error")); s += int(c.get("notExecuted"))
print(f"tests: {p} passed, {f} failed, {s} skipped")
PY
exit "$status"
