#!/usr/bin/env bash
# One-node Slurm on Debian 12 (slurm-wlm 22.05), as root, without systemd. Idempotent: rerunning it
# restarts nothing that is already up. Usage: bash setup-slurm.sh
# Env: CPUS (2), MEM (20000 MB), TASK_PLUGIN (task/none; task/affinity binds tasks to their CPUs).

set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
HOST=$(hostname -s)
CPUS=${CPUS:-2}
MEM=${MEM:-20000}
TASK_PLUGIN=${TASK_PLUGIN:-task/none}

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge
fi

# munge: key (the Debian postinst usually made one), runtime dirs, daemon as user munge
if [ ! -s /etc/munge/munge.key ]; then
  /usr/sbin/mungekey -c -k /etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi
munge -n | unmunge | grep -q 'STATUS:.*Success' || { echo "munge does not work" >&2; exit 1; }

# slurm.conf from the template beside this script, with this host's short name
install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld /var/log/slurm
install -d -m 0755 /var/spool/slurmd
sed -e "s/@HOST@/$HOST/g" -e "s/@CPUS@/$CPUS/g" -e "s/@MEM@/$MEM/g" -e "s#@TASK_PLUGIN@#$TASK_PLUGIN#g" "$HERE/slurm.conf.in" > /etc/slurm/slurm.conf
chmod 0644 /etc/slurm/slurm.conf

pidof slurmctld >/dev/null || /usr/sbin/slurmctld     # daemonizes; runs as SlurmUser=slurm
pidof slurmd >/dev/null || /usr/sbin/slurmd           # daemonizes; runs as root
for _ in $(seq 60); do
  state=$(sinfo -h -N -n "$HOST" -o '%t' 2>/dev/null | sort -u | head -n 1 || true)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 1
done
sinfo
[ "$state" = idle ] || { echo "node state is '$state', not idle; see /var/log/slurm/*.log" >&2; exit 1; }
