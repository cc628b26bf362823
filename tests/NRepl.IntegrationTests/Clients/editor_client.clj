;; The editor ops through Clojure's nREPL client library, shaped as CIDER and Calva send them:
;; completions {prefix} (CIDER, Neat) and complete {symbol, context 0} (Calva). Prints one
;; "key value" line per fact for the C# test.
;; Usage: clojure.main editor_client.clj <port>
(require '[nrepl.core :as nrepl] '[nrepl.transport :as t])

(defn line [k v] (println k (pr-str v)) (flush))

(def ids (atom 0))
(defn next-id [] (str "e" (swap! ids inc)))

(defn request [conn msg]
  (let [id (next-id)]
    (t/send conn (assoc msg :id id))
    (loop [acc []]
      (let [m (t/recv conn 20000)]
        (cond
          (nil? m) (conj acc {:timeout true})
          (not= id (:id m)) (recur acc)
          :else (let [acc (conj acc m)]
                  (if (some #{"done"} (:status m)) acc (recur acc))))))))

(defn candidate [replies name]
  (let [comps (some :completions replies)]
    (first (filter #(= name (get % "candidate" (get % :candidate))) comps))))

(let [port (Long/parseLong (first *command-line-args*))]
  (with-open [conn (nrepl/connect :host "127.0.0.1" :port port)]
    (let [s (:new-session (first (request conn {:op "clone"})))]
      (request conn {:op "eval" :session s :code "class Crew { public int Size; } var crews = new List<Crew>();"})
      ;; CIDER
      (let [r (request conn {:op "completions" :session s :ns "user" :prefix "Console.Wr"})]
        (line "cider-writeline" (into (sorted-map) (candidate r "WriteLine")))
        (line "cider-keys" (sort (map name (keys (last r)))))
        (line "cider-status" (:status (last r))))
      (let [r (request conn {:op "completions" :session s :prefix "cre"})]
        (line "cider-variable" (into (sorted-map) (candidate r "crews"))))
      ;; Calva: symbol, and a Clojure context that arrives as the integer 0
      (let [r (request conn {:op "complete" :session s :ns "user" :symbol "crews[0].Si" :context 0})]
        (line "calva-size" (into (sorted-map) (candidate r "Size")))
        (line "calva-status" (:status (last r))))
      ;; docs: CIDER's lookup (nested under info), Calva's info (flat), eldoc
      (let [r (request conn {:op "load-file" :session s :file "/// <summary>Counts the crew.</summary>\nint Count(Crew c) => c.Size;" :file-path "/tmp/crew.cs" :file-name "crew.cs"})])
      (let [r (request conn {:op "lookup" :session s :ns "user" :sym "Count"})
            info (:info (last r))]
        (line "lookup-info" (into (sorted-map) info))
        (line "lookup-status" (:status (last r))))
      (let [r (request conn {:op "info" :session s :ns "user" :symbol "Console.WriteLine"})]
        (line "info-name" (select-keys (last r) [:name :ns :type]))
        (line "info-doc" (boolean (re-find #"^Writes" (str (:doc (last r))))))
        (line "info-overloads" (count (re-seq #"\n" (:arglists-str (last r))))))
      (let [r (request conn {:op "info" :session s :symbol "NoSuchName"})]
        (line "info-missing" (:status (last r))))
      (let [r (request conn {:op "eldoc" :session s :sym "Count"})]
        (line "eldoc" (into (sorted-map) (select-keys (last r) [:eldoc :name :type :docstring :doc :file :line]))))
      ;; output of a timer whose eval ended reaches an out-subscribe'd session under the subscription's id
      (let [sub-id "sub-1"]
        (t/send conn {:op "out-subscribe" :session s :id sub-id})
        (request conn {:op "eval" :session s :code "var beeper = new System.Threading.Timer(_ => Console.WriteLine(\"beep\"), null, 300, System.Threading.Timeout.Infinite);"})
        (line "subscribed-out"
              (loop []
                (let [m (t/recv conn 20000)]
                  (cond (nil? m) :timeout
                        (and (= sub-id (:id m)) (:out m)) (:out m)
                        :else (recur))))))
      (let [r (request conn {:op "describe" :session s})]
        (line "advertised" (sort (filter #{"completions" "complete" "lookup" "info" "eldoc" "out-subscribe" "out-unsubscribe"} (map name (keys (:ops (first r))))))))
      (line "end" true))))

(shutdown-agents)
(System/exit 0)
