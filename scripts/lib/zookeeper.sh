# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/local-cluster.sh, which define
# four_letter (a ZooKeeper four-letter word on localhost:$ZK_PORT).

# check_zk_data_dir WANT SELF OTHER HOW [ALTERNATIVE] refuses a running
# ZooKeeper whose dataDir (from its "conf" four-letter word) is not WANT,
# the data dir of SELF: it holds the metadata of OTHER, which HOW stops;
# ALTERNATIVE, if given, is one more way out. A ZooKeeper that does not
# answer "conf" is used as it is.
check_zk_data_dir() {
  local dir
  dir="$(four_letter conf | sed -n 's/^dataDir=//p' | head -n 1)"
  dir="${dir%/version-2}"
  [ -n "$dir" ] || return 0
  if [ "$(readlink -m "$dir")" != "$(readlink -m "$1")" ]; then
    echo "The ZooKeeper running on localhost:$ZK_PORT keeps its data in $dir, the metadata of $3;" >&2
    if [ -n "${5:-}" ]; then
      echo "$2 keeps its own in $1. Stop that ZooKeeper first ($4)," >&2
      echo "$5" >&2
    else
      echo "$2 keeps its own in $1. Stop that ZooKeeper first ($4)." >&2
    fi
    exit 1
  fi
}
