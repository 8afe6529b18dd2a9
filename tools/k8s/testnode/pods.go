package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// podRunner starts the containers of the Pods bound to this node (spec.nodeName) and reports them
// Running; a Pod being deleted has its processes stopped and is then removed for good, which is the
// kubelet's part of a graceful deletion.
type podRunner struct {
	client   kubernetes.Interface
	nodeName string
	workDir  string

	mu    sync.Mutex
	pods  map[string]*runningPod // by namespace/name
	execs *processSet
}

type runningPod struct {
	namespace, name string
	uid             string
	dir             string
	containers      map[string]*container
}

func newPodRunner(client kubernetes.Interface, nodeName, workDir string) *podRunner {
	return &podRunner{client: client, nodeName: nodeName, workDir: workDir, pods: map[string]*runningPod{}, execs: newProcessSet()}
}

func (r *podRunner) run(ctx context.Context) {
	factory := informers.NewSharedInformerFactoryWithOptions(r.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", r.nodeName).String()
	}))
	informer := factory.Core().V1().Pods().Informer()
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.sync(ctx, obj.(*corev1.Pod)) },
		UpdateFunc: func(_, obj any) { r.sync(ctx, obj.(*corev1.Pod)) },
	})
	factory.Start(ctx.Done())
	<-ctx.Done()
	factory.Shutdown()
}

func (r *podRunner) sync(ctx context.Context, pod *corev1.Pod) {
	key := pod.Namespace + "/" + pod.Name
	if pod.DeletionTimestamp != nil {
		r.mu.Lock()
		running := r.pods[key]
		delete(r.pods, key)
		r.mu.Unlock()
		if running != nil {
			running.stop()
		}
		// Gone for good: nothing else finishes the deletion of a Pod bound to a node.
		err := r.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To(int64(0)), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			logf("cannot finish deleting pod %s: %v", key, err)
		}
		return
	}
	r.mu.Lock()
	if existing, ok := r.pods[key]; ok && existing.uid == string(pod.UID) {
		r.mu.Unlock()
		return
	}
	dir := filepath.Join(r.workDir, pod.Namespace, pod.Name)
	running := &runningPod{namespace: pod.Namespace, name: pod.Name, uid: string(pod.UID), dir: dir, containers: map[string]*container{}}
	for _, spec := range pod.Spec.Containers {
		running.containers[spec.Name] = newContainer(running, spec, func() { r.reportStatus(context.Background(), running) })
	}
	r.pods[key] = running
	r.mu.Unlock()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		logf("cannot make work folder of pod %s: %v", key, err)
	}
	for _, c := range running.containers {
		c.start()
	}
	r.reportStatus(ctx, running)
}

// reportStatus writes the Pod's status from its containers' states: Running while any runs.
func (r *podRunner) reportStatus(ctx context.Context, running *runningPod) {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod, err := r.client.CoreV1().Pods(running.namespace).Get(ctx, running.name, metav1.GetOptions{})
		if err != nil || string(pod.UID) != running.uid {
			return err
		}
		pod.Status = running.status(pod)
		_, err = r.client.CoreV1().Pods(running.namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		logf("cannot report status of pod %s/%s: %v", running.namespace, running.name, err)
	}
}

func (p *runningPod) status(pod *corev1.Pod) corev1.PodStatus {
	now := metav1.Now()
	start := now
	if pod.Status.StartTime != nil {
		start = *pod.Status.StartTime
	}
	allReady, anyRunning, anyFailed := true, false, false
	var statuses []corev1.ContainerStatus
	for _, spec := range pod.Spec.Containers {
		c := p.containers[spec.Name]
		state := c.state()
		ready := state.Running != nil
		allReady = allReady && ready
		anyRunning = anyRunning || ready
		anyFailed = anyFailed || (state.Terminated != nil && state.Terminated.ExitCode != 0)
		statuses = append(statuses, corev1.ContainerStatus{
			Name: spec.Name, State: state, Ready: ready, Started: ptr.To(ready),
			Image: spec.Image, ImageID: "tether-testnode://" + spec.Image,
			ContainerID: fmt.Sprintf("tether-testnode://%s/%s/%s", p.namespace, p.name, spec.Name),
		})
	}
	phase := corev1.PodRunning
	if !anyRunning {
		phase = corev1.PodSucceeded
		if anyFailed {
			phase = corev1.PodFailed
		}
	}
	condition := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
	}
	return corev1.PodStatus{
		Phase: phase,
		Conditions: []corev1.PodCondition{
			condition(corev1.PodScheduled, true), condition(corev1.PodInitialized, true),
			condition(corev1.ContainersReady, allReady), condition(corev1.PodReady, allReady),
		},
		HostIP: "127.0.0.1", HostIPs: []corev1.HostIP{{IP: "127.0.0.1"}},
		PodIP: "127.0.0.1", PodIPs: []corev1.PodIP{{IP: "127.0.0.1"}},
		StartTime: &start, ContainerStatuses: statuses, QOSClass: corev1.PodQOSBestEffort,
	}
}

func (p *runningPod) stop() {
	var wg sync.WaitGroup
	for _, c := range p.containers {
		wg.Add(1)
		go func() { defer wg.Done(); c.stop() }()
	}
	wg.Wait()
}

// lookup finds a running pod by namespace and name, and (when given) checks its UID.
func (r *podRunner) lookup(namespace, name, uid string) (*runningPod, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pods[namespace+"/"+name]
	if !ok || (uid != "" && uid != p.uid) {
		return nil, fmt.Errorf("pod %s/%s is not running on this node", namespace, name)
	}
	return p, nil
}

func (r *podRunner) container(namespace, name, uid, containerName string) (*runningPod, *container, error) {
	p, err := r.lookup(namespace, name, uid)
	if err != nil {
		return nil, nil, err
	}
	c, ok := p.containers[containerName]
	if !ok {
		return nil, nil, fmt.Errorf("pod %s/%s has no container %q", namespace, name, containerName)
	}
	return p, c, nil
}

// stopAll ends every container and exec'd process and removes this node's Pods from the API.
func (r *podRunner) stopAll(ctx context.Context) {
	r.mu.Lock()
	pods := r.pods
	r.pods = map[string]*runningPod{}
	r.mu.Unlock()
	r.execs.killAll(2 * time.Second)
	for _, p := range pods {
		p.stop()
		err := r.client.CoreV1().Pods(p.namespace).Delete(ctx, p.name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
		if err != nil && !apierrors.IsNotFound(err) {
			logf("cannot delete pod %s/%s: %v", p.namespace, p.name, err)
		}
	}
}
