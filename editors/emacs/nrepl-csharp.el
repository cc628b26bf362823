;;; nrepl-csharp.el --- Send C# declarations to the live C# nREPL server  -*- lexical-binding: t; -*-

;;; Commentary:
;; C-c C-c in csharp-mode (and csharp-ts-mode) sends the top-level declaration
;; around point -- a class, a method, a statement -- or the active region, to
;; the C# nREPL server, through CIDER or Neat, whichever this buffer uses.
;; The server redefines what you send in place: live instances keep their state.
;;
;; Install: (load "/path/to/editors/emacs/nrepl-csharp.el")

;;; Code:

(declare-function cider-connected-p "cider-connection")
(declare-function cider-interactive-eval "cider-eval")
(declare-function neat-eval-region "neat")

(defun nrepl-csharp--declaration-bounds ()
  "Start and end of the top-level declaration around point, as a cons."
  (save-excursion
    (end-of-line)
    (beginning-of-defun)
    (let ((start (point)))
      (end-of-defun)
      (cons start (point)))))

(defun nrepl-csharp-send-declaration ()
  "Send the region, or the top-level declaration around point, to the C# server."
  (interactive)
  (let* ((bounds (if (use-region-p)
                     (cons (region-beginning) (region-end))
                   (nrepl-csharp--declaration-bounds)))
         (start (car bounds))
         (end (cdr bounds)))
    (cond
     ((and (bound-and-true-p neat-mode) (fboundp 'neat-eval-region))
      (neat-eval-region start end))
     ((and (fboundp 'cider-connected-p) (cider-connected-p))
      ;; The bounds make CIDER send file, line and column, so the server's
      ;; errors and stack traces point into this buffer.
      (cider-interactive-eval (buffer-substring-no-properties start end) nil (list start end)))
     (t (user-error "Connect first: M-x cider-connect, or M-x neat and M-x neat-mode")))))

(defun nrepl-csharp-setup ()
  "Bind C-c C-c in this C# buffer to `nrepl-csharp-send-declaration'."
  (local-set-key (kbd "C-c C-c") #'nrepl-csharp-send-declaration))

(add-hook 'csharp-mode-hook #'nrepl-csharp-setup)
(add-hook 'csharp-ts-mode-hook #'nrepl-csharp-setup)

(provide 'nrepl-csharp)
;;; nrepl-csharp.el ends here
