#!/usr/bin/env bash
# Stops the winbindd (and the samba-dcerpcd it may have spawned) started by setup.sh for
# <QSR_SAMBA_DIR or /var/lib/qsr-samba>. Only processes whose command line names that directory's
# smb.conf are touched. `--purge` also deletes the directory (the Linux user is kept).
set -euo pipefail

dir=${QSR_SAMBA_DIR:-/var/lib/qsr-samba}
conf="$dir/smb.conf"
piddir="$dir/pid"

say() { echo "[qsr-samba] $*"; }
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
ours() { alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$conf"; }

stopped=0
for name in winbindd samba-dcerpcd; do
  pid=$(cat "$piddir/$name.pid" 2>/dev/null || true)
  [ -n "$pid" ] || continue
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped $name (pid $pid)"
    stopped=1
  fi
  rm -f "$piddir/$name.pid"
done
[ "$stopped" = 1 ] || say "nothing running for $conf"
rm -f "$dir/winbindd.stamp"

if [ "${1:-}" = "--purge" ]; then
  case $dir in /|/var|/var/lib|/tmp|"") say "refusing to purge $dir"; exit 1 ;; esac
  rm -rf -- "$dir"
  say "removed $dir"
fi
