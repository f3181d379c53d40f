# Sourced by scripts/run and scripts/test: enter the project's virtual environment,
# creating it and installing the project (with the given extras) when needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi
python -m pip install --quiet --disable-pip-version-check -e ".${1:-}"
# The shared price data is read in place (never copied in): $RINGFENCE_SHARED_DATA when set, else
# ../shared/data beside the project, else this machine's /work/shared/data (a checkout elsewhere,
# e.g. a clean CI clone under /tmp, has no ../shared beside it).
if [ -z "${RINGFENCE_SHARED_DATA:-}" ]; then
    for candidate in "$PWD/../shared/data" /work/shared/data; do
        if [ -d "$candidate" ]; then
            RINGFENCE_SHARED_DATA="$(cd "$candidate" && pwd)"
            export RINGFENCE_SHARED_DATA
            break
        fi
    done
fi
