// Command flux-ssa-applier syncs a folder of manifests the way Flux's kustomize-controller
// reconciles a Kustomization: github.com/fluxcd/pkg/ssa's ResourceManager.ApplyAllStaged (a GET
// and a server-side dry-run apply per object, then an apply of what drifted), then a prune of what
// left the inventory with DeleteAll. The benchmarks run it beside Tether on the same API server
// (see bench/reference/build.sh and GitopsSyncBenchmark).
//
// The inventory: kustomize-controller keeps it in the Kustomization's status; without that custom
// resource this program keeps the same entries in a ConfigMap and writes it only when it changes.
//
// Protocol: once the client is built and discovery is warm it prints "ready" on stdout; each line
// "sync" read on stdin then runs one sync of the folder and prints one line of JSON with its
// time; it exits at the end of stdin. One process for many syncs, as the controller is long-running.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/flowcontrol"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/normalize"
	ssautils "github.com/fluxcd/pkg/ssa/utils"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// kustomize-controller's defaults: --kube-api-qps 50 and --kube-api-burst 300 (fluxcd/pkg/runtime's
// client options), --concurrent-ssa 4. Its rest config drops the client-side limit altogether when
// the API server has API Priority and Fairness on; -controller-throttling does the same here.
const (
	fluxQPS           = 50
	fluxBurst         = 300
	fluxConcurrentSSA = 4
	controllerName    = "kustomize-controller"
	ownerGroup        = "kustomize.toolkit.fluxcd.io"
)

type syncResult struct {
	Ms         int64  `json:"ms"`
	ApplyMs    int64  `json:"applyMs"`
	Created    int    `json:"created"`
	Configured int    `json:"configured"`
	Unchanged  int    `json:"unchanged"`
	Pruned     int    `json:"pruned"`
	Failed     int    `json:"failed"`
	FirstError string `json:"firstError,omitempty"`
}

type applier struct {
	client    client.Client
	manager   *ssa.ResourceManager
	dir       string
	namespace string
	name      string
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster to sync into")
	dir := flag.String("dir", "", "folder of manifest files (*.yaml, *.yml, *.json)")
	namespace := flag.String("namespace", "default", "default namespace of the objects, and the inventory's")
	name := flag.String("inventory", "bench", "the Kustomization's name: owner labels, and the ConfigMap <name>-inventory")
	qps := flag.Float64("kube-api-qps", fluxQPS, "client QPS (kustomize-controller's default)")
	burst := flag.Int("kube-api-burst", fluxBurst, "client burst (kustomize-controller's default)")
	controllerThrottling := flag.Bool("controller-throttling", false, "as kustomize-controller: no client-side limit when the API server has API Priority and Fairness")
	unthrottled := flag.Bool("unthrottled", false, "no client-side rate limit (QPS -1)")
	concurrency := flag.Int("concurrent-ssa", fluxConcurrentSSA, "concurrent GETs and dry-run applies (kustomize-controller's --concurrent-ssa)")
	userAgent := flag.String("user-agent", "flux-ssa-applier/v0.78.0", "user agent, so the API server's audit log tells this client apart")
	flag.Parse()
	if *kubeconfig == "" || *dir == "" {
		fail(fmt.Errorf("-kubeconfig and -dir are required"))
	}

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	check(err)
	config.UserAgent = *userAgent
	config.QPS, config.Burst = float32(*qps), *burst
	if *controllerThrottling {
		if enabled, err := flowcontrol.IsEnabled(context.Background(), config); err == nil && enabled {
			*unthrottled = true
		}
	}
	if *unthrottled {
		config.QPS, config.Burst = -1, -1
	}
	c, err := client.New(config, client.Options{})
	check(err)
	poller := polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{})
	manager := ssa.NewResourceManager(c, poller, ssa.Owner{Field: controllerName, Group: ownerGroup})
	manager.SetConcurrency(*concurrency)
	a := &applier{client: c, manager: manager, dir: *dir, namespace: *namespace, name: *name}

	// A running controller has discovered the API server's kinds long before a sync: do it now, untimed.
	_, err = a.read()
	check(err)
	throttle := fmt.Sprintf("%g QPS, burst %d", config.QPS, config.Burst)
	if config.QPS < 0 {
		throttle = "unthrottled"
	}
	fmt.Println("ready " + throttle)

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if strings.TrimSpace(in.Text()) != "sync" {
			continue
		}
		line, _ := json.Marshal(a.sync(context.Background()))
		fmt.Println(string(line))
	}
}

func (a *applier) sync(ctx context.Context) syncResult {
	start := time.Now()
	var result syncResult
	objects, err := a.read()
	if err != nil {
		return result.failed(err)
	}
	a.manager.SetOwnerLabels(objects, a.name, a.namespace)
	options := ssa.DefaultApplyOptions()
	options.Cleanup = ssa.ApplyCleanupOptions{
		Annotations: []string{corev1.LastAppliedConfigAnnotation},
		FieldManagers: []ssa.FieldManager{
			{Name: "kubectl", OperationType: metav1.ManagedFieldsOperationApply},
			{Name: "kubectl", OperationType: metav1.ManagedFieldsOperationUpdate},
			{Name: "before-first-apply", OperationType: metav1.ManagedFieldsOperationUpdate},
		},
	}
	changes, err := a.manager.ApplyAllStaged(ctx, objects, options)
	result.ApplyMs = time.Since(start).Milliseconds()
	if err != nil {
		return result.failed(err)
	}
	for _, e := range changes.Entries {
		switch e.Action {
		case ssa.CreatedAction:
			result.Created++
		case ssa.ConfiguredAction:
			result.Configured++
		case ssa.UnchangedAction:
			result.Unchanged++
		}
	}
	pruned, err := a.pruneAndRecord(ctx, changes)
	result.Pruned = pruned
	if err != nil {
		return result.failed(err)
	}
	result.Ms = time.Since(start).Milliseconds()
	return result
}

// pruneAndRecord deletes what the previous inventory holds and this sync did not apply, then
// stores the new inventory (one entry per object: its id and API version, as Flux's).
func (a *applier) pruneAndRecord(ctx context.Context, changes *ssa.ChangeSet) (int, error) {
	inventory := &corev1.ConfigMap{}
	key := client.ObjectKey{Namespace: a.namespace, Name: a.name + "-inventory"}
	if err := a.client.Get(ctx, key, inventory); err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	entries := map[string]string{}
	for _, e := range changes.Entries {
		entries[inventoryKey(e.ObjMetadata)] = e.GroupVersion
	}
	var stale []*unstructured.Unstructured
	for k, version := range inventory.Data {
		if _, kept := entries[k]; kept {
			continue
		}
		id, err := object.ParseObjMetadata(k)
		if err != nil {
			return 0, err
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(id.GroupKind.WithVersion(version))
		u.SetNamespace(id.Namespace)
		u.SetName(id.Name)
		stale = append(stale, u)
	}
	pruned := 0
	if len(stale) > 0 {
		deleted, err := a.manager.DeleteAll(ctx, stale, ssa.DeleteOptions{
			PropagationPolicy: metav1.DeletePropagationBackground,
			Inclusions:        a.manager.GetOwnerLabels(a.name, a.namespace),
		})
		if deleted != nil {
			for _, e := range deleted.Entries {
				if e.Action == ssa.DeletedAction {
					pruned++
				}
			}
		}
		if err != nil {
			return pruned, err
		}
	}
	if equal(inventory.Data, entries) {
		return pruned, nil
	}
	desired := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}, Data: entries}
	return pruned, a.client.Patch(ctx, desired, client.Apply, client.FieldOwner(controllerName), client.ForceOwnership)
}

// inventoryKey is the object's id as Flux writes it (namespace_name_group_kind), a valid ConfigMap key.
func inventoryKey(id object.ObjMetadata) string {
	return id.String()
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// read decodes the folder's files and puts namespaced objects without a namespace into the
// default one, as kustomize does for a Kustomization with a target namespace.
func (a *applier) read() ([]*unstructured.Unstructured, error) {
	files, err := manifestFiles(a.dir)
	if err != nil {
		return nil, err
	}
	var objects []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		read, err := ssautils.ReadObjects(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		objects = append(objects, read...)
	}
	if err := normalize.UnstructuredList(objects); err != nil {
		return nil, err
	}
	crdScopes := map[schema.GroupKind]string{}
	for _, o := range objects {
		if ssautils.IsClusterDefinition(o) && o.GetKind() == "CustomResourceDefinition" {
			group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
			scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
			crdScopes[schema.GroupKind{Group: group, Kind: kind}] = scope
		}
	}
	for _, o := range objects {
		if o.GetNamespace() != "" {
			continue
		}
		namespaced, err := a.client.IsObjectNamespaced(o)
		if meta.IsNoMatchError(err) {
			namespaced, err = crdScopes[o.GroupVersionKind().GroupKind()] == "Namespaced", nil
		}
		if err != nil {
			return nil, err
		}
		if namespaced {
			o.SetNamespace(a.namespace)
		}
	}
	return objects, nil
}

func manifestFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				files = append(files, path)
			}
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func (r syncResult) failed(err error) syncResult {
	r.Failed++
	r.FirstError = err.Error()
	return r
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "flux-ssa-applier:", err)
	os.Exit(1)
}
