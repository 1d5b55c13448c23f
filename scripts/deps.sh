#!/usr/bin/env bash
# Installs, with apt-get, what hsdecode's build, tests and capture scripts
# use and this machine lacks. Does nothing when all of it is present, so it
# is cheap to call at the start of every script.
set -euo pipefail

# command-or-file  Debian package
need=(
	"tcpdump tcpdump"
	"openssl openssl"
	"gnutls-cli gnutls-bin"
	"tshark tshark"
	"curl curl"
	"/usr/include/pcap/pcap.h libpcap-dev"
	"gcc gcc"
	"xmllint libxml2-utils"
	"chromium chromium"
	"ip iproute2"
	"ethtool ethtool"
	"zstd zstd"
	"xz xz-utils"
	"lz4 lz4"
	"man man-db"
	"groff groff-base"
	"zsh zsh"
	"fish fish"
	"/usr/lib/python3/dist-packages/yaml/__init__.py python3-yaml"
	"systemd-analyze systemd"
	"tcpreplay tcpreplay"
)

missing=()
for pair in "${need[@]}"; do
	what=${pair% *} pkg=${pair#* }
	if [[ $what == /* ]]; then
		[[ -e $what ]] || missing+=("$pkg")
	else
		command -v "$what" >/dev/null 2>&1 || missing+=("$pkg")
	fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo="sudo"
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
