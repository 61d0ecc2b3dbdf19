#!/bin/bash
# docker-entrypoint.sh for lsctl's test postgres image: the contract of the official
# postgres image (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGPORT, PGDATA; initdb on an
# empty data directory; the server runs as the postgres user on all addresses).
set -Eeuo pipefail

# No arguments, or a first argument that is an option, means "postgres [options]".
if [ $# -eq 0 ] || [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

# prepare_dirs runs as root: the data directory may be a fresh volume owned by root.
prepare_dirs() {
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	chmod 3777 /var/run/postgresql
}

# check_password refuses to initialise a cluster that any host could enter without one.
check_password() {
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
		cat >&2 <<-'MSG'
			Error: Database is uninitialized and superuser password is not specified.
			       Set POSTGRES_PASSWORD to a non-empty value for the superuser, or
			       POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password.
		MSG
		exit 1
	fi
}

# init_cluster runs initdb; the password reaches it through a file descriptor, never argv.
init_cluster() {
	local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
	# POSTGRES_INITDB_ARGS is split into words on purpose, as the official image does.
	# shellcheck disable=SC2086
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
		--encoding=UTF8 --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >/dev/null
	printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
}

# create_database starts a server on the unix socket only, so that no client can connect
# before the database and user exist, creates the database, runs init scripts, and stops.
create_database() {
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start >/dev/null
	local psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER" -p "${PGPORT:-5432}")
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<-'SQL' >/dev/null
			CREATE DATABASE :"db";
		SQL
	fi
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		case $f in
		*.sh)
			# shellcheck disable=SC1090 # init scripts are the user's.
			. "$f"
			;;
		*.sql) "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	echo 'PostgreSQL init process complete; ready for start up.'
}

if [ "$1" = postgres ]; then
	export POSTGRES_USER=${POSTGRES_USER:-postgres}
	export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
	if [ "$(id -u)" = 0 ]; then
		prepare_dirs
		exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		check_password
		init_cluster
		create_database
	fi
	# unset keeps the password out of the server's environment (visible in /proc).
	unset POSTGRES_PASSWORD
fi

exec "$@"
