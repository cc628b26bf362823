#!/usr/bin/env bash
# Installs the nREPL server as a systemd service: publishes a ReadyToRun build into the prefix, creates
# the unprivileged user and the configuration directory, installs and enables the unit. Running it
# again updates the build and the unit and keeps the configuration. --uninstall removes it all but
# the configuration and logs.
#
#   deploy/install.sh [--prefix /opt/nrepl] [--config-dir /etc/nrepl] [--no-systemd] [--no-user]
#   deploy/install.sh --uninstall
#
# --no-systemd installs the files without touching systemd (machines without it; the unit's command
# line then runs by hand). --no-user skips creating the service user (tests).
set -euo pipefail

prefix=/opt/nrepl
config_dir=/etc/nrepl
systemd=yes
create_user=yes
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --config-dir) config_dir="$2"; shift 2 ;;
    --no-systemd) systemd=no; shift ;;
    --no-user) create_user=no; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
unit=/etc/systemd/system/nrepl.service
have_systemd() { [ "$systemd" = yes ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; }

if [ "$action" = uninstall ]; then
  if have_systemd; then
    systemctl disable --now nrepl.service 2>/dev/null || true
    rm -f "$unit"
    systemctl daemon-reload
  fi
  rm -rf "$prefix"
  if [ "$create_user" = yes ] && id nrepl >/dev/null 2>&1; then userdel nrepl; fi
  echo "nREPL server removed (kept: $config_dir, /var/log/nrepl)."
  exit 0
fi

echo "Publishing into $prefix ..."
mkdir -p "$prefix"
dotnet publish "$repo/src/NRepl.Server" -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$prefix" --nologo -v quiet
cp "$repo/README.md" "$prefix/README.md"

if [ "$create_user" = yes ] && ! id nrepl >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/nrepl --no-create-home --shell /usr/sbin/nologin nrepl
fi

mkdir -p "$config_dir"
# The configuration is the administrator's after the first install: never overwritten.
[ -f "$config_dir/appsettings.json" ] || cp "$repo/deploy/appsettings.json" "$config_dir/appsettings.json"
[ -f "$config_dir/environment" ] || printf '# NREPL_NRepl__Port=7888\n' > "$config_dir/environment"

# The unit with this install's paths.
rendered="$(sed -e "s#/opt/nrepl#$prefix#g" -e "s#/etc/nrepl#$config_dir#g" "$repo/deploy/nrepl.service")"
if have_systemd; then
  printf '%s\n' "$rendered" > "$unit"
  systemctl daemon-reload
  systemctl enable --now nrepl.service
  systemctl restart nrepl.service
  echo "Installed and started: systemctl status nrepl; journalctl -u nrepl"
else
  printf '%s\n' "$rendered" > "$prefix/nrepl.service"
  echo "Installed without systemd; the unit is at $prefix/nrepl.service. Its command line:"
  printf '%s\n' "$rendered" | sed -n 's/^ExecStart=//p'
fi
