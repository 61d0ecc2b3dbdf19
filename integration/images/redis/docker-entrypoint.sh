#!/bin/sh
# docker-entrypoint.sh for lsctl's test redis image: the contract of the official redis
# image. Options alone mean "redis-server with these options", and protected mode is off
# (the official image builds redis with it off) so that other containers can connect.
set -eu

case ${1:-} in
-* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ]; then
	case " $* " in
	*" --protected-mode "*) ;;
	*) set -- "$@" --protected-mode no ;;
	esac
fi

exec "$@"
