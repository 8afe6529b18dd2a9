package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// streamRuntime is what the upstream streaming handlers call once the client's streams are set
// up: it runs exec'd commands, joins attach sessions and dials forwarded ports. Pods are named
// "namespace/name" and containers by name, as the kubelet paths give them.
type streamRuntime struct {
	pods *podRunner
}

var (
	_ remotecommand.Executor = streamRuntime{}
	_ remotecommand.Attacher = streamRuntime{}
)

// ExecInContainer runs cmd as a local process in the pod's work folder. A non-zero exit comes back
// as a utilexec.ExitError, which the streaming server sends to the client as the exit code.
func (s streamRuntime) ExecInContainer(ctx context.Context, podKey, uid, containerName string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, _ <-chan remotecommand.TerminalSize, _ time.Duration) error {
	if tty {
		return errors.New("the tether test node has no terminals: run exec without -t")
	}
	pod, c, err := s.pods.containerByKey(podKey, uid, containerName)
	if err != nil {
		return err
	}
	if len(cmd) == 0 {
		return errors.New("exec needs a command")
	}
	process := exec.Command(cmd[0], cmd[1:]...)
	process.Dir = pod.dir
	process.Env = containerEnv(pod.dir, c.spec.Env)
	process.SysProcAttr = processGroup()
	// Stdin is copied by hand: os/exec would wait for the client's stdin to end even after the
	// process has exited, and `kubectl exec -i … -- sh -c 'exit 3'` must end at once.
	var stdin io.WriteCloser
	if in != nil {
		if stdin, err = process.StdinPipe(); err != nil {
			return err
		}
	}
	if out != nil {
		process.Stdout = out
	}
	if errOut != nil {
		process.Stderr = errOut
	}
	if err := process.Start(); err != nil {
		return fmt.Errorf("cannot start %q in pod %s: %w", cmd[0], podKey, err)
	}
	finished := s.pods.execs.add(process.Process.Pid)
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, in)
			stdin.Close()
		}()
	}
	// The command's group is stopped when the context ends (the node stops, or the streaming server ends the
	// session). A client that goes away closes the command's stdin, and as with a real kubelet's exec, a command
	// that does not read its stdin runs on: the upgraded connection's context is not ended by the client leaving.
	stopOnCancel := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stopGroup(process.Process.Pid, stopOnCancel, 2*time.Second)
		case <-stopOnCancel:
		}
	}()
	err = process.Wait()
	close(stopOnCancel)
	finished()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return &utilexec.ExitErrorWrapper{ExitError: exitErr}
	}
	return err
}

func (s streamRuntime) AttachContainer(ctx context.Context, podKey, uid, containerName string, in io.Reader, out, errOut io.WriteCloser, tty bool, _ <-chan remotecommand.TerminalSize) error {
	if tty {
		return errors.New("the tether test node has no terminals: run attach without -t")
	}
	_, c, err := s.pods.containerByKey(podKey, uid, containerName)
	if err != nil {
		return err
	}
	return c.attach(ctx, in, out, errOut)
}

// PortForward connects the stream to 127.0.0.1:port: every pod shares the node's loopback.
func (s streamRuntime) PortForward(ctx context.Context, podKey, uid string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	namespace, name, _ := strings.Cut(podKey, "/")
	if _, err := s.pods.lookup(namespace, name, uid); err != nil {
		return err
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	if err != nil {
		return fmt.Errorf("cannot connect to port %d of pod %s: %w", port, podKey, err)
	}
	defer conn.Close()
	go func() {
		_, _ = io.Copy(conn, stream)
		// The client is done sending; let the server see the end of its request.
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}()
	_, err = io.Copy(stream, conn)
	return err
}

func (r *podRunner) containerByKey(podKey, uid, containerName string) (*runningPod, *container, error) {
	namespace, name, _ := strings.Cut(podKey, "/")
	return r.container(namespace, name, uid, containerName)
}
