#!/usr/bin/env bash
# Sets up the assistant as a system service on Raspberry Pi OS (Bookworm, 64-bit).
#
#   sudo scripts/setup-pi.sh            # install or update; safe to run again
#   sudo scripts/setup-pi.sh --dry-run  # show what would change, touch nothing
#
# Steps, each checked before it acts and reported as "ok" (nothing to do) or
# "changed": system packages, the service account, the program in
# /opt/assistant/venv, the configuration /etc/assistant/assistant.yaml (copied from
# config/assistant.yaml only when absent: your edits are never overwritten), the
# private data directory /var/lib/assistant, the English speech model, and the
# systemd unit (installed, enabled, running).
#
# --root DIR puts every file under DIR instead of / (with --skip-packages,
# --skip-user and --skip-systemd, which only make sense on the real system); the
# tests use it to check that a second run changes nothing.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: setup-pi.sh [options]
  --dry-run         print the steps that would change something; change nothing
  --root DIR        install files under DIR instead of /
  --source DIR      the project to install (default: this script's project)
  --python PATH     interpreter for the virtual environment (default: /usr/bin/python3)
  --model NAME      speech model to install (default: en-us-small)
  --no-deps         download nothing: install only the assistant itself, into an
                    environment that sees the system's Python packages, which must
                    provide the dependencies (and python3-wheel to build it)
  --skip-packages   do not install system packages (apt)
  --skip-user       do not create the service account
  --skip-models     do not install the speech model
  --skip-systemd    do not enable or start the service (the unit file is still copied)
  -h, --help        this text
EOF
}

SERVICE_USER=assistant
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=/
PYTHON=/usr/bin/python3
MODEL=en-us-small
DRY_RUN=0 NO_DEPS=0
SKIP_PACKAGES=0 SKIP_USER=0 SKIP_MODELS=0 SKIP_SYSTEMD=0
PACKAGES=(
  python3-venv          # the virtual environment in /opt/assistant/venv
  espeak-ng             # the voice (pyttsx3 drives it)
  libportaudio2         # microphone and speaker access (sounddevice)
  alsa-utils            # arecord/aplay, to try the microphone by hand
  libasound2-plugins    # ALSA's pulse plugin, for PipeWire/PulseAudio setups
)

while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --root) ROOT=${2:?--root needs a directory}; shift ;;
    --source) SOURCE=${2:?--source needs a directory}; shift ;;
    --python) PYTHON=${2:?--python needs a path}; shift ;;
    --model) MODEL=${2:?--model needs a name}; shift ;;
    --no-deps) NO_DEPS=1 ;;
    --skip-packages) SKIP_PACKAGES=1 ;;
    --skip-user) SKIP_USER=1 ;;
    --skip-models) SKIP_MODELS=1 ;;
    --skip-systemd) SKIP_SYSTEMD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup-pi.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

ROOT=${ROOT%/}
if [[ -n $ROOT ]]; then
  ROOT=$(cd "$ROOT" 2>/dev/null && pwd) || { echo "setup-pi.sh: --root: no such directory" >&2; exit 2; }
  if (( ! SKIP_PACKAGES || ! SKIP_USER || ! SKIP_SYSTEMD )); then
    echo "setup-pi.sh: --root needs --skip-packages --skip-user --skip-systemd" \
      "(packages, accounts and services exist only on the real system)" >&2
    exit 2
  fi
fi

# Paths as the running service sees them, and where this run writes them.
VENV=/opt/assistant/venv
CONFIG=/etc/assistant/assistant.yaml
STATE=/var/lib/assistant
UNIT=/etc/systemd/system/assistant.service
R_VENV=$ROOT$VENV R_CONFIG=$ROOT$CONFIG R_STATE=$ROOT$STATE R_UNIT=$ROOT$UNIT

if (( ! DRY_RUN )) && [[ -z $ROOT ]] && (( EUID != 0 )); then
  echo "setup-pi.sh: run it as root (sudo), or with --dry-run to see what it would do" >&2
  exit 1
fi

CHANGES=0
report() {  # report ok|changed|skipped STEP [DETAIL]
  local state=$1 step=$2 detail=${3:-}
  if [[ $state == changed ]]; then
    CHANGES=$((CHANGES + 1))
    (( DRY_RUN )) && state="would change"
  fi
  printf '%-13s %s%s\n' "$state" "$step" "${detail:+: $detail}"
}

run() {  # run COMMAND...: executes it, unless this is a dry run
  (( DRY_RUN )) || "$@"
}

have_user() { getent passwd "$SERVICE_USER" >/dev/null; }

# Ownership can only be given by root; an unprivileged run under --root keeps its own.
owned_by() {  # owned_by USER GROUP: install(1) options
  (( EUID == 0 )) && printf '%s\n' -o "$1" -g "$2"
  return 0
}

# Files we create get an explicit mode; anything else (the venv) is world-readable
# program code, owned by root.
umask 022

step_packages() {
  if (( SKIP_PACKAGES )); then report skipped packages; return; fi
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if (( ${#missing[@]} == 0 )); then report ok packages; return; fi
  run apt-get update -q
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  report changed packages "installed ${missing[*]}"
}

step_user() {
  if (( SKIP_USER )); then report skipped "service account"; return; fi
  if have_user; then report ok "service account" "$SERVICE_USER"; return; fi
  # A system account without a login shell; its home is the service's data directory.
  run useradd --system --user-group --home-dir "$STATE" --no-create-home \
    --shell /usr/sbin/nologin --comment "Offline voice assistant" "$SERVICE_USER"
  report changed "service account" "created $SERVICE_USER"
}

# The installed program is identified by a digest of exactly what pip installs.
stage_source() {  # stage_source DIR: copy the installable part of the project into DIR
  (cd "$SOURCE" && tar -c --exclude=__pycache__ --exclude='*.pyc' --exclude='*.egg-info' \
    pyproject.toml assistant skills $(ls README.md LICENSE 2>/dev/null)) | tar -x -C "$1"
}

source_digest() {
  local dir=$1
  (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -d' ' -f1
}

STAGED=$(mktemp -d)
trap 'rm -rf "$STAGED"' EXIT

step_venv() {
  local stamp=$R_VENV/.assistant-source.sha256 digest
  # pip builds inside the directory it is given: build from a copy, never the checkout.
  stage_source "$STAGED"
  digest=$(source_digest "$STAGED")
  if [[ -x $R_VENV/bin/assistant && -f $stamp && $(cat "$stamp") == "$digest" ]]; then
    report ok program "$VENV"
    return
  fi
  if [[ ! -x $R_VENV/bin/python ]]; then
    local venv_options=()
    (( NO_DEPS )) && venv_options+=(--system-site-packages)
    run mkdir -p "$(dirname "$R_VENV")"
    run "$PYTHON" -m venv "${venv_options[@]}" "$R_VENV"
  fi
  local pip=("$R_VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
  if (( NO_DEPS )); then
    pip+=(--no-deps --no-build-isolation --no-index)
  else
    pip+=(--upgrade)
  fi
  # pip reinstalls a project given as a directory, so an update replaces the old code.
  run "${pip[@]}" "$STAGED"
  (( DRY_RUN )) || printf '%s\n' "$digest" >"$stamp"
  report changed program "installed into $VENV"
}

step_config() {
  local dir group=root
  dir=$(dirname "$R_CONFIG")
  getent group "$SERVICE_USER" >/dev/null && group=$SERVICE_USER
  if [[ -e $R_CONFIG ]]; then
    report ok configuration "$CONFIG (kept as it is)"
    return
  fi
  if [[ ! -f $SOURCE/config/assistant.yaml ]]; then
    echo "setup-pi.sh: $SOURCE/config/assistant.yaml is missing" >&2
    exit 1
  fi
  # Readable by the service's group only: skill settings may hold the owner's secrets.
  local owner
  mapfile -t owner < <(owned_by root "$group")
  run install -d -m 0750 "${owner[@]}" "$dir"
  run install -m 0640 "${owner[@]}" "$SOURCE/config/assistant.yaml" "$R_CONFIG"
  report changed configuration "created $CONFIG"
}

step_state() {
  local owner=$(id -un) options
  (( EUID == 0 )) && owner=root
  have_user && (( EUID == 0 )) && owner=$SERVICE_USER
  if [[ -d $R_STATE && $(stat -c '%a %U' "$R_STATE") == "700 $owner" ]]; then
    report ok "data directory" "$STATE"
    return
  fi
  mapfile -t options < <(owned_by "$owner" "$owner")
  run install -d -m 0700 "${options[@]}" "$R_STATE"
  report changed "data directory" "$STATE (0700, $owner)"
}

step_model() {
  if (( SKIP_MODELS )); then report skipped "speech model"; return; fi
  if [[ -d $R_STATE/models/$MODEL ]]; then report ok "speech model" "$MODEL"; return; fi
  local as_user=()
  have_user && as_user=(runuser -u "$SERVICE_USER" --)
  # Downloaded and unpacked by the service account, straight into its data directory.
  # From / : the service account may not be allowed into the caller's directory.
  (cd / && run "${as_user[@]}" env STATE_DIRECTORY="$R_STATE" \
    "$R_VENV/bin/assistant" --config "$R_CONFIG" models install "$MODEL" --quiet)
  report changed "speech model" "installed $MODEL"
}

step_unit() {
  if [[ -f $R_UNIT ]] && cmp -s "$SOURCE/systemd/assistant.service" "$R_UNIT"; then
    report ok "service unit" "$UNIT"
    return
  fi
  run install -D -m 0644 "$SOURCE/systemd/assistant.service" "$R_UNIT"
  if (( ! SKIP_SYSTEMD )); then run systemctl daemon-reload; fi
  report changed "service unit" "installed $UNIT"
}

step_service() {
  if (( SKIP_SYSTEMD )); then report skipped "service enabled and running"; return; fi
  if ! systemctl is-enabled --quiet assistant.service 2>/dev/null; then
    run systemctl enable assistant.service
    report changed "service enabled"
  else
    report ok "service enabled"
  fi
  if ! systemctl is-active --quiet assistant.service; then
    run systemctl start assistant.service
    report changed "service running" "started"
  elif (( CHANGES > 0 )); then
    # New code, unit or configuration from this run: load it.
    run systemctl restart assistant.service
    report changed "service running" "restarted"
  else
    report ok "service running"
  fi
}

step_packages
step_user
step_venv
step_config
step_state
step_model
step_unit
step_service

if (( DRY_RUN )); then
  echo "dry run: $CHANGES step(s) would change something"
else
  echo "done: $CHANGES step(s) changed something"
fi
