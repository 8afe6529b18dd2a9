// Command tether-testnode is a stand-in kubelet for tests: it registers a Node with the API server,
// marks the Pods bound to it Running, runs their containers' commands as local processes (one work
// folder per Pod) and serves the kubelet's /exec, /attach and /portForward endpoints with the upstream
// CRI streaming server (k8s.io/cri-streaming), so kubectl exec, attach, cp and port-forward work
// through a real API server, over SPDY and over WebSocket.
//
// There are no images, namespaces or cgroups: a "container" is a process group on this machine. A
// container whose command is tether-testnode-http is served in-process by a small HTTP server on
// 127.0.0.1:<its first containerPort>, for port-forward tests that need no other program.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of a user allowed to write nodes, leases, pods and pods/status")
	nodeName := flag.String("node-name", "tether-test-node", "name of the Node to register")
	listen := flag.String("listen", "127.0.0.1:0", "address of the kubelet endpoint (port 0 picks a free one)")
	workDir := flag.String("work-dir", "", "folder for the pods' work folders (required)")
	certFile := flag.String("tls-cert-file", "", "serving certificate of the kubelet endpoint, PEM (required)")
	keyFile := flag.String("tls-private-key-file", "", "key of the serving certificate, PEM (required)")
	clientCA := flag.String("client-ca-file", "", "if set, callers must present a client certificate signed by this CA (the API server's --kubelet-client-certificate)")
	flag.Parse()
	if *kubeconfig == "" || *workDir == "" || *certFile == "" || *keyFile == "" {
		fail("--kubeconfig, --work-dir, --tls-cert-file and --tls-private-key-file are required; see --help")
	}

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail("cannot read kubeconfig %s: %v", *kubeconfig, err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fail("cannot make an API client: %v", err)
	}
	if err := os.MkdirAll(*workDir, 0o755); err != nil {
		fail("cannot make work folder %s: %v", *workDir, err)
	}

	tlsConfig, err := serverTLS(*certFile, *keyFile, *clientCA)
	if err != nil {
		fail("%v", err)
	}
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fail("cannot listen on %s: %v", *listen, err)
	}
	port := listener.Addr().(*net.TCPAddr).Port

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	pods := newPodRunner(client, *nodeName, *workDir)
	server := newKubeletServer(pods, tlsConfig)
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.ServeTLS(listener, "", "") }()

	node := &nodeRegistration{client: client, name: *nodeName, port: int32(port)}
	if err := node.register(ctx); err != nil {
		fail("cannot register node %s: %v", *nodeName, err)
	}
	go node.keepReady(ctx)
	go pods.run(ctx)
	logf("node %s ready; kubelet endpoint https://127.0.0.1:%d", *nodeName, port)

	select {
	case <-ctx.Done():
		logf("stopping")
	case err := <-serveErr:
		logf("kubelet endpoint failed: %v", err)
	}
	// Streams end with their processes; the API objects go so the cluster keeps no trace of this node.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server.Close()
	pods.stopAll(shutdown)
	node.deregister(shutdown)
	logf("stopped")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s testnode: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testnode: error: %s\n", fmt.Sprintf(format, args...))
	os.Exit(1)
}
