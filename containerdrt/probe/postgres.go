package probe

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Protocol constants of the PostgreSQL frontend/backend protocol 3.0.
const (
	pgProtocol30 = 3 << 16
	// pgCannotConnectNow is SQLSTATE 57P03 (cannot_connect_now): "the database system
	// is starting up", "... is shutting down", "... is in recovery mode".
	pgCannotConnectNow = "57P03"
	// pgMaxMessage bounds a message read before the verdict: the messages that can come
	// first (authentication request, error, notice, protocol negotiation) are small.
	pgMaxMessage = 64 << 10
	// pgDrain bounds the wait for the server's goodbye after a Terminate.
	pgDrain = 200 * time.Millisecond
)

// postgres gives pg_isready's verdict without libpq. pg_isready (PQping, libpq's
// internal_ping) reports "accepting connections" (exit 0) when the server sent any
// authentication request, or an ErrorResponse with any SQLSTATE other than 57P03: a
// wrong user, password or database still means the server is up. 57P03 is "rejecting
// connections" (exit 1: starting up, shutting down, recovery) and no usable answer at
// all is "no response" (exit 2). Only exit 0 passes, as it does for the exec probe
// `pg_isready -U user -d database`.
func postgres(ctx context.Context, addr, user, database string) Result {
	conn, err := dial(ctx, addr)
	if err != nil {
		return failure("connect to "+addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write(startupMessage(user, database)); err != nil {
		return failure("send startup message", err)
	}
	r := bufio.NewReader(conn)
	for {
		typ, body, err := readPGMessage(r)
		if err != nil {
			return failure("no response to the startup message", err)
		}
		switch typ {
		case 'R': // AuthenticationRequest: the server is accepting connections
			if len(body) >= 4 && binary.BigEndian.Uint32(body) == 0 {
				terminate(ctx, conn, r) // AuthenticationOk: leave the new session politely
			}
			// Otherwise closing now is what psql does before asking for a password;
			// the server logs nothing for it.
			return Result{OK: true, Detail: "accepting connections"}
		case 'E':
			return pgError(body)
		case 'N', 'v': // NoticeResponse, NegotiateProtocolVersion: read on
		default:
			return Result{Detail: fmt.Sprintf("unexpected message %q in answer to the startup message", typ)}
		}
	}
}

// startupMessage is a protocol 3.0 StartupMessage naming user and database.
func startupMessage(user, database string) []byte {
	body := binary.BigEndian.AppendUint32(nil, pgProtocol30)
	for _, kv := range [][2]string{{"user", user}, {"database", database}, {"application_name", "lsctl-healthcheck"}} {
		if kv[1] == "" {
			continue
		}
		body = append(append(append(append(body, kv[0]...), 0), kv[1]...), 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
}

// readPGMessage reads one backend message: type byte, int32 length (itself included), body.
func readPGMessage(r *bufio.Reader) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 4 || n > pgMaxMessage {
		return 0, nil, fmt.Errorf("message %q of invalid length %d", head[0], n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return head[0], body, nil
}

// pgError judges an ErrorResponse the way internal_ping does.
func pgError(body []byte) Result {
	fields := map[byte]string{}
	for len(body) > 1 {
		code := body[0]
		end := strings.IndexByte(string(body[1:]), 0)
		if end < 0 {
			break
		}
		fields[code] = string(body[1 : 1+end])
		body = body[2+end:]
	}
	state, msg := fields['C'], fields['M']
	switch {
	case len(state) != 5:
		return Result{Detail: "no response: error without SQLSTATE: " + msg}
	case state == pgCannotConnectNow:
		return Result{Detail: "rejecting connections: " + msg}
	}
	return Result{OK: true, Detail: "accepting connections (" + state + ": " + msg + ")"}
}

// terminate sends Terminate and waits briefly for the server to close, so that the
// connection ends with an orderly goodbye rather than a reset the server would log.
func terminate(ctx context.Context, conn net.Conn, r *bufio.Reader) {
	if _, err := conn.Write([]byte{'X', 0, 0, 0, 4}); err != nil {
		return
	}
	shortDeadline(ctx, conn, pgDrain)
	_, _ = io.Copy(io.Discard, io.LimitReader(r, pgMaxMessage))
}
