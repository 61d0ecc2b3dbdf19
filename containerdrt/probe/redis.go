package probe

import (
	"bufio"
	"context"
	"strconv"
	"strings"
)

// redisMaxLine bounds a reply line read; PING and AUTH answers are short.
const redisMaxLine = 4096

// redis gives the verdict of the exec probe `test "$(redis-cli ping)" = PONG` run
// with REDISCLI_AUTH: AUTH first when a password is set, then PING, and only +PONG
// passes. -LOADING (the dataset is still being loaded) is not ready; -NOAUTH and
// -WRONGPASS (no or a wrong password) fail like redis-cli does. The password travels
// as a RESP bulk string, so any byte is safe, and never appears in the result.
func redis(ctx context.Context, addr, password string) Result {
	conn, err := dial(ctx, addr)
	if err != nil {
		return failure("connect to "+addr, err)
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, redisMaxLine)
	if password != "" {
		if _, err := conn.Write(respCommand("AUTH", password)); err != nil {
			return failure("send AUTH", err)
		}
		line, err := readRESPLine(r)
		if err != nil {
			return failure("no answer to AUTH", err)
		}
		if line != "+OK" {
			return Result{Detail: "AUTH refused: " + strings.TrimPrefix(line, "-")}
		}
	}
	if _, err := conn.Write(respCommand("PING")); err != nil {
		return failure("send PING", err)
	}
	line, err := readRESPLine(r)
	if err != nil {
		return failure("no answer to PING", err)
	}
	if line == "+PONG" {
		return Result{OK: true, Detail: "PONG"}
	}
	return Result{Detail: "PING answered " + strings.TrimPrefix(line, "-")}
}

// respCommand encodes a command as a RESP array of bulk strings.
func respCommand(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// readRESPLine reads one reply line without its CRLF.
func readRESPLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}
