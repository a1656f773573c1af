// stock: the demo shop's Go service, called by catalog. Answers how many units of a product are in
// stock as JSON and says which copy answered (a Devlane developer copy carries DEVLANE_SESSION in its
// environment). It calls no other service; a call it made would pass the incoming x-devlane-route
// and baggage headers on, as web and catalog do. Standard library only: its image is this program
// alone, built with CGO_ENABLED=0.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var units = map[string]int{"p-1": 12, "p-2": 0, "p-3": 3}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

var version = getenv("VERSION", "v1")

// answeredBy names the service, its version and the copy that answered.
func answeredBy() map[string]any {
	copyName := "original"
	if session := os.Getenv("DEVLANE_SESSION"); session != "" {
		copyName = "devlane:" + session
	}
	return map[string]any{"service": "stock", "version": version, "copy": copyName, "pod": getenv("HOSTNAME", "unknown")}
}

func writeJSON(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func stock(w http.ResponseWriter, r *http.Request) {
	product := r.PathValue("product")
	body := answeredBy()
	body["product"] = product
	body["units"] = nil
	if n, ok := units[product]; ok {
		body["units"] = n
	}
	body["route"] = nil
	if route := r.Header.Get("x-devlane-route"); route != "" {
		body["route"] = route
	}
	writeJSON(w, http.StatusOK, body)
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /stock/{product}", stock)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body := answeredBy()
		body["error"] = "no route for " + r.URL.Path
		writeJSON(w, http.StatusNotFound, body)
	})
	port := getenv("PORT", "8080")
	server := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
	}()
	fmt.Printf("stock %s listening on :%s\n", version, port)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
