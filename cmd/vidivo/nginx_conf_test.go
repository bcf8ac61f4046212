package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNginxFleetConfig checks docs/nginx-fleet.conf with Debian's nginx
// (`nginx -t`, which .ci/run installs), as the operations guide tells
// operators to, with the certificate paths pointed at a throw-away one.
func TestNginxFleetConfig(t *testing.T) {
	t.Parallel()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(nginx); err != nil {
		t.Fatalf("nginx is not installed (apt-get install nginx; .ci/run does): %v", err)
	}
	conf, err := os.ReadFile("../../docs/nginx-fleet.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	site := strings.NewReplacer(
		"/etc/letsencrypt/live/vidivo.example.com/fullchain.pem", cert,
		"/etc/letsencrypt/live/vidivo.example.com/privkey.pem", key,
	).Replace(string(conf))
	if site == string(conf) {
		t.Fatal("the certificate paths in docs/nginx-fleet.conf changed: update this test")
	}
	sitePath := filepath.Join(dir, "vidivo.conf")
	// As in Debian's nginx.conf, the site sits inside http {}; the temp
	// paths keep a test run by any user out of /var/lib/nginx.
	main := `pid ` + filepath.Join(dir, "nginx.pid") + `;
error_log stderr;
events {}
http {
`
	for _, temp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		main += "    " + temp + "_temp_path " + filepath.Join(dir, temp) + ";\n"
	}
	main += "    access_log off;\n    include " + sitePath + ";\n}\n"
	mainPath := filepath.Join(dir, "nginx.conf")
	for path, body := range map[string]string{sitePath: site, mainPath: main} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(nginx, "-t", "-p", dir, "-e", "stderr", "-c", mainPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// writeSelfSigned writes a throw-away certificate and key into dir.
func writeSelfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "vidivo.example.com"},
		DNSNames:     []string{"vidivo.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}
