#!/usr/bin/env bash
# lockstage set-up, for a fresh Debian 12 machine as root (or a user with sudo). Idempotent:
# installs only the Debian packages that are missing, configures and builds (Release), then
#   bash setup.sh          runs the main job: `lockstage compare scenarios/default.json`, the same
#                          data and traffic backed up with FTWRL and with mariadb-backup's BACKUP
#                          STAGE, side by side; results in results/default-compare/
#   bash setup.sh test     runs every test (ctest), 20 s of each libFuzzer target, then every test
#                          again under ASan + UBSan; with LOCKSTAGE_REAL_SERVER=1 (as .ci/run
#                          sets) also a real MariaDB server against lockstage, after ctest
#                          (tests/real-server/run.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

mode=${1:-main}
case "$mode" in
  main|test) ;;
  *) echo "usage: bash setup.sh [main|test]" >&2; exit 2 ;;
esac

# What each package is for is written in README.md ("Dependencies").
packages=(
  g++ cmake make                       # the C++20 compiler and the build
  libboost-dev                         # Boost.Random and Boost.Math (header-only)
  libboost-graph-dev                   # Boost.Graph (wait-for graphs)
  libboost-program-options-dev         # the command line
  nlohmann-json3-dev                   # scenario files and result files
  libeigen3-dev                        # linear algebra for the statistics
  doctest-dev                          # unit tests
  libfmt-dev                           # tables and messages
  python3 python3-jsonschema           # the test that checks the shipped JSON Schema
  python3-scipy                        # tests/cli/check_plan.py: an independent Student t for the plan's intervals
  python3-matplotlib python3-pandas    # notebooks/: figures from result folders (test notebooks.execute)
  python3-nbconvert python3-ipykernel  # notebooks/: run headless on /usr/bin/python3's kernel
  clang libclang-rt-14-dev             # tests/fuzz/: the libFuzzer targets (setup.sh test runs them)
  chromium                             # tests/cli/check_html.py: report.html in a headless browser
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${LOCKSTAGE_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOCKSTAGE_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

if [ "$mode" = main ]; then
  "$build/lockstage" compare scenarios/default.json
else
  ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
  # A real MariaDB 10.11 under sysbench load, FTWRL and BACKUP STAGE, against lockstage's
  # prediction (installs mariadb-server and sysbench; about three minutes). Results in
  # results/real-server/.
  if [ "${LOCKSTAGE_REAL_SERVER:-0}" = 1 ]; then
    bash tests/real-server/run.sh "$build/lockstage" results/real-server
  fi
  # A short run of the libFuzzer targets (clang, in $build-fuzz), all at once for 40 s of wall
  # time (the two targets there were ran 20 s each, one after the other);
  # LOCKSTAGE_FUZZ_SECONDS=0 skips it, a longer one finds more: bash tests/fuzz/run.sh 300.
  if [ "${LOCKSTAGE_FUZZ_SECONDS:-20}" != 0 ]; then
    LOCKSTAGE_FUZZ_BUILD_DIR="$build-fuzz" LOCKSTAGE_FUZZ_JOBS="$(nproc)" \
      bash tests/fuzz/run.sh "${LOCKSTAGE_FUZZ_SECONDS:-20}"
  fi
  # The same tests once more under AddressSanitizer + UndefinedBehaviorSanitizer. Left out: the
  # notebooks (they only read result files), the two statistical accuracy tests (M/M/c
  # against Erlang C over millions of simulated customers, the event estimate against every
  # scenario's run: 80-90 s each under ASan), the plan's figures against scipy (cli.plan, 150 s
  # under ASan), the sweep's figures (cli.sweep, 77 s), the tutorial's tables
  # (scenarios.tutorial_report, 26 s) and the CSV files read by pandas
  # (cli.csv_fields_and_pandas): every code path they take is run by the other tests too (the
  # plan's and sweep's by cli.walkthrough, unit.test_plan, unit.test_sweep and fuzz_sweep).
  # LOCKSTAGE_SANITIZERS=0 skips it.
  if [ "${LOCKSTAGE_SANITIZERS:-1}" = 1 ]; then
    # -O1 -g1: the sanitizers' usual build, with line tables for their reports; -O2 -g took 8
    # minutes to build here. extreme.model_keys runs every 8th of its cases (all take 4 minutes).
    cmake -S . -B "$build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DLOCKSTAGE_SANITIZE=ON >/dev/null
    cmake --build "$build-asan" -j "$(nproc)"
    LOCKSTAGE_MODEL_KEYS_STRIDE=8 ctest --test-dir "$build-asan" --output-on-failure -j "$(nproc)" \
      -E 'notebooks|unit.test_queueing_theory|cli.estimate_accuracy|cli.plan$|cli.sweep$|scenarios.tutorial_report|cli.csv_fields_and_pandas'
  fi
fi
