;; Drives our server with Clojure's own nREPL client library (nrepl.core, as Debian packages it).
;; Usage: clojure.main nrepl_core_client.clj <port>
;; Prints one "key value" line per fact; the C# test (ClojureClientTests) asserts on them.
(require '[nrepl.core :as nrepl])

(defn line [k v] (println k (pr-str v)) (flush))

(let [port (Long/parseLong (first *command-line-args*))]
  (with-open [conn (nrepl/connect :host "127.0.0.1" :port port)]
    (let [client (nrepl/client conn 10000)
          sid (nrepl/new-session client)
          session (nrepl/client-session client :session sid)
          describe (nrepl/combine-responses (nrepl/message session {:op "describe"}))
          cloned (nrepl/combine-responses (nrepl/message session {:op "clone"}))
          listed (nrepl/combine-responses (nrepl/message client {:op "ls-sessions"}))
          ns-probe (nrepl/combine-responses (nrepl/message session {:op "eval" :code "*ns*"}))
          idle (nrepl/combine-responses (nrepl/message session {:op "interrupt"}))
          closed (nrepl/combine-responses (nrepl/message client {:op "close" :session (:new-session cloned)}))
          listed-after (nrepl/combine-responses (nrepl/message client {:op "ls-sessions"}))]
      (line "session" sid)
      (line "describe-status" (sort (:status describe)))
      (line "ops" (sort (map name (keys (:ops describe)))))
      (line "versions" (sort (map name (keys (:versions describe)))))
      (line "current-ns" (get-in describe [:aux :current-ns]))
      (line "cloned" (:new-session cloned))
      (line "listed-contains-both" (every? (set (:sessions listed)) [sid (:new-session cloned)]))
      (line "ns-probe" (:value ns-probe))
      (line "interrupt-idle" (sort (:status idle)))
      (line "close-status" (sort (:status closed)))
      (line "listed-after-close" (boolean (some #{(:new-session cloned)} (:sessions listed-after))))
      (line "end" true))))

;; nrepl.core reads replies on future threads, which would keep the JVM alive for a minute.
(shutdown-agents)
(System/exit 0)
