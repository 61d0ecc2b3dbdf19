package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/plan"
)

// Socket is the control API socket of a project (docs/spec/runtime.md §15.1).
func Socket(dataRoot, project string) string {
	return filepath.Join(plan.ProjectDir(dataRoot, project), "control.sock")
}

// Client talks HTTP/1.1 to a running `up` over its unix socket.
type Client struct {
	http    *http.Client
	project string
	info    OwnerInfo // what GET /healthz said when dialled
}

// newClient returns a client for the socket path.
func newClient(socket, project string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
		DisableCompression: true,
	}
	return &Client{http: &http.Client{Transport: tr}, project: project}
}

// ErrNoUp means no `up` answers on the socket.
var ErrNoUp = errors.New("no lsctl up is running")

// Dial returns a client when an `up` answers GET /healthz for project on the
// data root's socket (docs/spec/runtime.md §12.9), else ErrNoUp.
func Dial(ctx context.Context, dataRoot, project string) (*Client, error) {
	c := newClient(Socket(dataRoot, project), project)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if code, err := c.GetJSON(ctx, "/healthz", &c.info); err != nil || code != http.StatusOK || c.info.Project != project {
		return nil, ErrNoUp
	}
	return c, nil
}

// Info is what GET /healthz said when the client was dialled.
func (c *Client) Info() OwnerInfo { return c.info }

// Project is the project whose owner the client talks to.
func (c *Client) Project() string { return c.project }

// Owner names the process that owns the stack, for messages.
func (c *Client) Owner() string { return c.info.Owner() }

// Post sends a POST without a body and expects 202 Accepted.
func (c *Client) Post(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://lsctl"+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		var body ErrorBody
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
		return fmt.Errorf("%s answered HTTP %d: %s", c.Owner(), resp.StatusCode, body.Error)
	}
	return nil
}

// Views reads the resource views from the owner.
func (c *Client) Views(ctx context.Context) ([]actors.View, error) {
	var views []apiView
	code, err := c.GetJSON(ctx, "/api/resources", &views)
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("read resources from lsctl up: %v (HTTP %d)", err, code)
	}
	out := make([]actors.View, len(views))
	for i, v := range views {
		out[i] = v.view()
	}
	return out, nil
}

// View reads one resource's view from the owner; false when it cannot.
func (c *Client) View(ctx context.Context, name string) (actors.View, bool) {
	var view apiView
	code, err := c.GetJSON(ctx, "/api/resources/"+name, &view)
	if err != nil || code != 200 {
		return actors.View{}, false
	}
	return view.view(), true
}

// GetJSON performs a GET and decodes a JSON body of any status.
func (c *Client) GetJSON(ctx context.Context, path string, into any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://lsctl"+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(into)
}

// PostRestart asks for a restart; it returns the status and the error body.
func (c *Client) PostRestart(ctx context.Context, resource string) (int, ErrorBody, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://lsctl/api/resources/"+resource+"/restart", nil)
	if err != nil {
		return 0, ErrorBody{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, ErrorBody{}, err
	}
	defer resp.Body.Close()
	var body ErrorBody
	if resp.StatusCode != http.StatusAccepted {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	}
	return resp.StatusCode, body, nil
}

// Events opens GET /api/events and returns the decoded events; the channel closes
// when the stream ends. Once events returns, the subscription exists (§15.3).
func (c *Client) Events(ctx context.Context) (<-chan Event, error) {
	raw, err := c.RawEvents(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make(chan Event, 64)
	go func() {
		defer close(out)
		for data := range raw {
			var e Event
			if json.Unmarshal(data, &e) == nil {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// RawEvents opens GET /api/events (since: a ts-format time, or "" for from now on)
// and returns each event's JSON as the owner wrote it.
func (c *Client) RawEvents(ctx context.Context, since string) (<-chan []byte, error) {
	u := "http://lsctl/api/events"
	if since != "" {
		u += "?since=" + url.QueryEscape(since)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("event stream: HTTP %d", resp.StatusCode)
	}
	out := make(chan []byte, 64)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			select {
			case out <- []byte(data):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
