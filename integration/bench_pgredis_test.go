package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// pgredisManifest is the stack users actually run (issue 16): postgres, redis with a
// password, and an app that depends on both and reads their URLs, with the kinds'
// default healthchecks.
func pgredisManifest(project string) string {
	return fmt.Sprintf(`project: {name: %s}
resources:
  db:
    postgres: {image: %s}
  cache:
    redis: {image: %s, password: benchpass}
  app:
    container:
      image: %s
      env:
        DATABASE_URL: ${resources.db.url}
        REDIS_URL: ${resources.cache.url}
      command: %s
      depends_on: [db, cache]
`, project, harness.ImageRef("postgres"), harness.ImageRef("redis"), harness.ImageRef("busybox"), yamlList(benchCommand))
}

// BenchmarkPgRedis times `lsctl up -d` of the pgredis stack until it exits (every
// resource ready) and `lsctl down --volumes`, fresh each run so that postgres runs
// initdb every time; it reports the medians and the slowest runs.
func BenchmarkPgRedis(b *testing.B) {
	env := harness.Require(b)
	const project = "bpgredis"
	l := benchProject(b, env, project, pgredisManifest(project))
	for _, short := range []string{"postgres", "redis", "busybox"} {
		if _, err := l.run(context.Background(), "images", "load", env.Archive(b, short)); err != nil {
			b.Fatal(err)
		}
	}
	var ups, downs []time.Duration
	for i := 0; i < b.N; i++ {
		up, err := l.run(context.Background(), "up", "-d", "--pull", "never")
		if err != nil {
			b.Fatal(err)
		}
		down, err := l.run(context.Background(), "down", "--volumes")
		if err != nil {
			b.Fatal(err)
		}
		ups, downs = append(ups, up.wall), append(downs, down.wall)
	}
	b.ReportMetric(float64(median(ups).Nanoseconds()), "ns/op")
	b.ReportMetric(median(downs).Seconds(), "down-s")
	b.Logf("pgredis benchmark (containerd %s, %d runs): up -d p50 %s (max %s), down --volumes p50 %s (max %s)",
		env.Flavor, len(ups), ms(median(ups)), ms(slowest(ups)), ms(median(downs)), ms(slowest(downs)))
}
