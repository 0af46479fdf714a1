# Shared by scripts/demo and scripts/test: a virtualenv and the built web assets.
# Sourced, not run.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

need_node() {
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: Node.js and npm are needed to build the web assets (Debian: apt-get install nodejs npm)" >&2
        exit 2
    fi
}

setup_python() {  # $1: extras, e.g. "[test]" or ""
    local python="${PYTHON:-python3}"
    if [ ! -x .venv/bin/python ]; then
        "$python" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$1"
}

setup_assets() {
    need_node
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    fi
    npm run --silent build
}

# Printing certificates and reports (WeasyPrint): Pango, and an Arabic font.
PRINT_PACKAGES=(fonts-hosny-amiri libpango-1.0-0 libpangoft2-1.0-0)

apt_install() {  # install Debian packages that are missing
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
