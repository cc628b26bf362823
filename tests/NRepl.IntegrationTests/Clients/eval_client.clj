;; Evaluates C# through our server with Clojure's nREPL client library (nrepl.core and its bencode
;; transport, as Debian packages them), the way an editor does: sessions, eval, load-file,
;; need-input answered with stdin, interrupt. Prints one "key value" line per fact for the C# test.
;; Usage: clojure.main eval_client.clj <port>
(require '[nrepl.core :as nrepl] '[nrepl.transport :as t])

(defn line [k v] (println k (pr-str v)) (flush))

(def ids (atom 0))
(defn next-id [] (str "c" (swap! ids inc)))

(defn request
  "Sends msg and returns its replies up to and including done. on-reply sees each reply first
  (to answer need-input or interrupt while the request runs)."
  ([conn msg] (request conn msg (fn [_])))
  ([conn msg on-reply]
   (let [id (or (:id msg) (next-id))]
     (t/send conn (assoc msg :id id))
     (loop [acc []]
       (let [m (t/recv conn 20000)]
         (cond
           (nil? m) (conj acc {:timeout true})
           (not= id (:id m)) (recur acc)
           :else (do (on-reply m)
                     (let [acc (conj acc m)]
                       (if (some #{"done"} (:status m)) acc (recur acc))))))))))

(defn value-of [replies] (last (:value (nrepl/combine-responses replies))))

(let [port (Long/parseLong (first *command-line-args*))]
  (with-open [conn (nrepl/connect :host "127.0.0.1" :port port)]
    (let [s1 (:new-session (first (request conn {:op "clone"})))
          s2 (:new-session (first (request conn {:op "clone"})))
          ev (fn [s code] (request conn {:op "eval" :session s :code code}))]
      (line "sum" (value-of (ev s1 "1 + 2")))
      (let [r (nrepl/combine-responses (ev s1 "Console.WriteLine(\"hi\"); 42"))]
        (line "out" (:out r))
        (line "out-value" (last (:value r))))
      (line "defn" (value-of (ev s1 "int Ggg(int v) => v + 48;")))
      (line "call" (value-of (ev s1 "Ggg(10)")))
      (line "state" (value-of (ev s1 "var counter = 0;")))
      (line "state-after" (value-of (ev s1 "counter += 2; counter")))
      (line "record" (value-of (ev s1 "record Point(int X, int Y);")))
      (line "record-value" (value-of (ev s1 "new Point(1, 2)")))
      ;; sessions share the world, not their last values
      (line "shared-call" (value-of (ev s2 "Ggg(1)")))
      (line "s1-last" (value-of (ev s1 "_1")))
      (line "s2-last" (value-of (ev s2 "_1")))
      ;; errors
      (let [r (nrepl/combine-responses (ev s1 "throw new InvalidOperationException(\"boom\");"))]
        (line "ex" (:ex r))
        (line "err-has-boom" (boolean (re-find #"boom" (str (:err r)))))
        (line "error-status" (sort (:status r))))
      (let [r (nrepl/combine-responses (request conn {:op "eval" :session s1 :code "var x = 1;\nnope(x)" :file "/tmp/demo.cs" :line 10 :column 1}))]
        (line "compile-err" (:err r)))
      ;; load-file
      (let [r (request conn {:op "load-file" :session s1 :file "int Lf() => 7;\nLf() * 6" :file-path "/tmp/lf.cs" :file-name "lf.cs"})]
        (line "load-file" (value-of r)))
      ;; stdin: need-input alone, then the line we send
      (let [needs (atom [])
            r (request conn {:op "eval" :session s1 :code "Console.ReadLine()"}
                       (fn [m] (when (some #{"need-input"} (:status m))
                                 (swap! needs conj (:status m))
                                 (t/send conn {:op "stdin" :session s1 :stdin "from clojure\n" :id (next-id)}))))]
        (line "need-input" (first @needs))
        (line "stdin-value" (value-of r)))
      ;; interrupt a running loop
      (let [id (next-id)
            r (request conn {:op "eval" :session s1 :id id :code "Console.WriteLine(\"spin\"); while (true) { }"}
                       (fn [m] (when (= "spin\n" (:out m))
                                 (t/send conn {:op "interrupt" :session s1 :interrupt-id id :id (next-id)}))))]
        (line "interrupted" (sort (:status (last r)))))
      (line "after-interrupt" (value-of (ev s1 "Ggg(0)")))
      ;; a live migration that needs a decision: the condition arrives as err + need-input, answered on stdin
      (ev s1 "class Probe { public long Big; }")
      (ev s1 "var probes = new List<Probe> { new Probe { Big = 1 }, new Probe { Big = 5_000_000_000 } };")
      (let [errs (atom [])
            r (request conn {:op "eval" :session s1 :code "class Probe { public int Big; }"}
                       (fn [m]
                         (when (:err m) (swap! errs conj (:err m)))
                         (when (= ["need-input"] (:status m))
                           (t/send conn {:op "stdin" :session s1 :stdin "2\n" :id (next-id)}))))]
        (line "condition-err" (boolean (some #(re-find #"FieldConversionError: Probe.Big" %) @errs)))
        (line "condition-restart" (boolean (some #(re-find #"2: \[use-default\]" %) @errs)))
        (line "migrated" (value-of r)))
      (line "probe-values" (value-of (ev s1 "probes[0].Big + \",\" + probes[1].Big")))
      ;; a shape EnC cannot give a live type: IncompatibleShapeChange, answered with replace-type on stdin
      (ev s1 "class Marker { public int Tag; }")
      (ev s1 "var markers = new List<Marker> { new Marker { Tag = 7 } };")
      (let [errs (atom [])
            r (request conn {:op "eval" :session s1 :code "class Marker : IComparable<Marker> { public int Tag; public int CompareTo(Marker? m) => 0; }"}
                       (fn [m]
                         (when (:err m) (swap! errs conj (:err m)))
                         (when (= ["need-input"] (:status m))
                           (t/send conn {:op "stdin" :session s1 :stdin "0\n" :id (next-id)}))))]
        (line "shape-condition" (boolean (some #(re-find #"IncompatibleShapeChange: Marker" %) @errs)))
        (line "shape-done" (boolean (some #{"done"} (:status (last r))))))
      (line "marker-values" (value-of (ev s1 "(markers[0] is IComparable<Marker>) + \",\" + markers[0].Tag")))
      (line "end" true))))

(shutdown-agents)
(System/exit 0)
