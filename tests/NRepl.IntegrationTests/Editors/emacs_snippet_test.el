;;; emacs_snippet_test.el --- Checks editors/emacs/nrepl-csharp.el in Emacs batch mode  -*- lexical-binding: t; -*-
;; Usage: emacs -Q --batch -l <this file> <path to nrepl-csharp.el>
;; Prints one "key value" line per fact for the C# test.
(setq print-escape-newlines t)
(let ((snippet (car command-line-args-left)))
  (setq command-line-args-left nil)
  (byte-compile-file snippet)
  (load (concat (file-name-sans-extension snippet) ".elc"))
  (with-temp-buffer
    (insert "class Player\n{\n    public int Hp = 100;\n}\n\nint Twice(int x)\n{\n    return x * 2;\n}\n")
    (c-mode) ; Emacs 28 has no csharp-mode; it derives from the same cc-mode engine
    (goto-char (point-min))
    (search-forward "return")
    (let ((b (nrepl-csharp--declaration-bounds)))
      (princ (format "method %S\n" (buffer-substring-no-properties (car b) (cdr b)))))
    (goto-char (point-min))
    (search-forward "Hp")
    (let ((b (nrepl-csharp--declaration-bounds)))
      (princ (format "class %S\n" (buffer-substring-no-properties (car b) (cdr b)))))
    (nrepl-csharp-setup)
    (princ (format "binding %S\n" (key-binding (kbd "C-c C-c"))))
    (princ (format "unconnected %S\n" (condition-case e (progn (nrepl-csharp-send-declaration) "sent") (user-error (cadr e)))))))
