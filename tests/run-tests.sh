#!/usr/bin/env bash
# The test command (README): installs what the tests need from Debian, builds, runs every test project, then the main
# job (every notebook, smoke profile) through the runner, and prints one closing line "N passed, N failed, N skipped".
# Extra arguments go to `dotnet test` (e.g. --filter ...); NOTEBOOKS=0 skips the notebook run.
set -uo pipefail
# OpenMP threads sleep while they wait instead of spinning. TorchRuntime.Initialize sets it too, but libgomp reads it
# when it loads, so this also covers a process that touches libtorch first.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
cd "$(dirname "$0")/.."
# The kernel test drives our Jupyter kernel with Debian's jupyter-nbconvert and jupyter-client (CI starts bare, as root).
if ! command -v jupyter-nbconvert >/dev/null; then
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends jupyter-nbconvert python3-jupyter-client jupyter-client >/dev/null
fi
results=$(mktemp -d)
dotnet test ArcFace.Notebooks.sln -c Release --logger "trx" --results-directory "$results" "$@" 2>&1 | tee "$results/log.txt"
status=${PIPESTATUS[0]}
if [ "${NOTEBOOKS:-1}" != 0 ]; then
  dotnet lib/ArcFace.Notebooks/bin/Release/net10.0/ArcFace.Notebooks.dll run --profile smoke --output "$results/main-job" 2>&1 | tee "$results/notebooks.txt"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
fi
python3 - "$results" <<'PY'
import sys, glob, re, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    p += int(c.get("passed")); f += int(c.get("failed")) + int(c.get("error")); s += int(c.get("notExecuted"))
for path in glob.glob(sys.argv[1] + "/notebooks.txt"):
    m = re.findall(r"^notebooks: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?", open(path).read(), re.M)
    if m:
        p += int(m[-1][0]); f += int(m[-1][1]); s += int(m[-1][2] or 0)
    else:
        f += 1
print(f"total: {p} passed, {f} failed, {s} skipped")
PY
exit "$status"
