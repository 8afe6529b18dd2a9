package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// httpCommand is the container command the node serves itself: an HTTP server on 127.0.0.1 at the
// container's first port (see httpserver.go).
const httpCommand = "tether-testnode-http"

// container is one container of a pod: a local process group running its command and args in the
// pod's work folder, whose stdin and output attach sessions share. A container without a command
// runs nothing and stays Running: exec still works in it.
type container struct {
	pod      *runningPod
	spec     corev1.Container
	onChange func()

	mu        sync.Mutex
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stdout    *broadcaster
	stderr    *broadcaster
	http      *http.Server
	started   time.Time
	done      chan struct{} // closed when the process has exited and its output is drained
	exited    bool
	exitCode  int
	exitError string
}

func newContainer(pod *runningPod, spec corev1.Container, onChange func()) *container {
	return &container{pod: pod, spec: spec, onChange: onChange, done: make(chan struct{}),
		stdout: newBroadcaster(), stderr: newBroadcaster()}
}

func (c *container) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = time.Now()
	argv := append(append([]string{}, c.spec.Command...), c.spec.Args...)
	switch {
	case len(argv) == 0:
		return
	case argv[0] == httpCommand:
		c.startHTTP()
		return
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.pod.dir
	cmd.Env = containerEnv(c.pod.dir, c.spec.Env)
	cmd.SysProcAttr = processGroup()
	stdin, err := cmd.StdinPipe()
	if err == nil {
		var stdout, stderr io.ReadCloser
		if stdout, err = cmd.StdoutPipe(); err == nil {
			if stderr, err = cmd.StderrPipe(); err == nil {
				if err = cmd.Start(); err == nil {
					c.cmd, c.stdin = cmd, stdin
					go c.wait(stdout, stderr)
					return
				}
			}
		}
	}
	c.finish(128, fmt.Sprintf("cannot start %q: %v", argv[0], err))
}

// wait copies the process's output to the attached sessions and records its exit.
func (c *container) wait(stdout, stderr io.Reader) {
	log, _ := os.Create(filepath.Join(c.pod.dir, c.spec.Name+".log"))
	var drained sync.WaitGroup
	drained.Add(2)
	go func() { defer drained.Done(); c.stdout.pump(stdout, log) }()
	go func() { defer drained.Done(); c.stderr.pump(stderr, log) }()
	drained.Wait()
	err := c.cmd.Wait()
	if log != nil {
		log.Close()
	}
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
		if code < 0 {
			code = 128 + int(exitErr.Sys().(syscall.WaitStatus).Signal())
		}
	}
	c.mu.Lock()
	c.finish(code, "")
	c.mu.Unlock()
}

// finish records the exit; the caller holds c.mu.
func (c *container) finish(code int, message string) {
	if c.exited {
		return
	}
	c.exited, c.exitCode, c.exitError = true, code, message
	if message != "" {
		logf("container %s of pod %s/%s: %s", c.spec.Name, c.pod.namespace, c.pod.name, message)
	}
	close(c.done)
	go c.onChange()
}

func (c *container) state() corev1.ContainerState {
	c.mu.Lock()
	defer c.mu.Unlock()
	started := metav1.NewTime(c.started)
	if c.exited {
		reason := "Completed"
		if c.exitCode != 0 {
			reason = "Error"
		}
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: int32(c.exitCode), Reason: reason, Message: c.exitError, StartedAt: started, FinishedAt: metav1.Now()}}
	}
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}
}

// attach joins the container's stdin and output until the process exits or the client leaves.
// With stdinOnce, the end of the client's stdin closes the process's stdin, as the kubelet does.
func (c *container) attach(ctx context.Context, in io.Reader, out, errOut io.WriteCloser) error {
	c.mu.Lock()
	running := c.cmd != nil && !c.exited
	c.mu.Unlock()
	if !running {
		return fmt.Errorf("container %s of pod %s/%s runs no process to attach to", c.spec.Name, c.pod.namespace, c.pod.name)
	}
	if out != nil {
		defer c.stdout.add(out)()
	}
	if errOut != nil {
		defer c.stderr.add(errOut)()
	}
	if in != nil && c.spec.Stdin {
		go func() {
			_, _ = io.Copy(c.stdin, in)
			if c.spec.StdinOnce {
				c.stdin.Close()
			}
		}()
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return nil
	}
}

// stop ends the container's process group: SIGTERM, then SIGKILL after two seconds.
func (c *container) stop() {
	c.mu.Lock()
	cmd, server := c.cmd, c.http
	c.mu.Unlock()
	if server != nil {
		server.Close()
		c.mu.Lock()
		c.finish(0, "")
		c.mu.Unlock()
	}
	if cmd != nil {
		stopGroup(cmd.Process.Pid, c.done, 2*time.Second)
	}
}

func containerEnv(dir string, vars []corev1.EnvVar) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for _, v := range vars {
		env = append(env, v.Name+"="+v.Value)
	}
	return env
}

func firstPort(spec corev1.Container) (int, error) {
	if len(spec.Ports) == 0 {
		return 0, fmt.Errorf("%s needs a containerPort to listen on", httpCommand)
	}
	return int(spec.Ports[0].ContainerPort), nil
}

func (c *container) startHTTP() {
	port, err := firstPort(c.spec)
	var listener net.Listener
	if err == nil {
		listener, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	if err != nil {
		c.finish(1, err.Error())
		return
	}
	c.http = &http.Server{Handler: httpHandler(c.pod.namespace + "/" + c.pod.name)}
	go func() { _ = c.http.Serve(listener) }()
}
