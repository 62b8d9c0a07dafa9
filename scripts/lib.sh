# Shared helpers for the scripts in scripts/. Source it, don't run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Defines REPO (the repository root, absolute), and the functions log, info, warn, die, have.

if [ -n "${HWF_LIB_SH_LOADED:-}" ]; then
  return 0
fi
HWF_LIB_SH_LOADED=1

# The repository root: the parent of the folder this file is in, whatever the caller's cwd.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
export REPO

# Name used in messages: the script that sourced this file.
HWF_SCRIPT_NAME=$(basename "${BASH_SOURCE[1]:-${0}}" .sh)

# log MESSAGE...: a section header on stderr ("== [script] message").
log() {
  printf '== [%s] %s\n' "$HWF_SCRIPT_NAME" "$*" >&2
}

# info MESSAGE...: an indented detail line under the current section, on stderr.
info() {
  printf '   %s\n' "$*" >&2
}

# warn MESSAGE...: a warning on stderr; the script goes on.
warn() {
  printf '!! [%s] warning: %s\n' "$HWF_SCRIPT_NAME" "$*" >&2
}

# die MESSAGE...: an error on stderr, then exit 1.
die() {
  printf '!! [%s] error: %s\n' "$HWF_SCRIPT_NAME" "$*" >&2
  exit 1
}

# have COMMAND: true if COMMAND is on PATH (or a function/builtin).
have() {
  command -v "$1" >/dev/null 2>&1
}
