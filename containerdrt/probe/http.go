package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Bounds of the HTTP exchange: the verdict is the status line; the rest of the answer is
// read (up to httpMaxBody, for httpDrain at most) so that the connection ends with the
// server's own close rather than a reset.
const (
	httpMaxHead = 8 << 10
	httpMaxBody = 64 << 10
	httpDrain   = 100 * time.Millisecond
	httpAgent   = "lsctl-healthcheck"
)

// httpGet passes when GET http://addr/path answers with status, or with any 2xx or 3xx
// status when status is 0 (what the kubelet's httpGet probe accepts); redirects are not
// followed. It speaks HTTP/1.1 itself over one fresh connection (`Connection: close`, no
// proxy): net/http's client costs several times the CPU per probe for nothing a status
// check needs, and probes run every second for every resource.
func httpGet(ctx context.Context, addr, path string, status int) Result {
	if path == "" {
		path = "/"
	}
	conn, err := dial(ctx, addr)
	if err != nil {
		return failure("GET http://"+addr+path, err)
	}
	defer conn.Close()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: " + httpAgent +
		"\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return failure("GET "+path, err)
	}
	r := bufio.NewReaderSize(conn, 4096)
	code, line, err := readStatusLine(r)
	if err != nil {
		return failure("GET "+path, err)
	}
	drainHTTP(ctx, conn, r)
	ok := code == status || (status == 0 && code >= 200 && code < 400)
	detail := "GET " + path + ": " + line
	if !ok && status != 0 {
		detail += fmt.Sprintf(" (expected %d)", status)
	}
	return Result{OK: ok, Detail: detail}
}

// readStatusLine reads "HTTP/1.x NNN reason" and returns the code and "NNN reason".
func readStatusLine(r *bufio.Reader) (int, string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			err = fmt.Errorf("status line longer than %d bytes", r.Size())
		}
		return 0, "", err
	}
	text := strings.TrimRight(string(line), "\r\n")
	proto, rest, _ := strings.Cut(text, " ")
	code, err := strconv.Atoi(rest[:min(3, len(rest))])
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || code < 100 || code > 999 {
		return 0, "", fmt.Errorf("not an HTTP answer: %q", text[:min(len(text), 80)])
	}
	return code, rest, nil
}

// drainHTTP reads what is left of the answer, bounded in size and time.
func drainHTTP(ctx context.Context, conn net.Conn, r *bufio.Reader) {
	shortDeadline(ctx, conn, httpDrain)
	_, _ = io.Copy(io.Discard, io.LimitReader(r, httpMaxHead+httpMaxBody))
}
