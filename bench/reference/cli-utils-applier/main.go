// Command cli-utils-applier syncs a folder of manifests the way the GitLab agent's GitOps module
// did: sigs.k8s.io/cli-utils' applier, a ConfigMap inventory, server-side apply with forced
// conflicts, prune on, the client configured as agentk configures it. The benchmarks run it beside
// Tether on the same API server (see bench/reference/build.sh and GitopsSyncBenchmark).
//
// Protocol: once the clients are built and discovery is warm it prints "ready" on stdout; each
// line "sync" read on stdin then runs one sync of the folder and prints one line of JSON with its
// time; it exits at the end of stdin. One process for many syncs, as agentk is long-running.
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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/rest"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"sigs.k8s.io/cli-utils/pkg/apply"
	"sigs.k8s.io/cli-utils/pkg/apply/event"
	"sigs.k8s.io/cli-utils/pkg/common"
	"sigs.k8s.io/cli-utils/pkg/inventory"
	"sigs.k8s.io/cli-utils/pkg/kstatus/watcher"
	"sigs.k8s.io/cli-utils/pkg/manifestreader"
	"sigs.k8s.io/cli-utils/pkg/object"
	"sigs.k8s.io/cli-utils/pkg/object/validation"
)

// agentk builds its REST config from kubectl's ConfigFlags and leaves QPS and Burst unset, so
// client-go's defaults apply (rest.DefaultQPS, rest.DefaultBurst); only discovery has its own.
const (
	agentkQPS   = rest.DefaultQPS
	agentkBurst = rest.DefaultBurst
)

type syncResult struct {
	Ms         int64  `json:"ms"`
	ApplyMs    int64  `json:"applyMs"`
	Applied    int    `json:"applied"`
	Pruned     int    `json:"pruned"`
	Failed     int    `json:"failed"`
	FirstError string `json:"firstError,omitempty"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster to sync into")
	dir := flag.String("dir", "", "folder of manifest files (*.yaml, *.yml, *.json)")
	namespace := flag.String("namespace", "default", "default namespace of the objects, and the inventory's")
	name := flag.String("inventory", "bench", "inventory name: the ConfigMap is inventory-<name>")
	qps := flag.Float64("qps", float64(agentkQPS), "client QPS; the default is agentk's (client-go's default)")
	burst := flag.Int("burst", agentkBurst, "client burst; the default is agentk's (client-go's default)")
	unthrottled := flag.Bool("unthrottled", false, "no client-side rate limit (QPS -1)")
	userAgent := flag.String("user-agent", "cli-utils-applier/v0.37.2", "user agent, so the API server's audit log tells this client apart")
	cacheDir := flag.String("cache-dir", "", "discovery cache folder (kubectl's default is ~/.kube/cache)")
	reconcileTimeout := flag.Duration("reconcile-timeout", time.Millisecond, "how long to wait for applied objects to become Current; see README")
	flag.Parse()
	if *kubeconfig == "" || *dir == "" {
		fail(fmt.Errorf("-kubeconfig and -dir are required"))
	}

	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = kubeconfig
	if *cacheDir != "" {
		flags.CacheDir = cacheDir
	}
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.UserAgent = *userAgent
		if *unthrottled {
			c.QPS, c.Burst = -1, -1
		} else {
			c.QPS, c.Burst = float32(*qps), *burst
		}
		return c
	}
	factory := cmdutil.NewFactory(flags)
	invClient, err := inventory.ClusterClientFactory{StatusPolicy: inventory.StatusPolicyNone}.NewClient(factory)
	check(err)
	applier, err := apply.NewApplierBuilder().WithFactory(factory).WithInventoryClient(invClient).Build()
	check(err)

	// A running agent has discovered the API server's kinds long before a sync: do it now, untimed.
	_, err = decode(factory, *dir, *namespace)
	check(err)
	fmt.Println("ready")

	options := apply.ApplierOptions{
		ServerSideOptions: common.ServerSideOptions{ServerSideApply: true, ForceConflicts: true, FieldManager: "agentk"},
		ReconcileTimeout:  *reconcileTimeout,
		EmitStatusEvents:  true,
		// agentk's defaults for a manifest project: prune on, foreground propagation, must-match inventory.
		PrunePropagationPolicy:   metav1.DeletePropagationForeground,
		InventoryPolicy:          inventory.PolicyMustMatch,
		ValidationPolicy:         validation.ExitEarly,
		WatcherRESTScopeStrategy: watcher.RESTScopeNamespace,
	}
	id := *name
	invObj := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]interface{}{
			"name":      "inventory-" + id,
			"namespace": *namespace,
			"labels":    map[string]interface{}{common.InventoryLabel: id},
		},
	}}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if strings.TrimSpace(in.Text()) != "sync" {
			continue
		}
		result := sync(factory, applier, inventory.WrapInventoryInfoObj(invObj.DeepCopy()), *dir, *namespace, options)
		line, _ := json.Marshal(result)
		fmt.Println(string(line))
	}
}

// sync reads and decodes the folder, as the agent decodes a commit, and runs the applier to the end.
func sync(factory cmdutil.Factory, applier *apply.Applier, inv inventory.Info, dir, namespace string, options apply.ApplierOptions) syncResult {
	start := time.Now()
	var result syncResult
	objects, err := decode(factory, dir, namespace)
	if err != nil {
		result.Failed, result.FirstError = 1, err.Error()
		return result
	}
	var lastApply time.Time
	for e := range applier.Run(context.Background(), inv, object.UnstructuredSet(objects), options) {
		switch e.Type {
		case event.ApplyType:
			lastApply = time.Now()
			switch e.ApplyEvent.Status {
			case event.ApplySuccessful:
				result.Applied++
			case event.ApplyFailed:
				result.noteFailure(e.ApplyEvent.Error)
			}
		case event.PruneType:
			switch e.PruneEvent.Status {
			case event.PruneSuccessful:
				result.Pruned++
			case event.PruneFailed:
				result.noteFailure(e.PruneEvent.Error)
			}
		case event.ErrorType:
			result.noteFailure(e.ErrorEvent.Err)
		}
	}
	result.Ms = time.Since(start).Milliseconds()
	if !lastApply.IsZero() {
		result.ApplyMs = lastApply.Sub(start).Milliseconds()
	}
	return result
}

func (r *syncResult) noteFailure(err error) {
	r.Failed++
	if r.FirstError == "" && err != nil {
		r.FirstError = err.Error()
	}
}

// decode turns the folder's files into objects with kubectl's resource builder, and gives the
// namespaced ones without a namespace the default namespace, as the agent's decoder does.
func decode(factory cmdutil.Factory, dir, namespace string) ([]*unstructured.Unstructured, error) {
	files, err := manifestFiles(dir)
	if err != nil {
		return nil, err
	}
	builder := resource.NewBuilder(factory).ContinueOnError().Flatten().Unstructured().Local()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		builder.Stream(bytes.NewReader(data), filepath.Base(f))
	}
	var objects []*unstructured.Unstructured
	err = builder.Do().Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		objects = append(objects, info.Object.(*unstructured.Unstructured))
		return nil
	})
	if err != nil {
		return nil, err
	}
	mapper, err := factory.ToRESTMapper()
	if err != nil {
		return nil, err
	}
	return objects, manifestreader.SetNamespaces(mapper, objects, namespace, false)
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

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cli-utils-applier:", err)
	os.Exit(1)
}
