package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

const (
	// How long a stream may stay silent, as the kubelet's default --streaming-connection-idle-timeout.
	streamIdleTimeout = 4 * time.Hour
)

// newKubeletServer serves the kubelet's streaming paths, as the API server calls them:
//
//	/exec/{namespace}/{pod}[/{uid}]/{container}?command=…&stdin=1&stdout=1&stderr=1
//	/attach/{namespace}/{pod}[/{uid}]/{container}?stdin=1&stdout=1&stderr=1
//	/portForward/{namespace}/{pod}[/{uid}][?port=…]
//
// The kubelet hands these to the container runtime's streaming server; here the upstream
// handlers serve them directly, with this node's processes behind them.
func newKubeletServer(pods *podRunner, tlsConfig *tls.Config) *http.Server {
	runtime := streamRuntime{pods: pods}
	mux := http.NewServeMux()
	exec := func(w http.ResponseWriter, r *http.Request) {
		opts, err := remotecommand.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, _, err := pods.container(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("uid"), r.PathValue("container")); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		remotecommand.ServeExec(w, r, runtime, podKey(r), r.PathValue("uid"), r.PathValue("container"), r.URL.Query()["command"],
			opts, streamIdleTimeout, remotecommand.DefaultStreamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	}
	attach := func(w http.ResponseWriter, r *http.Request) {
		opts, err := remotecommand.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, _, err := pods.container(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("uid"), r.PathValue("container")); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		remotecommand.ServeAttach(w, r, runtime, podKey(r), r.PathValue("uid"), r.PathValue("container"),
			opts, streamIdleTimeout, remotecommand.DefaultStreamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	}
	portForward := func(w http.ResponseWriter, r *http.Request) {
		opts, err := portforward.NewV4Options(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, err := pods.lookup(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("uid")); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		portforward.ServePortForward(w, r, runtime, podKey(r), r.PathValue("uid"), opts,
			streamIdleTimeout, remotecommand.DefaultStreamCreationTimeout, portforward.SupportedProtocols)
	}
	for _, method := range []string{"GET", "POST"} {
		mux.HandleFunc(method+" /exec/{namespace}/{pod}/{container}", exec)
		mux.HandleFunc(method+" /exec/{namespace}/{pod}/{uid}/{container}", exec)
		mux.HandleFunc(method+" /attach/{namespace}/{pod}/{container}", attach)
		mux.HandleFunc(method+" /attach/{namespace}/{pod}/{uid}/{container}", attach)
		mux.HandleFunc(method+" /portForward/{namespace}/{pod}", portForward)
		mux.HandleFunc(method+" /portForward/{namespace}/{pod}/{uid}", portForward)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	return &http.Server{Handler: mux, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second}
}

func podKey(r *http.Request) string { return r.PathValue("namespace") + "/" + r.PathValue("pod") }

// serverTLS serves the given certificate and, with a client CA, lets in only callers whose
// certificate it signed: the API server with its --kubelet-client-certificate.
func serverTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the serving certificate %s / %s: %w", certFile, keyFile, err)
	}
	config := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		// SPDY and WebSocket upgrades are HTTP/1.1 only.
		NextProtos: []string{"http/1.1"}}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the client CA %s: %w", clientCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", clientCAFile)
		}
		config.ClientCAs, config.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return config, nil
}
