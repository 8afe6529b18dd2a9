package main

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// heartbeat is how often the node renews its Lease and its Ready condition, as a kubelet does by default.
const heartbeat = 10 * time.Second

// nodeRegistration is the Node object this process stands for: InternalIP 127.0.0.1 and the
// kubelet port, which the API server dials for exec, attach and port-forward.
type nodeRegistration struct {
	client kubernetes.Interface
	name   string
	port   int32
}

func (n *nodeRegistration) register(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   n.name,
			Labels: map[string]string{"kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "tether.dev/test-node": "true"},
		},
	}
	if _, err := n.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return n.updateStatus(ctx)
}

// updateStatus writes the whole status each time: addresses and port may differ from a previous run
// that registered the same name.
func (n *nodeRegistration) updateStatus(ctx context.Context) error {
	node, err := n.client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node.Status = corev1.NodeStatus{
		Capacity:        capacity,
		Allocatable:     capacity,
		Phase:           corev1.NodeRunning,
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: n.port}},
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message:           "tether test node is posting ready status",
			LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		NodeInfo: corev1.NodeSystemInfo{
			OperatingSystem: "linux", Architecture: "amd64",
			KubeletVersion: "tether-testnode", ContainerRuntimeVersion: "tether-testnode://local-processes",
		},
	}
	_, err = n.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

// keepReady renews the node's Lease and Ready condition until ctx ends, so a node lifecycle
// controller (when one runs) never marks the node unreachable.
func (n *nodeRegistration) keepReady(ctx context.Context) {
	ticker := time.NewTicker(heartbeat)
	defer ticker.Stop()
	for {
		if err := n.renewLease(ctx); err != nil && ctx.Err() == nil {
			logf("cannot renew node lease: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := n.updateStatus(ctx); err != nil && ctx.Err() == nil {
			logf("cannot update node status: %v", err)
		}
	}
}

func (n *nodeRegistration) renewLease(ctx context.Context) error {
	leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, n.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: n.name},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(n.name), LeaseDurationSeconds: ptr.To(int32(40)), RenewTime: &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

func (n *nodeRegistration) deregister(ctx context.Context) {
	if err := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, n.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		logf("cannot delete node lease: %v", err)
	}
	if err := n.client.CoreV1().Nodes().Delete(ctx, n.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		logf("cannot delete node %s: %v", n.name, fmt.Sprint(err))
	}
}
