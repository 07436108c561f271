#!/usr/bin/env bash
# A real MariaDB 10.11 server against lockstage, side by side (README: "A real server").
#   bash tests/real-server/run.sh [LOCKSTAGE] [OUT_DIR]
# Installs Debian's mariadb-server, sysbench and python3-pymysql if missing, then runs
# realserver.py: a private server (own datadir and socket, no TCP) started and stopped by the
# script, three load phases (baseline, FTWRL, BACKUP STAGE), lockstage on the same set-up (and
# on the scenario `lockstage calibrate` writes from the baseline's exports), and the table of real
# vs simulated. About three minutes once the packages are installed. Exit 0 when
# every checked metric is within tolerance, 1 when one is not, 2 when nothing could be measured.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lockstage=${1:-$root/build/lockstage}
out=${2:-$root/results/real-server}

packages=(
  mariadb-server     # the real server (10.11 on Debian 12)
  sysbench           # the fixed-rate load, with writes.lua
  mariadb-backup     # a real backup's log, for the exports lockstage calibrate reads
  python3-pymysql    # realserver.py's own sessions: the backup and the processlist sampler
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "real-server: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x "$lockstage" ]; then
  echo "real-server: $lockstage is not a program; build first (bash setup.sh)" >&2
  exit 2
fi
exec /usr/bin/python3 "$here/realserver.py" --lockstage "$lockstage" --out "$out"
