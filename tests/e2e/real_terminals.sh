#!/usr/bin/env bash
# Start imkit in the real terminals this machine has (kitty, tmux inside kitty, xterm
# with sixel), each under its own virtual display (Xvfb), open "# Design", the picture
# in the viewer and back, and keep a screenshot of each step.
#
#   tests/e2e/real_terminals.sh [SCREENSHOT-DIR]     (default: ./screenshots/real-terminals)
#
# Needs Xvfb, ImageMagick (import) and xdotool; each terminal that is missing is skipped
# with the reason. On Debian: apt-get install xvfb imagemagick xdotool kitty xterm tmux
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/screenshots/real-terminals}"
mkdir -p "$out"
python="${PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python=python3
export IMKIT_SCREENSHOTS="$out"
cd "$root"
"$python" -m pytest tests/e2e/test_real_terminals.py -v -rs -p no:cacheprovider
echo "screenshots in $out:"
ls -1 "$out"
