package control

import (
	"embed"
	"net/http"
	"path"
)

// dashboardFiles are the dashboard's static files (docs/spec/runtime.md §15.5, §20.6): no
// inline script, so the strict Content-Security-Policy holds; app.js loads the other
// scripts as ES modules from /assets.
//
//go:embed dashboard/*.html dashboard/*.js dashboard/*.css
var dashboardFiles embed.FS

// dashboardTypes are the content types of the embedded files.
var dashboardTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// dashboard serves GET / and /assets/<file> on the TCP listener only.
func (api *controlAPI) dashboard(w http.ResponseWriter, r *http.Request, _ string) {
	name := "index.html"
	if r.URL.Path != "/" {
		name = path.Base(r.URL.Path)
	}
	data, err := dashboardFiles.ReadFile("dashboard/" + name)
	if err != nil || name == "index.html" && r.URL.Path != "/" {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found"})
		return
	}
	w.Header().Set("Content-Type", dashboardTypes[path.Ext(name)])
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}
