package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
)

const rootJSON = `{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`

// do sends one request and returns status and body.
func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestAPI(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	srv := httptest.NewServer(New(Options{
		Client:  env.Client,
		Tree:    func() any { return map[string]any{"name": "host"} },
		Status:  func() []Field { return []Field{{"bots", "0"}} },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "patchbay_up 1\n") }),
	}))
	defer srv.Close()

	root, _, err := hashchain.RootHash([]byte(rootJSON))
	if err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "POST", srv.URL+"/api/configs", "", rootJSON)
	if code != 200 || !strings.Contains(body, root.String()) {
		t.Fatalf("create: %d %s (want root %s)", code, body, root)
	}
	code, body = do(t, "POST", srv.URL+"/api/configs/"+root.String(), "", `[{"op":"add","path":"/greeting","value":"Hi"}]`)
	if code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	var pr eventstore.PatchReply
	if err := json.Unmarshal([]byte(body), &pr); err != nil {
		t.Fatal(err)
	}
	code, body = do(t, "GET", srv.URL+"/api/configs/"+root.String()+"/head", "", "")
	var gr eventstore.GetReply
	if err := json.Unmarshal([]byte(body), &gr); err != nil || code != 200 {
		t.Fatalf("head: %d %s %v", code, body, err)
	}
	if gr.Hash != pr.Hash || !strings.Contains(string(gr.Config), `"greeting":"Hi"`) {
		t.Fatalf("head = %+v, want hash %s with the greeting", gr, pr.Hash)
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"stale", "POST", "/api/configs/" + root.String(), `[{"op":"add","path":"/x","value":1}]`, 409, `"code":"stale"`},
		{"unknown parent", "POST", "/api/configs/00000000000000ff", `[]`, 404, `"code":"unknown_parent"`},
		{"invalid patch", "POST", "/api/configs/" + pr.Hash.String(), `{"not":"a patch"`, 422, `"code":"invalid_patch"`},
		{"test failed", "POST", "/api/configs/" + pr.Hash.String(), `[{"op":"test","path":"/greeting","value":"Yo"}]`, 422, `"code":"test_failed"`},
		{"bad hash", "GET", "/api/configs/xyz", "", 400, `"error"`},
		{"not found", "GET", "/api/configs/00000000000000ff", "", 404, `"code":"not_found"`},
		{"too large", "POST", "/api/configs/" + pr.Hash.String(), `"` + strings.Repeat("x", DefaultMaxBody) + `"`, 413, `"code":"too_large"`},
		{"get", "GET", "/api/configs/" + pr.Hash.String(), "", 200, `"greeting":"Hi"`},
		{"tree", "GET", "/api/tree", "", 200, `"name":"host"`},
		{"metrics", "GET", "/metrics", "", 200, "patchbay_up 1"},
		{"healthz", "GET", "/healthz", "", 200, "ok"},
		{"dashboard", "GET", "/", "", 200, "<td>bots</td><td>0</td>"},
		{"no route", "GET", "/nothing", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.method, srv.URL+tc.path, "", tc.body)
			if code != tc.status || !strings.Contains(body, tc.contains) {
				t.Fatalf("%s %s = %d %.300s; want %d containing %q", tc.method, tc.path, code, body, tc.status, tc.contains)
			}
		})
	}
	// Nothing refused changed the head.
	if h, err := env.Client.Head(context.Background(), root); err != nil || h.Hash != pr.Hash {
		t.Fatalf("head after refusals = %v, %v; want %s", h.Hash, err, pr.Hash)
	}
}

func TestTokenAndHealth(t *testing.T) {
	var healthErr error
	srv := httptest.NewServer(New(Options{
		Token:  "s3cret",
		Health: func(context.Context) error { return healthErr },
	}))
	defer srv.Close()
	if code, body := do(t, "GET", srv.URL+"/api/tree", "", ""); code != 401 || !strings.Contains(body, "unauthorized") {
		t.Fatalf("no token: %d %s", code, body)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/tree", "wrong", ""); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/tree", "s3cret", ""); code != 200 {
		t.Fatalf("right token: %d", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/healthz", "", ""); code != 200 {
		t.Fatalf("healthz without token: %d", code)
	}
	healthErr = errors.New("nats disconnected")
	if code, body := do(t, "GET", srv.URL+"/healthz", "", ""); code != 503 || !strings.Contains(body, "nats disconnected") {
		t.Fatalf("unhealthy: %d %s", code, body)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/configs/0000000000000001", "s3cret", ""); code != 503 {
		t.Fatalf("no client: %d", code)
	}
}
