package containerdrt

import (
	"context"
	"fmt"

	"github.com/lightshuttle/lsctl/containerdrt/archive"
)

// ContainerRoot opens the root filesystem of the container's running task as its
// processes see it, volumes included (`lsctl cp`); name is used in messages.
func (c *Client) ContainerRoot(ctx context.Context, id, name string) (*archive.Root, error) {
	task, _, err := c.loadTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if task == nil {
		return nil, fmt.Errorf("files of %s: no task: %w", id, ErrNotFound)
	}
	return archive.OpenRoot(fmt.Sprintf("/proc/%d/root", task.Pid()), name)
}
