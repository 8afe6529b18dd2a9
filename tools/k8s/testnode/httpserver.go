package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// httpHandler is what a tether-testnode-http container serves, for port-forward tests:
//
//	GET  /                 a line naming the pod
//	GET  /bytes?n=N&seed=S N pseudo-random bytes, the same for the same seed (so a test can compare)
//	POST /echo             the request body, back
func httpHandler(pod string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "tether test node: pod %s\n", pod)
	})
	mux.HandleFunc("GET /bytes", func(w http.ResponseWriter, r *http.Request) {
		n, err1 := strconv.Atoi(r.URL.Query().Get("n"))
		seed, err2 := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 64)
		if err1 != nil || err2 != nil || n < 0 {
			http.Error(w, "give n (a byte count) and seed (a number)", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = io.CopyN(w, rand.NewChaCha8(seedBytes(seed)), int64(n))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength >= 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		}
		_, _ = io.Copy(w, r.Body)
	})
	return mux
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(seed >> (8 * i))
	}
	return b
}
