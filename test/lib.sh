# Shared shell functions of `make test` (test/run-all.sh) and `make demo` (test/demo.sh).
#
# - ensure_dependencies: installs whatever Debian/npm packages are missing (as root, or via sudo).
# - build_and_install: CMake client + unit tests, PGXS extension, `make install`.
# - start_emulator / stop_emulator: the bundled Kintone emulator on a free loopback port.
# - start_postgres / stop_postgres: a throwaway cluster in a temporary directory, run as the
#   `postgres` OS user when we are root (PostgreSQL refuses to run as root), listening on a
#   Unix socket in that directory only.
# Every server started here is stopped by its PID.

set -o pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
APT_PACKAGES=(
	build-essential cmake pkg-config ca-certificates tzdata python3
	"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"
	libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libsimdjson-dev
	libgtest-dev libgmock-dev libbenchmark-dev
)

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# Runs a command as the OS user that owns the test cluster.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

ensure_dependencies() {
	local missing=() pkg
	for pkg in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || missing+=("$pkg")
	done
	# Node.js and npm for the official-client tests: keep a machine's own Node if it is new enough.
	local node_major=0
	if command -v node >/dev/null 2>&1; then
		node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
	fi
	if [ "$node_major" -lt 18 ]; then
		missing+=(nodejs)
	fi
	if ! command -v npm >/dev/null 2>&1; then
		missing+=(npm)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing Debian packages: ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
			die "apt-get install failed"
	fi
	PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
	[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config) || die "pg_config not found"
	PG_BINDIR=$("$PG_CONFIG" --bindir)
	export PG_CONFIG PG_BINDIR
	id postgres >/dev/null 2>&1 || [ "$(id -u)" != 0 ] || die "the postgres OS user is missing"
}

build_and_install() {
	log "building the client library and unit tests (CMake)"
	cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2 || return 1
	cmake --build "$REPO_ROOT/build" -j"$(nproc)" >&2 || return 1
	log "building and installing the extension (PGXS)"
	make -C "$REPO_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >&2 || return 1
	as_root make -C "$REPO_ROOT" -s install PG_CONFIG="$PG_CONFIG" >&2 || return 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_emulator DIR SEED: starts the emulator, sets EMULATOR_PID and EMULATOR_URL.
start_emulator() {
	local dir=$1 seed=$2 i
	python3 "$REPO_ROOT/test/emulator/kintone-emulator" --port 0 --data "$seed" \
		>"$dir/emulator.out" 2>"$dir/emulator.err" </dev/null &
	EMULATOR_PID=$!
	EMULATOR_URL=
	for i in $(seq 1 100); do
		EMULATOR_URL=$(head -n 1 "$dir/emulator.out" 2>/dev/null)
		[ -n "$EMULATOR_URL" ] && break
		kill -0 "$EMULATOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$EMULATOR_URL" ]; then
		cat "$dir/emulator.err" >&2
		return 1
	fi
	export EMULATOR_PID EMULATOR_URL
}

stop_emulator() {
	if [ -n "${EMULATOR_PID:-}" ]; then
		kill "$EMULATOR_PID" 2>/dev/null && wait "$EMULATOR_PID" 2>/dev/null
		EMULATOR_PID=
	fi
}

# start_postgres DIR: initdb + start on a free port with the socket in DIR; sets PGHOST, PGPORT.
start_postgres() {
	local dir=$1
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
	fi
	chmod 755 "$dir"
	as_pg "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	PGPORT=$(free_port)
	as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $PGPORT -k $dir -c listen_addresses='' -c fsync=off -c log_min_messages=warning" start \
		>"$dir/pg_ctl.log" 2>&1 || {
		cat "$dir/pg_ctl.log" "$dir/server.log" >&2
		return 1
	}
	PGHOST=$dir
	PGUSER=postgres
	export PGHOST PGPORT PGUSER
}

stop_postgres() {
	local dir=$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			kill "$(head -n 1 "$dir/data/postmaster.pid")" 2>/dev/null
	fi
}

# True when the server log shows a backend killed by a signal (a crash).
server_log_shows_crash() {
	grep -E 'terminated by signal|was terminated by exception' "$1" >/dev/null 2>&1
}
