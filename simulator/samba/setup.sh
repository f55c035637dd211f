#!/usr/bin/env bash
# Sets up a standalone Samba (winbindd + a local account) that the QRS simulator can use as an
# independent NTLM verifier (simulator/src/ntlm/samba.ts drives `ntlm_auth` against it).
# Run as root. Idempotent: re-running reuses what is there and restarts winbindd only when the
# config, user or password changed. See simulator/samba/README.md.
#
# Env overrides (defaults in brackets):
#   QSR_SAMBA_DIR        [/var/lib/qsr-samba]  everything Samba writes, except the winbindd socket
#   QSR_SAMBA_NETBIOS    [QLIKSIM]             netbios name = the account domain users log on to
#   QSR_SAMBA_WORKGROUP  [WORKGROUP]           workgroup (NOT the account domain of local users)
#   QSR_SAMBA_USER       [svc_reload]          local Linux + Samba account
#   QSR_SAMBA_PASSWORD   [Reload-Pass-1]       its Samba password (ASCII keeps curl usable)
#
# Writes <dir>/env (KEY=value lines) that tests read.
set -euo pipefail

dir=${QSR_SAMBA_DIR:-/var/lib/qsr-samba}
netbios=${QSR_SAMBA_NETBIOS:-QLIKSIM}
workgroup=${QSR_SAMBA_WORKGROUP:-WORKGROUP}
user=${QSR_SAMBA_USER:-svc_reload}
password=${QSR_SAMBA_PASSWORD:-Reload-Pass-1}
netbios=${netbios^^}
workgroup=${workgroup^^}

conf="$dir/smb.conf"
logdir="$dir/log"
piddir="$dir/pid"
# winbindd names its domain child's log after the domain; the auth lines ("with [NTLMv2]") land there.
authlog="$logdir/log.wb-$netbios"
# libwbclient (used by wbinfo and ntlm_auth) has the socket directory compiled in; it only honours
# another directory under Samba's selftest nss_wrapper. So the socket stays at Samba's default.
socketdir=/run/samba/winbindd

say() { echo "[qsr-samba] $*"; }
die() { echo "[qsr-samba] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (winbindd, smbpasswd and the ntlm_auth Type3 step need it)"
case $dir in /*) ;; *) die "QSR_SAMBA_DIR must be an absolute path: $dir" ;; esac
[[ $netbios =~ ^[A-Z0-9_-]{1,15}$ ]] || die "QSR_SAMBA_NETBIOS must be 1-15 of A-Z 0-9 _ -: $netbios"
[[ $user =~ ^[a-z_][a-z0-9_.-]*$ ]] || die "QSR_SAMBA_USER is not a valid Linux user name: $user"
[[ $password != *$'\n'* && -n $password ]] || die "QSR_SAMBA_PASSWORD must be non-empty, one line"

start=$(date +%s.%N)

# ---- packages ---------------------------------------------------------------------------------
need=()
command -v winbindd >/dev/null || need+=(winbind)
command -v ntlm_auth >/dev/null || need+=(winbind)
command -v smbpasswd >/dev/null || need+=(samba-common-bin samba)
command -v wbinfo >/dev/null || need+=(winbind)
if [ ${#need[@]} -gt 0 ]; then
  say "installing samba winbind samba-common-bin"
  # Keep the Debian packages from starting their own smbd/nmbd/winbindd: a system winbindd would
  # take /run/samba/winbindd. policy-rc.d is the standard way; only ours if none exists.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends samba winbind samba-common-bin >"$dir.apt.log" 2>&1; }
  mkdir -p "$(dirname "$dir")"
  if ! install; then
    say "apt-get install failed; running apt-get update and retrying"
    apt-get update -qq >/dev/null
    install || { cat "$dir.apt.log" >&2; [ -n "$own_policy" ] && rm -f "$policy"; die "apt-get install failed"; }
  fi
  [ -n "$own_policy" ] && rm -f "$policy"
  rm -f "$dir.apt.log"
fi

# ---- config -----------------------------------------------------------------------------------
mkdir -p "$dir" "$logdir" "$piddir" "$dir/lock" "$dir/state" "$dir/cache" "$dir/private" "$dir/ncalrpc"
chmod 755 "$dir"
chmod 700 "$dir/private"

newconf=$(cat <<EOF
# Written by simulator/samba/setup.sh: a standalone Samba used only as an NTLM verifier.
[global]
  netbios name = $netbios
  workgroup = $workgroup
  server role = standalone server
  security = user
  passdb backend = tdbsam
  # Refuse LM and NTLMv1 (and NTLM2 session responses): only NTLMv2 passes.
  ntlm auth = ntlmv2-only
  lanman auth = no
  # auth_audit:3 writes one "Auth: ... with [NTLMv2] status [...]" line per check.
  log level = 3 auth:5 auth_audit:3
  log file = $logdir/winbindd.log
  max log size = 0
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  private dir = $dir/private
  pid directory = $piddir
  ncalrpc dir = $dir/ncalrpc
  # The winbindd socket stays at the default $socketdir (clients cannot be pointed elsewhere).
  interfaces = lo
  bind interfaces only = yes
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  idmap config * : backend = tdb
  idmap config * : range = 3000000-3999999
EOF
)
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$newconf" ]; then
  printf '%s\n' "$newconf" >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  say "wrote $conf"
fi
testparm -s "$conf" >/dev/null 2>"$logdir/testparm.err" || { cat "$logdir/testparm.err" >&2; die "testparm rejected $conf"; }

# ---- account ----------------------------------------------------------------------------------
if ! id "$user" >/dev/null 2>&1; then
  useradd -M -s /usr/sbin/nologin -c "QRS simulator NTLM test account" "$user"
  say "created Linux user $user"
fi
# smbpasswd writes the tdbsam passdb directly (no smbd needed). -a also updates an existing entry.
printf '%s\n%s\n' "$password" "$password" | smbpasswd -c "$conf" -a -s "$user" >"$logdir/smbpasswd.out" 2>&1 \
  || { cat "$logdir/smbpasswd.out" >&2; die "smbpasswd failed"; }
smbpasswd -c "$conf" -e "$user" >>"$logdir/smbpasswd.out" 2>&1 || true

# ---- winbindd ---------------------------------------------------------------------------------
# A process counts as alive only if it is not a zombie (a container's PID 1 may never reap it).
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
ours() { alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$conf"; }
ping_wb() { timeout 5 wbinfo -p >/dev/null 2>&1; }

stamp=$( { cat "$conf"; echo "$user"; echo "$password"; } | sha256sum | cut -d' ' -f1)
pid=$(cat "$piddir/winbindd.pid" 2>/dev/null || true)
if [ -n "$pid" ] && ours "$pid"; then
  if [ "$(cat "$dir/winbindd.stamp" 2>/dev/null)" = "$stamp" ] && ping_wb; then
    say "winbindd already running (pid $pid)"
  else
    say "config or account changed: restarting winbindd (pid $pid)"
    QSR_SAMBA_DIR=$dir bash "$(dirname "$0")/stop.sh" >/dev/null
    pid=
  fi
else
  pid=
fi
if [ -z "$pid" ]; then
  if ping_wb; then
    other=$(pgrep -a -x winbindd | head -3 || true)
    die "another winbindd already answers on $socketdir (not started with $conf):
$other
Stop it first: a system one with 'systemctl disable --now winbind' (Debian starts one when the package
is installed and no policy-rc.d forbids it); one from this script for another directory with
'QSR_SAMBA_DIR=<that dir> bash simulator/samba/stop.sh'."
  fi
  mkdir -p "$socketdir"
  rm -f "$piddir/winbindd.pid"
  setsid winbindd -F --no-process-group -s "$conf" </dev/null >>"$logdir/winbindd.stdout" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    ping_wb && break
    alive "$pid" || { tail -20 "$logdir/winbindd.stdout" "$logdir/winbindd.log" >&2 || true; die "winbindd exited"; }
    sleep 0.1
  done
  ping_wb || die "winbindd (pid $pid) does not answer 'wbinfo -p' after 30 s; see $logdir/winbindd.log"
  echo "$stamp" >"$dir/winbindd.stamp"
  say "winbindd started (pid $pid)"
fi

# End-to-end self check through winbindd (ntlm_auth computes an NTLM response from the password).
if ! out=$(ntlm_auth --configfile="$conf" --username="$user" --domain="$netbios" --password="$password" 2>&1); then
  echo "$out" >&2
  die "ntlm_auth could not authenticate $netbios\\$user through winbindd"
fi

umask 077
cat >"$dir/env" <<EOF
QSR_SAMBA_DIR=$dir
QSR_SAMBA_CONF=$conf
QSR_SAMBA_DOMAIN=$netbios
QSR_SAMBA_USER=$user
QSR_SAMBA_PASSWORD=$password
QSR_SAMBA_LOG=$authlog
QSR_SAMBA_SOCKET_DIR=$socketdir
EOF

end=$(date +%s.%N)
say "ready in $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s"
say "account: $netbios\\$user (domain = netbios name); workgroup $workgroup"
say "env file: $dir/env"
sed 's/^/  /' "$dir/env"
