package cli

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

// controlSocket is the control API socket of a project (docs/spec/runtime.md §15.1).
func controlSocket(dataRoot, project string) string {
	return filepath.Join(plan.ProjectDir(dataRoot, project), "control.sock")
}

// controlClient talks HTTP/1.1 to a running `up` over its unix socket.
type controlClient struct {
	http    *http.Client
	project string
	info    ownerInfo // what GET /healthz said when dialled
}

// newControlClient returns a client for the socket path.
func newControlClient(socket, project string) *controlClient {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
		DisableCompression: true,
	}
	return &controlClient{http: &http.Client{Transport: tr}, project: project}
}

// errNoUp means no `up` answers on the socket.
var errNoUp = errors.New("no lsctl up is running")

// dialControl returns a client when an `up` answers GET /healthz for project
// (docs/spec/runtime.md §12.9), else errNoUp.
func (s *session) dialControl(ctx context.Context, project string) (*controlClient, error) {
	c := newControlClient(controlSocket(s.opts.DataRoot, project), project)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if code, err := c.getJSON(ctx, "/healthz", &c.info); err != nil || code != http.StatusOK || c.info.Project != project {
		return nil, errNoUp
	}
	return c, nil
}

// owner names the process that owns the stack, for messages.
func (c *controlClient) owner() string { return c.info.owner() }

// owner names the process that answered GET /healthz, for messages.
func (o ownerInfo) owner() string {
	if o.Supervisor {
		return fmt.Sprintf("the background supervisor (pid %d)", o.PID)
	}
	return fmt.Sprintf("lsctl up (pid %d)", o.PID)
}

// post sends a POST without a body and expects 202 Accepted.
func (c *controlClient) post(ctx context.Context, path string) error {
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
		var body apiError
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
		return fmt.Errorf("%s answered HTTP %d: %s", c.owner(), resp.StatusCode, body.Error)
	}
	return nil
}

// apiViews reads the views from a running `up` and what its GET /healthz said (which
// process owns the stack, whether its containerd answers), or errNoUp.
func (s *session) apiViews(ctx context.Context, project string) ([]actors.View, ownerInfo, error) {
	c, err := s.dialControl(ctx, project)
	if err != nil {
		return nil, ownerInfo{}, err
	}
	var views []apiView
	code, err := c.getJSON(ctx, "/api/resources", &views)
	if err != nil || code != http.StatusOK {
		return nil, ownerInfo{}, fmt.Errorf("read resources from lsctl up: %v (HTTP %d)", err, code)
	}
	out := make([]actors.View, len(views))
	for i, v := range views {
		out[i] = v.view()
	}
	return out, c.info, nil
}

// apiView decodes a view; started_at arrives in ts format.
type apiView struct {
	actors.View
	StartedAt *time.Time `json:"started_at"`
}

func (v apiView) view() actors.View {
	out := v.View
	out.StartedAt = v.StartedAt
	return out
}

// getJSON performs a GET and decodes a JSON body of any status.
func (c *controlClient) getJSON(ctx context.Context, path string, into any) (int, error) {
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

// apiError is a JSON error body of the control API.
type apiError struct {
	Error    string `json:"error"`
	Resource string `json:"resource"`
}

// postRestart asks for a restart; it returns the status and the error body.
func (c *controlClient) postRestart(ctx context.Context, resource string) (int, apiError, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://lsctl/api/resources/"+resource+"/restart", nil)
	if err != nil {
		return 0, apiError{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, apiError{}, err
	}
	defer resp.Body.Close()
	var body apiError
	if resp.StatusCode != http.StatusAccepted {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	}
	return resp.StatusCode, body, nil
}

// events opens GET /api/events and returns the decoded events; the channel closes
// when the stream ends. Once events returns, the subscription exists (§15.3).
func (c *controlClient) events(ctx context.Context) (<-chan apiEvent, error) {
	raw, err := c.rawEvents(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make(chan apiEvent, 64)
	go func() {
		defer close(out)
		for data := range raw {
			var e apiEvent
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

// rawEvents opens GET /api/events (since: a ts-format time, or "" for from now on)
// and returns each event's JSON as the owner wrote it.
func (c *controlClient) rawEvents(ctx context.Context, since string) (<-chan []byte, error) {
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

// apiEvent is an event as the control API sends it (docs/spec/runtime.md §13.1).
type apiEvent struct {
	Type        string `json:"type"`
	Resource    string `json:"resource"`
	ContainerID string `json:"container_id"`
	Error       string `json:"error"`
	ExitCode    *int   `json:"exit_code"`
	Attempt     int    `json:"attempt"`
}
