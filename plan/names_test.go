package plan

import (
	"encoding/hex"
	"hash/fnv"
	"regexp"
	"testing"
)

// fnvHex is an independent FNV-1a 32 for expectations.
func fnvHex(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// docs/spec/runtime.md §4.1; §17 items 1-2.
func TestContainerID(t *testing.T) {
	tests := []struct{ project, resource, want string }{
		{"shop", "db", "shop_db"},                        // item 1
		{"app-", "api", "app-api-" + fnvHex("app-_api")}, // item 2
		{"a", "b_c", "a_b_c"},                            // the collision §4.1 resolves by labels
		{"my_app", "web-1", "my_app_web-1"},
		{"a", "b__c", "a-b-c-" + fnvHex("a_b__c")}, // "__" is not one separator
		{"shop", "x-", "shop-x-" + fnvHex("shop_x-")},
	}
	sanitised := regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	for _, tt := range tests {
		got := ContainerID(tt.project, tt.resource)
		if got != tt.want {
			t.Errorf("ContainerID(%q, %q) = %q, want %q", tt.project, tt.resource, got, tt.want)
		}
		if got != tt.project+"_"+tt.resource && !sanitised.MatchString(got) {
			t.Errorf("sanitised id %q contains more than [A-Za-z0-9-]", got)
		}
		if again := ContainerID(tt.project, tt.resource); again != got {
			t.Errorf("id not stable: %q then %q", got, again)
		}
	}
}

// docs/spec/runtime.md §5.1 and §3.5.
func TestNetworkAndImageNames(t *testing.T) {
	if got := NetworkName("shop"); got != "lightshuttle-shop" {
		t.Errorf("NetworkName(shop) = %q", got)
	}
	if got := NetworkName("my_app"); got != "lightshuttle-my-app-f8559637" {
		t.Errorf("NetworkName(my_app) = %q", got)
	}
	if got := BridgeName("lightshuttle-shop"); got != "lsh-"+fnvHex("lightshuttle-shop") || len(got) != 12 {
		t.Errorf("BridgeName = %q", got)
	}
	if got := DefaultVolumeName("shop", "db"); got != "shop_db_data" {
		t.Errorf("DefaultVolumeName = %q", got)
	}
	tests := []struct{ project, resource, want string }{
		{"shop", "web", "docker.io/lightshuttle/shop_web:dev"},
		{"shop", "web-ui", "docker.io/lightshuttle/shop_web-ui:dev"},
		{"shop", "web__ui", "docker.io/lightshuttle/shop_web__ui:dev"},
		{"shop", "web___ui", "docker.io/lightshuttle/shop-web-ui-" + fnvHex("shop_web___ui") + ":dev"},
		{"shop", "web-", "docker.io/lightshuttle/shop-web-" + fnvHex("shop_web-") + ":dev"},
	}
	for _, tt := range tests {
		if got := BuiltImageName(tt.project, tt.resource); got != tt.want {
			t.Errorf("BuiltImageName(%q, %q) = %q, want %q", tt.project, tt.resource, got, tt.want)
		}
	}
}
