package containerdrt

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/lightshuttle/lsctl/plan"
)

// localStoreID names containerd's content store among the build's OCI stores; the
// frontend sees it in `oci-layout://<id>@<digest>` context values.
const localStoreID = "lsctl-local"

// localBaseContexts returns frontend attributes that make every FROM image the
// namespace holds complete a named OCI-layout context served from containerd's content
// store (docs/architecture.md "BuildKit"): the build then never asks a registry for it,
// whichever worker buildkitd runs and whichever namespace that worker uses.
func (c *Client) localBaseContexts(ctx context.Context, dockerfile []byte, args []plan.EnvVar) (map[string]string, error) {
	refs, err := baseImageRefs(dockerfile, args)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	for _, written := range refs {
		named, err := reference.ParseNormalizedNamed(written)
		if err != nil {
			continue // not an image reference we can serve; BuildKit reports it
		}
		if _, digested := named.(reference.Digested); digested {
			continue
		}
		full := reference.TagNameOnly(named).String()
		dgst, ok, err := c.localImageTarget(ctx, full)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		// The frontend looks a FROM name up by its familiar form without ":latest".
		key := "context:" + strings.TrimSuffix(reference.FamiliarString(reference.TagNameOnly(named)), ":latest")
		attrs[key] = "oci-layout://" + localStoreID + "@" + dgst
	}
	return attrs, nil
}

// localImageTarget returns the target digest of image ref when the namespace has it
// with complete host-platform content.
func (c *Client) localImageTarget(ctx context.Context, ref string) (string, bool, error) {
	rec, err := c.cd.ImageService().Get(ctx, ref)
	if errdefs.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, c.wrapUnavailable(fmt.Errorf("look up base image %s: %w", FamiliarName(ref), err))
	}
	available, _, _, missing, err := images.Check(ctx, c.cd.ContentStore(), rec.Target, platforms.Default())
	if err != nil || !available || len(missing) > 0 {
		return "", false, nil
	}
	return rec.Target.Digest.String(), true, nil
}

// baseImageRefs lists the images the Dockerfile's FROM lines name, as written after
// expanding global ARGs (their defaults, overridden by build arguments), leaving out
// earlier stage names and "scratch".
func baseImageRefs(dockerfile []byte, args []plan.EnvVar) ([]string, error) {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	buildArgs := map[string]string{}
	for _, a := range args {
		buildArgs[a.Name] = a.Value
	}
	env := envMap{}
	lex := shell.NewLex(res.EscapeToken)
	stages := map[string]bool{}
	var refs []string
	seenFrom := false
	for _, n := range res.AST.Children {
		switch strings.ToLower(n.Value) {
		case "arg":
			if !seenFrom {
				globalArgs(n, buildArgs, env)
			}
		case "from":
			seenFrom = true
			if n.Next == nil {
				continue
			}
			ref, _, err := lex.ProcessWord(n.Next.Value, env)
			if err == nil && ref != "" && !stages[strings.ToLower(ref)] && !strings.EqualFold(ref, "scratch") {
				refs = append(refs, ref)
			}
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				stages[strings.ToLower(as.Next.Value)] = true
			}
		}
	}
	return refs, nil
}

// globalArgs records the ARGs declared before the first FROM: a build argument
// overrides the declared default.
func globalArgs(n *parser.Node, buildArgs map[string]string, env envMap) {
	for a := n.Next; a != nil; a = a.Next {
		name, def, hasDef := strings.Cut(a.Value, "=")
		if v, ok := buildArgs[name]; ok {
			env[name] = v
		} else if hasDef {
			env[name] = strings.Trim(def, `"'`)
		}
	}
}

// envMap is shell.EnvGetter over a map.
type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	return keys
}
