package main

import (
	"io"
	"sync"
	"syscall"
	"time"
)

// processGroup puts a started process in a group of its own, so stopping it also stops what it
// started, and has the kernel kill it should this node die without stopping it.
func processGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// stopGroup sends SIGTERM to the process group led by pid, then SIGKILL if done is not closed in time.
func stopGroup(pid int, done <-chan struct{}, grace time.Duration) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
	}
	// Whatever of the group is left (a child that ignored SIGTERM, say) ends now.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// processSet tracks the processes exec started, so the node's shutdown can end them.
type processSet struct {
	mu    sync.Mutex
	procs map[int]chan struct{}
}

func newProcessSet() *processSet { return &processSet{procs: map[int]chan struct{}{}} }

func (s *processSet) add(pid int) (done func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.procs[pid] = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.procs, pid)
		s.mu.Unlock()
		close(ch)
	}
}

func (s *processSet) killAll(grace time.Duration) {
	s.mu.Lock()
	procs := make(map[int]chan struct{}, len(s.procs))
	for pid, ch := range s.procs {
		procs[pid] = ch
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for pid, ch := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); stopGroup(pid, ch, grace) }()
	}
	wg.Wait()
}

// broadcaster copies a container's output stream to every attached session (and to its log file);
// output made while no session is attached goes to the log only, as with a real container.
type broadcaster struct {
	mu      sync.Mutex
	writers map[int]io.Writer
	next    int
}

func newBroadcaster() *broadcaster { return &broadcaster{writers: map[int]io.Writer{}} }

func (b *broadcaster) add(w io.Writer) (remove func()) {
	b.mu.Lock()
	id := b.next
	b.next++
	b.writers[id] = w
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.writers, id)
		b.mu.Unlock()
	}
}

// pump reads r until it ends. A session whose write fails is dropped; the others go on.
func (b *broadcaster) pump(r io.Reader, log io.Writer) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if log != nil {
				_, _ = log.Write(buf[:n])
			}
			b.mu.Lock()
			for id, w := range b.writers {
				if _, werr := w.Write(buf[:n]); werr != nil {
					delete(b.writers, id)
				}
			}
			b.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}
