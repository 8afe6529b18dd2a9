// Command two-hop-proxy is the reference for the kube-proxy benchmark: the two extra TLS hops that
// Tether's Kubernetes API proxy puts between a client and the API server, made of Go's standard
// reverse proxy and nothing else.
//
//	client --TLS--> front --TLS, one HTTP/2 connection--> back --TLS, HTTP/1.1--> API server
//
// The front checks the client's bearer token and forwards over a single multiplexed HTTP/2
// connection, as Tether's server sends requests down the agent's gRPC connection; the back sends
// them on to the API server with its own token, as Tether's agent does. There is no tunnel
// protocol, authorization model or impersonation: what this reference adds over a direct call is
// what any proxy of this shape adds on the same machine, so Tether's figures can be read against
// it. It prints "ready" on stdout once both listeners accept connections.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	front := flag.String("front", "127.0.0.1:0", "address clients connect to")
	back := flag.String("back", "127.0.0.1:0", "address the front forwards to")
	upstream := flag.String("upstream", "", "the API server's URL")
	upstreamCA := flag.String("upstream-ca", "", "PEM file of the CA that signed the API server's certificate")
	upstreamTokenFile := flag.String("upstream-token-file", "", "file holding the bearer token the back sends to the API server")
	clientTokenFile := flag.String("client-token-file", "", "file holding the bearer token clients must send to the front")
	caOut := flag.String("ca-out", "", "where to write the PEM certificate both listeners serve (clients trust it)")
	flag.Parse()
	if *upstream == "" || *upstreamCA == "" || *upstreamTokenFile == "" || *clientTokenFile == "" || *caOut == "" {
		flag.Usage()
		os.Exit(2)
	}
	upstreamURL, err := url.Parse(*upstream)
	check(err, "the upstream URL")
	upstreamToken := readToken(*upstreamTokenFile)
	clientToken := readToken(*clientTokenFile)

	cert, certPEM := selfSigned()
	check(os.WriteFile(*caOut, certPEM, 0o600), "writing the certificate")
	own := x509.NewCertPool()
	own.AppendCertsFromPEM(certPEM)
	upstreamPool := x509.NewCertPool()
	caPEM, err := os.ReadFile(*upstreamCA)
	check(err, "reading the upstream CA")
	if !upstreamPool.AppendCertsFromPEM(caPEM) {
		log.Fatalf("no certificate in %s", *upstreamCA)
	}
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}

	backListener, err := tls.Listen("tcp", *back, serverTLS)
	check(err, "listening for the front")
	backURL := &url.URL{Scheme: "https", Host: backListener.Addr().String()}
	backProxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstreamURL)
			r.Out.Host = upstreamURL.Host
			r.Out.Header.Set("Authorization", "Bearer "+upstreamToken)
		},
		// HTTP/1.1 connections to the API server, as Tether's agent uses.
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: upstreamPool}, MaxIdleConnsPerHost: 64},
		FlushInterval: -1,
	}
	go serve(backListener, backProxy)

	frontListener, err := tls.Listen("tcp", *front, serverTLS)
	check(err, "listening for clients")
	frontProxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backURL)
			r.Out.Header.Del("Authorization")
		},
		// One multiplexed HTTP/2 connection to the back, as Tether's tunnel is one gRPC connection.
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: own}, ForceAttemptHTTP2: true},
		FlushInterval: -1,
	}
	go serve(frontListener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+clientToken {
			http.Error(w, "unknown token", http.StatusUnauthorized)
			return
		}
		frontProxy.ServeHTTP(w, r)
	}))

	fmt.Printf("ready https://%s\n", frontListener.Addr())
	select {}
}

func serve(l net.Listener, h http.Handler) {
	log.Fatal((&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(l))
}

func selfSigned() (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err, "making a key")
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "two-hop-proxy"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	check(err, "making a certificate")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	check(err, "encoding the key")
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	check(err, "pairing the certificate")
	return cert, certPEM
}

func readToken(file string) string {
	b, err := os.ReadFile(file)
	check(err, "reading "+file)
	return strings.TrimSpace(string(b))
}

func check(err error, doing string) {
	if err != nil {
		log.Fatalf("%s: %v", doing, err)
	}
}
