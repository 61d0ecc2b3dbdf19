package containerdrt

import (
	"context"

	"github.com/docker/cli/cli/config/types"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// buildRegistryAuth answers buildkitd's registry credential requests during a build
// (base images pulled with --pull always, or absent locally) from the same Docker
// client configuration as lsctl's own pulls (docs/spec/runtime.md §9.3). Credentials travel over
// the build session only; they never reach output or errors.
func buildRegistryAuth() session.Attachable {
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: buildAuthConfig,
	})
}

// buildAuthConfig adapts dockerCredentials to BuildKit's auth provider.
func buildAuthConfig(_ context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (types.AuthConfig, error) {
	if host == authprovider.DockerHubRegistryHost {
		host = "docker.io"
	}
	user, secret, err := dockerCredentials(host)
	if err != nil {
		return types.AuthConfig{}, err
	}
	ac := types.AuthConfig{ServerAddress: host, Username: user, Password: secret}
	if user == "" && secret != "" {
		// dockerCredentials returns an identity token with no user name.
		ac.Password, ac.IdentityToken = "", secret
	}
	return ac, nil
}
